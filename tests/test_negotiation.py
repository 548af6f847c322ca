"""Content negotiation on the status URLs: every Accept header gets the report in a format
it accepts, or the JSON status; never a 406 (docs/api.md, "Content negotiation")."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import override_settings

from reports.api.negotiation import HTML, JSON, PDF, finished_report_format
from reports.jobs import run, states
from reports.models import JobStatus, ReportJob

# What real clients send on a plain GET.
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ANY = "*/*"  # curl, python-requests and httpx all send this

CLIENTS = {
    "chrome": CHROME,
    "firefox": FIREFOX,
    "curl/requests/httpx": ANY,
    "no header": None,
    "application/json": "application/json",
    "text/html": "text/html",
    "application/pdf": "application/pdf",
}
# What a finished job answers, per endpoint and client.
FINISHED = {
    "html": {
        "chrome": HTML,
        "firefox": HTML,
        "curl/requests/httpx": JSON,
        "no header": JSON,
        "application/json": JSON,
        "text/html": HTML,
        "application/pdf": JSON,
    },
    "pdf": {
        "chrome": PDF,
        "firefox": PDF,
        "curl/requests/httpx": PDF,
        "no header": PDF,
        "application/json": JSON,
        "text/html": JSON,
        "application/pdf": PDF,
    },
}
CASES = [(kind, client) for kind in FINISHED for client in CLIENTS]


@pytest.mark.parametrize(("kind", "client_name"), CASES)
def test_common_clients(kind, client_name) -> None:
    assert finished_report_format(CLIENTS[client_name], kind) == FINISHED[kind][client_name]


@pytest.mark.parametrize(
    ("accept", "html", "pdf"),
    [
        ("", JSON, PDF),  # an empty header reads as no header
        ("application/json, text/html", JSON, JSON),  # a tie goes to JSON
        ("text/html;q=0.5, application/json", JSON, JSON),
        ("application/json;q=0.1, text/html;q=0.5", HTML, JSON),
        ("text/*", HTML, JSON),
        ("TEXT/HTML", HTML, JSON),
        ("application/*", JSON, PDF),
        ("application/pdf;q=0, */*", JSON, JSON),  # the specific range wins over */*
        ("*/*;q=0.1, text/html;q=0", JSON, PDF),
        ("application/json, application/pdf;q=0.2", JSON, PDF),
        ("text/html;q=abc", HTML, JSON),  # a malformed weight counts as 1
        ("text/html;level=1;q=0.9, application/json;q=0.8", HTML, JSON),
        ("*", JSON, PDF),  # Java's URLConnection sends a bare "*"
        ("image/png", JSON, JSON),
        (",,;", JSON, PDF),
    ],
)
def test_q_values_and_edge_cases(accept, html, pdf) -> None:
    assert finished_report_format(accept, "html") == html
    assert finished_report_format(accept, "pdf") == pdf


# --- Through the API ---------------------------------------------------------------------------


def _get(client, path: str, accept: str | None):
    return client.get(path, **({"HTTP_ACCEPT": accept} if accept is not None else {}))


def _post(client, kind: str, sample: dict, **extra) -> str:
    response = client.post(
        f"/assignment/{kind}", json.dumps(sample), content_type="application/json", **extra
    )
    assert response.status_code == 202, response.content
    return response.json()["task_id"]


@pytest.fixture
def finished(client, sample, settings, tmp_path) -> dict[str, str]:
    settings.MEDIA_ROOT = tmp_path
    ids = {kind: _post(client, kind, sample) for kind in ("html", "pdf")}
    for task_id in ids.values():
        assert run.job_run(job_id=task_id, holder="test/1") == JobStatus.SUCCESS
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "client_name"), CASES)
def test_a_finished_job(client, finished, kind, client_name) -> None:
    task_id = finished[kind]
    response = _get(client, f"/assignment/{kind}/{task_id}", CLIENTS[client_name])
    assert response.status_code == 200
    assert "Accept" in response["Vary"]
    expected = FINISHED[kind][client_name]
    assert response["Content-Type"].split(";")[0] == expected
    if expected == HTML:
        assert response.content.decode().startswith("<!DOCTYPE html>")
        assert "default-src 'none'" in response["Content-Security-Policy"]
    elif expected == PDF:
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert response["Content-Disposition"].startswith("attachment;")
    else:
        body = response.json()
        assert body["status"] == "SUCCESS" and body["message"] == "Task completed"
        report_url = f"http://testserver/assignment/{kind}/{task_id}/report"
        if kind == "html":
            assert body["data"]["report"].startswith("<!DOCTYPE html>")
            assert body["data"]["report_url"] == report_url
        else:
            assert body == {
                "task_id": task_id,
                "status": "SUCCESS",
                "message": "Task completed",
                "report_url": report_url,
            }


@pytest.mark.django_db
@pytest.mark.parametrize("client_name", CLIENTS)
@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_unfinished_failed_and_unknown_jobs_are_json(client, sample, kind, client_name) -> None:
    accept = CLIENTS[client_name]
    pending = _post(client, kind, sample)
    failed = _post(client, kind, sample)
    states.job_fail(job_id=failed, message="broken")
    started = _post(client, kind, sample)
    ReportJob.objects.filter(id=started).update(status=JobStatus.STARTED)
    for task_id, code, state in [
        (pending, 202, "PENDING"),
        (started, 202, "STARTED"),
        (failed, 200, "FAILURE"),
        (str(uuid.uuid4()), 404, "NOT_FOUND"),
        ("not-a-uuid", 404, "NOT_FOUND"),
    ]:
        response = _get(client, f"/assignment/{kind}/{task_id}", accept)
        assert response.status_code == code, (task_id, response.content)
        assert response["Content-Type"] == "application/json"
        assert response.json()["status"] == state
    bad_wait = _get(client, f"/assignment/{kind}/{pending}?wait=nope", accept)
    assert bad_wait.status_code == 400 and bad_wait.json()["status"] == "INVALID"
    report = _get(client, f"/assignment/{kind}/{pending}/report", accept)
    assert report.status_code == 409 and report.json()["status"] == "PENDING"


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["text/html", "application/pdf", "image/png"])
def test_posts_and_errors_are_json_whatever_the_accept(client, sample, accept) -> None:
    assert _post(client, "html", sample, HTTP_ACCEPT=accept)
    bad = client.post("/assignment/pdf", b"{", content_type="application/json", HTTP_ACCEPT=accept)
    assert bad.status_code == 400 and bad.json()["status"] == "INVALID"
    with override_settings(REPORT_API_KEYS=["a-key"]):
        denied = _get(client, f"/assignment/html/{uuid.uuid4()}", accept)
    assert denied.status_code == 401 and denied.json()["status"] == "UNAUTHORIZED"
