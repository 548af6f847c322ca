"""Long polling, readiness, metrics, logs and the jobs admin, through the test client."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from reports.jobs import run, states
from reports.models import JobStatus, ReportJob
from reports.ops.logs import JsonFormatter, TaskIdFilter, task_id_bound


def post(client, kind: str, payload):
    return client.post(f"/assignment/{kind}", json.dumps(payload), content_type="application/json")


# --- ?wait= ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("wait", ["0", "-1", "31", "abc", "nan", "inf"])
def test_a_bad_wait_is_400_json(client, sample, wait) -> None:
    task_id = post(client, "html", sample).json()["task_id"]
    response = client.get(f"/assignment/html/{task_id}?wait={wait}")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "INVALID" and "wait" in body["errors"]


@pytest.mark.django_db
def test_wait_answers_at_once_for_unknown_and_finished_jobs(client, sample) -> None:
    started = time.monotonic()
    assert client.get("/assignment/html/nope?wait=5").status_code == 404
    task_id = post(client, "pdf", sample).json()["task_id"]
    states.job_fail(job_id=task_id, message="broken")
    response = client.get(f"/assignment/pdf/{task_id}?wait=5")
    assert response.status_code == 200 and response.json()["status"] == "FAILURE"
    assert time.monotonic() - started < 2


@pytest.mark.django_db
def test_wait_runs_out_with_202(client, sample) -> None:
    task_id = post(client, "html", sample).json()["task_id"]
    started = time.monotonic()
    response = client.get(f"/assignment/html/{task_id}?wait=0.6")
    elapsed = time.monotonic() - started
    assert response.status_code == 202 and response.json()["status"] == "PENDING"
    assert 0.55 <= elapsed < 3


@pytest.mark.django_db(transaction=True)
def test_wait_returns_as_soon_as_another_thread_finishes_the_job(client, sample) -> None:
    """LISTEN/NOTIFY on PostgreSQL, polling on SQLite: either way, well before the wait."""
    task_id = post(client, "html", sample).json()["task_id"]

    def finish_later() -> None:
        time.sleep(0.5)
        try:
            states.job_fail(job_id=task_id, message="finished by the test")
        finally:
            connection.close()

    thread = threading.Thread(target=finish_later)
    started = time.monotonic()
    thread.start()
    response = client.get(f"/assignment/html/{task_id}?wait=10")
    elapsed = time.monotonic() - started
    thread.join()
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "finished by the test"
    # PostgreSQL: woken by the NOTIFY, well before the listener's 1 s safety re-check.
    assert 0.45 <= elapsed < (0.9 if connection.vendor == "postgresql" else 2.5)


# --- /readyz -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_checks_database_broker_and_migrations(client) -> None:
    response = client.get("/readyz")
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert response.status_code == (200 if checks["broker"] == "ok" else 503)


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_unapplied(client) -> None:
    # Forget, inside the test's transaction, that one migration was applied.
    MigrationRecorder.Migration.objects.filter(app="reports", name="0001_initial").delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("unapplied")


# --- /metrics ------------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
            metric, _, value = line.rpartition(" ")
            if all(f'{k}="{v}"' in metric for k, v in labels.items()):
                return float(value)
    raise AssertionError(f"{name}{{{wanted}}} not in metrics")


@pytest.mark.django_db
def test_metrics_count_jobs_by_kind_and_outcome(client, sample, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    ids = [post(client, kind, sample).json()["task_id"] for kind in ("html", "html", "pdf")]
    assert run.job_run(job_id=ids[0], holder="test/1") == JobStatus.SUCCESS
    states.job_fail(job_id=ids[2], message="broken")
    text = client.get("/metrics").content.decode()
    assert _sample(text, "report_jobs_submitted_total", kind="html") == 2
    assert _sample(text, "report_jobs_submitted_total", kind="pdf") == 1
    assert _sample(text, "report_jobs_finished_total", kind="html", outcome="SUCCESS") == 1
    assert _sample(text, "report_jobs_finished_total", kind="pdf", outcome="FAILURE") == 1
    assert _sample(text, "report_jobs_queue_depth", kind="html") == 1
    assert _sample(text, "report_job_duration_seconds_count", kind="html", outcome="SUCCESS") == 1
    assert (
        _sample(
            text, "report_job_duration_seconds_bucket", kind="html", outcome="SUCCESS", le="+Inf"
        )
        == 1
    )
    # django-prometheus's HTTP side is there too.
    assert "django_http_requests_total_by_method_total" in text


# --- logs ----------------------------------------------------------------------------------


def test_json_logs_carry_the_task_id() -> None:
    record = logging.makeLogRecord(
        {"name": "reports", "levelname": "INFO", "msg": "hello %s", "args": ("world",)}
    )
    with task_id_bound("abc-123"):
        TaskIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello world" and entry["task_id"] == "abc-123"
    other = logging.makeLogRecord({"msg": "no job"})
    TaskIdFilter().filter(other)
    assert json.loads(JsonFormatter().format(other))["task_id"] is None
    assert "node" not in entry  # not a Celery worker


def test_a_workers_json_logs_carry_its_node_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from celery.signals import celeryd_init

    from reports.ops import logs

    monkeypatch.setattr(logs, "_node", None)
    celeryd_init.send(sender="worker@host-a", instance=None, conf=None, options={})
    record = logging.makeLogRecord({"msg": "job finished"})
    TaskIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["node"] == "worker@host-a"


@pytest.mark.django_db
def test_the_post_view_tags_its_logs_with_the_new_task_id(client, sample) -> None:
    from reports.api import jobs as apis
    from reports.ops.logs import bind_task_id as original

    seen: list[str | None] = []

    def spy(task_id):
        original(task_id)
        from reports.ops.logs import current_task_id

        seen.append(current_task_id.get())

    setattr(apis, "bind_task_id", spy)  # by name: apis does not re-export it
    try:
        task_id = post(client, "html", sample).json()["task_id"]
    finally:
        setattr(apis, "bind_task_id", original)
    assert seen == [task_id]
    from reports.ops.logs import current_task_id

    assert current_task_id.get() is None  # the middleware cleared it after the request


# --- admin ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_filters_and_searches_jobs(admin_client, sample, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    done = post(admin_client, "html", sample).json()["task_id"]
    run.job_run(job_id=done, holder="worker@host-a/4242")
    other = post(admin_client, "pdf", dict(sample, student_id="someone-else")).json()["task_id"]
    states.job_fail(job_id=other, message="Something specific went wrong")
    url = "/admin/reports/reportjob/"
    page = admin_client.get(url).content.decode()
    assert '<td class="field-worker">worker@host-a/4242</td>' in page  # which host ran it
    page = admin_client.get(url, {"status__exact": "FAILURE"}).content.decode()
    assert other in page and done not in page and "Something specific went wrong" in page
    page = admin_client.get(url, {"kind__exact": "html"}).content.decode()
    assert done in page and other not in page
    page = admin_client.get(url, {"q": sample["student_id"]}).content.decode()
    assert done in page and other not in page
    page = admin_client.get(url, {"q": other}).content.decode()
    assert other in page and done not in page
    detail = admin_client.get(f"{url}{other}/change/")
    assert detail.status_code == 200 and "Something specific went wrong" in detail.content.decode()


@pytest.mark.django_db
def test_admin_action_reruns_only_failed_jobs_and_publishes_after_commit(
    admin_client, sample, django_capture_on_commit_callbacks
) -> None:
    failed = post(admin_client, "html", sample).json()["task_id"]
    pending = post(admin_client, "html", sample).json()["task_id"]
    ReportJob.objects.filter(id=failed).update(attempts=3)
    states.job_fail(job_id=failed, message="broken")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/reports/reportjob/",
            {"action": "rerun_failed", "_selected_action": [failed, pending]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 failed job(s) queued again" in response.content.decode()
    job = ReportJob.objects.get(id=failed)
    assert (job.status, job.attempts, job.message, job.finished_at) == ("PENDING", 0, "", None)
    assert ReportJob.objects.get(id=pending).status == JobStatus.PENDING
    assert len(callbacks) == 1  # one publish, for the failed job only, after commit
