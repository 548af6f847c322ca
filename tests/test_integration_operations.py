"""Long polling and the operations endpoints on real gunicorn, Celery, PostgreSQL, Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_stack
from tests.stack import Stack

pytestmark = pytest.mark.integration


def test_long_poll_returns_success_in_one_request(stack: Stack, sample: dict) -> None:
    task_id = stack.post("html", sample).json()["task_id"]
    started = time.monotonic()
    done = stack.get(f"/assignment/html/{task_id}?wait=10")
    elapsed = time.monotonic() - started
    assert done.status == 200, done.body
    assert done.json()["status"] == "SUCCESS"
    [(finished_at_age,)] = stack.sql(
        "select extract(epoch from now() - finished_at) from reports_reportjob where id = %s",
        task_id,
    )
    # Answered soon after the job finished (NOTIFY), not at the end of the wait.
    assert elapsed < 10
    assert float(finished_at_age) < 3.0


@pytest.fixture(scope="module")
def web_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web server alone: no worker consumes, so no job can finish."""
    s = make_stack(tmp_path_factory.mktemp("web-only"))
    try:
        s.start("web", LOG_LEVEL="INFO")
        yield s
    finally:
        s.stop_all()
        s.drop_database()


def test_long_poll_on_a_job_that_cannot_finish_runs_out(web_only: Stack, sample: dict) -> None:
    task_id = web_only.post("pdf", sample).json()["task_id"]
    started = time.monotonic()
    result = web_only.get(f"/assignment/pdf/{task_id}?wait=2")
    elapsed = time.monotonic() - started
    assert result.status == 202 and result.json()["status"] == "PENDING"
    assert 1.9 <= elapsed < 6


def test_readyz_and_metrics_under_gunicorn(web_only: Stack, sample: dict) -> None:
    ready = web_only.get("/readyz")
    assert ready.status == 200, ready.body
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "migrations": "ok"}
    web_only.post("html", sample)
    metrics = web_only.get("/metrics").body.decode()
    assert 'report_jobs_submitted_total{kind="html"}' in metrics
    assert "django_http_requests_total_by_method_total" in metrics


def test_static_files_are_served_by_gunicorn(web_only: Stack) -> None:
    docs = web_only.get("/api/docs/")
    assert docs.status == 200
    for path in (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/admin/css/base.css",
    ):
        assert web_only.get(path).status == 200, path
    schema = web_only.get("/api/schema/?format=json")
    assert schema.status == 200 and schema.json()["openapi"].startswith("3.")


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    s = make_stack(tmp_path)
    try:
        s.sql("delete from django_migrations where app = 'reports' returning name")
        s.start("web")
        result = s.get("/readyz")
        assert result.status == 503
        assert result.json()["checks"]["migrations"].startswith("unapplied")
        assert s.get("/healthz").status == 200  # liveness is unchanged
    finally:
        s.stop_all()
        s.drop_database()


def test_logs_are_json_and_follow_the_task_id_into_the_worker(
    web_only: Stack, sample: dict
) -> None:
    # Last in this module: a worker now consumes what the tests above left queued.
    web_only.start("worker", name="log-worker", LOG_LEVEL="INFO")
    task_id = web_only.post("html", sample).json()["task_id"]
    assert web_only.get(f"/assignment/html/{task_id}?wait=20").status == 200

    def entries(name: str) -> list[dict]:
        found = []
        for line in web_only.log(name).splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("task_id") == task_id:
                    found.append(entry)
        return found

    assert "job created" in [e["message"] for e in entries("web")]
    deadline = time.monotonic() + 10
    while "job finished" not in [e["message"] for e in entries("log-worker")]:
        assert time.monotonic() < deadline, web_only.log("log-worker")[-2000:]
        time.sleep(0.2)
