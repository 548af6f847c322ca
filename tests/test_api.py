"""The HTTP contract, through Django's test client, on the configured database."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest
from django.test import override_settings

from reports.jobs import run, states
from reports.models import JobInput, JobStatus, Report, ReportJob

pytestmark = pytest.mark.django_db


def post(client, kind: str, payload, **extra):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    extra.setdefault("content_type", "application/json")
    return client.post(f"/assignment/{kind}", body, **extra)


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_post_stores_the_job_and_publishes_only_after_commit(
    client, sample, kind, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, kind, sample)
    assert response.status_code == 202
    body = response.json()
    task_id = uuid.UUID(body["task_id"])
    assert task_id.version == 4
    assert body["status"] == "PENDING"
    assert body["status_url"] == f"http://testserver/assignment/{kind}/{task_id}"
    assert response["Location"] == body["status_url"]
    job = ReportJob.objects.get(id=task_id)
    assert job.kind == kind and job.status == JobStatus.PENDING
    assert job.student_count == 1 and job.event_count == 1
    assert json.loads(bytes(JobInput.objects.get(job=job).body)) == sample
    assert len(callbacks) == 1  # the publish waits for the commit


def test_post_accepts_a_list_of_students(client, sample) -> None:
    other = dict(sample, student_id="second")
    response = post(client, "html", [sample, other])
    assert response.status_code == 202
    assert ReportJob.objects.get(id=response.json()["task_id"]).student_count == 2


def test_unknown_fields_are_ignored_and_int_units_accepted(client, sample) -> None:
    sample["extra"] = {"anything": [1, 2]}
    sample["events"][0]["unit"] = 17
    sample["events"][0]["note"] = "ignored"
    assert post(client, "html", sample).status_code == 202


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda s: s.pop("namespace"), "namespace"),
        (lambda s: s.update(namespace=""), "namespace"),
        (lambda s: s.update(student_id="x" * 256), "student_id"),
        (lambda s: s.update(student_id=5), "student_id"),
        (lambda s: s.update(student_id="a\x00b"), "student_id"),
        (lambda s: s.update(events=[]), "events"),
        (lambda s: s.update(events="nope"), "events"),
        (lambda s: s["events"][0].update(type=""), "events[0].type"),
        (lambda s: s["events"][0].update(created_time="yesterday"), "events[0].created_time"),
        (lambda s: s["events"][0].update(created_time=12), "events[0].created_time"),
        (lambda s: s["events"][0].update(unit=1.5), "events[0].unit"),
        (lambda s: s["events"][0].update(unit=True), "events[0].unit"),
        (lambda s: s["events"][0].update(unit=""), "events[0].unit"),
        (lambda s: s["events"][0].update(unit=10**30), "events[0].unit"),
        (lambda s: s["events"][0].pop("unit"), "events[0].unit"),
        (lambda s: s["events"].append(3), "events[1]"),
    ],
)
def test_invalid_fields_are_named_by_path(client, sample, mutate, path) -> None:
    mutate(sample)
    response = post(client, "html", sample)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "INVALID"
    assert path in body["errors"], body
    assert ReportJob.objects.count() == 0


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
        "1899-12-31T23:59:59.999999-23:59",  # just before the first accepted year
        "2101-01-01T00:00:00+23:59",  # just after the last
        "1899-12-31 23:59:59",
    ],
)
def test_created_time_outside_the_reports_years_is_400_naming_the_event(
    client, sample, moment
) -> None:
    """Refused at submit, not accepted and failed by the worker with "date value out of
    range": the path names the event, in a single student and in a list."""
    good = sample["events"][0]
    events = [dict(good, created_time=moment), good, dict(good, created_time=moment)]
    response = post(client, "html", dict(sample, events=events))
    assert response.status_code == 400, response.content
    # Every such event is named, as for any other bad field.
    assert list(response.json()["errors"]) == ["events[0].created_time", "events[2].created_time"]
    (message,) = response.json()["errors"]["events[2].created_time"]
    assert "outside the years 1900-2100" in message
    several = [sample, sample, dict(sample, events=[dict(good, created_time=moment)])]
    response = post(client, "pdf", several)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["[2].events[0].created_time"]
    assert ReportJob.objects.count() == 0


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "America/Adak"])
@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_created_time_at_the_reports_first_and_last_years_is_reported(
    client, sample, settings, tmp_path, zone, kind
) -> None:
    """The bounds, at the widest offsets, shown on the clocks furthest east and west."""
    settings.MEDIA_ROOT = tmp_path
    good = sample["events"][0]
    sample["events"] = [
        dict(good, created_time="1900-01-01T00:00:00+23:59"),
        dict(good, created_time="1900-01-01 00:00:00"),
        dict(good, created_time="2100-12-31T23:59:59.999999-23:59"),
    ]
    response = client.post(
        f"/assignment/{kind}?timezone={quote(zone)}",
        json.dumps(sample),
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    run_inline(task_id)
    assert client.get(f"/assignment/{kind}/{task_id}/data").status_code == 200


def test_every_bad_event_field_is_named(client, sample) -> None:
    good = sample["events"][0]
    sample["events"] = [good, dict(good, type="", unit=None), good, dict(good, created_time="x")]
    errors = post(client, "pdf", [sample, sample]).json()["errors"]
    for i in (0, 1):
        assert f"[{i}].events[1].type" in errors
        assert f"[{i}].events[1].unit" in errors
        assert f"[{i}].events[3].created_time" in errors
    assert not any(".events[0]" in k or ".events[2]" in k for k in errors)


@pytest.mark.parametrize("body", [b"[]", b"3", b'"text"', b"null", b"{}"])
def test_bodies_that_are_not_students_get_400(client, body) -> None:
    response = post(client, "html", body)
    assert response.status_code == 400
    assert response.json()["status"] == "INVALID"


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"a": \xff}', b'"\\ud800"', b""])
def test_malformed_json_gets_400(client, body) -> None:
    response = post(client, "html", body)
    assert response.status_code == 400
    assert response.json()["status"] == "INVALID"


@pytest.mark.parametrize(
    ("where", "value", "stored"),
    [
        ("default", None, 30.0),
        ("body", 5, 5.0),
        ("body", 0, 0.0),
        ("body", 10080, 10080.0),
        ("query", "12.5", 12.5),
    ],
)
def test_idle_minutes_is_stored_on_the_job(client, sample, settings, where, value, stored) -> None:
    settings.REPORT_IDLE_MINUTES = 30.0
    query = ""
    if where == "body":
        sample["idle_minutes"] = value
    elif where == "query":
        query = f"?idle_minutes={value}"
    response = client.post(
        f"/assignment/html{query}", json.dumps(sample), content_type="application/json"
    )
    assert response.status_code == 202, response.json()
    assert ReportJob.objects.get(id=response.json()["task_id"]).idle_minutes == stored


def test_idle_minutes_query_parameter_applies_to_lists_and_wins(client, sample) -> None:
    sample["idle_minutes"] = 3
    response = client.post(
        "/assignment/pdf?idle_minutes=7", json.dumps(sample), content_type="application/json"
    )
    assert ReportJob.objects.get(id=response.json()["task_id"]).idle_minutes == 7
    response = client.post(
        "/assignment/pdf?idle_minutes=8",
        json.dumps([sample, sample]),
        content_type="application/json",
    )
    assert ReportJob.objects.get(id=response.json()["task_id"]).idle_minutes == 8


@pytest.mark.parametrize("value", [-1, 10081, "10", True, None, [], 1e309])
def test_invalid_idle_minutes_in_the_body_gets_400(client, sample, value) -> None:
    sample["idle_minutes"] = value
    body = json.dumps(sample).replace("Infinity", "1e999")
    response = post(client, "html", body)
    if value is None:  # null means "not given"
        assert response.status_code == 202
        return
    assert response.status_code == 400
    assert response.json()["status"] == "INVALID"
    assert "idle_minutes" in response.json()["errors"], response.json()
    assert ReportJob.objects.count() == 0


@pytest.mark.parametrize("value", ["-1", "10081", "abc", "nan", "inf", ""])
def test_invalid_idle_minutes_query_parameter_gets_400(client, sample, value) -> None:
    response = client.post(
        f"/assignment/html?idle_minutes={value}",
        json.dumps(sample),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "INVALID"
    assert list(body["errors"]) == ["idle_minutes"]
    assert ReportJob.objects.count() == 0


def test_non_json_content_type_gets_415(client, sample) -> None:
    response = post(client, "html", json.dumps(sample), content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["status"] == "UNSUPPORTED_MEDIA_TYPE"


@override_settings(REPORT_MAX_BODY_BYTES=2048)
def test_body_over_the_limit_gets_413_before_parsing(client, sample) -> None:
    sample["events"] = sample["events"] * 100
    response = post(client, "html", sample)
    assert response.status_code == 413
    assert response.json()["status"] == "TOO_LARGE"


@override_settings(REPORT_MAX_EVENTS=3)
def test_too_many_events_gets_413(client, sample) -> None:
    sample["events"] = sample["events"] * 4
    response = post(client, "html", sample)
    assert response.status_code == 413
    assert "at most 3" in response.json()["message"]


def test_get_is_pending_with_null_data(client, sample) -> None:
    task_id = post(client, "html", sample).json()["task_id"]
    response = client.get(f"/assignment/html/{task_id}")
    assert response.status_code == 202
    assert response.json() == {
        "task_id": task_id,
        "status": "PENDING",
        "data": None,
        "message": "Task not completed.",
    }
    pdf_id = post(client, "pdf", sample).json()["task_id"]
    response = client.get(f"/assignment/pdf/{pdf_id}")
    assert response.status_code == 202
    assert response.json() == {
        "task_id": pdf_id,
        "status": "PENDING",
        "message": "Task not completed.",
    }


@pytest.mark.parametrize("state", ["STARTED", "RETRY"])
def test_running_states_answer_202(client, sample, state) -> None:
    task_id = post(client, "html", sample).json()["task_id"]
    ReportJob.objects.filter(id=task_id).update(status=state)
    response = client.get(f"/assignment/html/{task_id}")
    assert response.status_code == 202 and response.json()["status"] == state


def test_progress_is_shown_for_several_students(client, sample) -> None:
    task_id = post(client, "html", [sample, sample, sample]).json()["task_id"]
    ReportJob.objects.filter(id=task_id).update(status="STARTED", progress_done=1)
    assert client.get(f"/assignment/html/{task_id}").json()["progress"] == {"done": 1, "total": 3}


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_unknown_malformed_and_wrong_kind_ids_are_404(client, sample, kind) -> None:
    other = "pdf" if kind == "html" else "html"
    other_id = post(client, other, sample).json()["task_id"]
    for task_id in (str(uuid.uuid4()), "not-a-uuid", other_id):
        response = client.get(f"/assignment/{kind}/{task_id}")
        assert response.status_code == 404
        body = response.json()
        assert body["status"] == "NOT_FOUND" and body["task_id"] == task_id
        assert ("data" in body) == (kind == "html")


def test_failure_answers_200_with_the_reason(client, sample) -> None:
    task_id = post(client, "pdf", sample).json()["task_id"]
    states.job_fail(job_id=task_id, message="The input could not be turned into a report.")
    response = client.get(f"/assignment/pdf/{task_id}")
    assert response.status_code == 200
    assert response.json() == {
        "task_id": task_id,
        "status": "FAILURE",
        "message": "The input could not be turned into a report.",
    }


def run_inline(task_id: str) -> None:
    """Run the job's service function in this process (no Celery): the unit under test."""
    assert run.job_run(job_id=task_id, holder="test/1") == JobStatus.SUCCESS


def test_html_success_json_and_browser_view(client, sample, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    task_id = post(client, "html", sample).json()["task_id"]
    run_inline(task_id)
    response = client.get(f"/assignment/html/{task_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SUCCESS" and body["message"] == "Task completed"
    data = body["data"]
    report = Report.objects.get(task_id=task_id)
    assert data["id"] == str(report.id) and data["task_id"] == task_id
    assert data["student_id"] == sample["student_id"]
    assert data["student_ids"] == [sample["student_id"]]
    assert "Event Order: Q1" in data["report"]
    assert data["report_url"] == f"http://testserver/assignment/html/{task_id}/report"
    assert data["created_at"].endswith("Z")

    page = client.get(f"/assignment/html/{task_id}", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "script-src" not in page["Content-Security-Policy"]
    assert "default-src 'none'" in page["Content-Security-Policy"]
    assert page.content.decode() == data["report"]

    stored = client.get(f"/assignment/html/{task_id}/report")
    assert stored.status_code == 200
    assert b"".join(stored.streaming_content).decode() == data["report"]


def test_pdf_success_is_an_attachment(client, sample, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    sample["student_id"] = 'Zoë "quoted"\r\nX-Evil: 1'
    task_id = post(client, "pdf", sample).json()["task_id"]
    run_inline(task_id)
    response = client.get(f"/assignment/pdf/{task_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\n" not in disposition and "X-Evil" in disposition  # folded into the name
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_pdf_filename_is_the_student_id(client, sample, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    task_id = post(client, "pdf", sample).json()["task_id"]
    run_inline(task_id)
    response = client.get(f"/assignment/pdf/{task_id}")
    assert response["Content-Disposition"] == (
        f'attachment; filename="report-{sample["student_id"]}.pdf"'
    )
    several = post(client, "pdf", [sample, sample]).json()["task_id"]
    run_inline(several)
    assert client.get(f"/assignment/pdf/{several}")["Content-Disposition"] == (
        f'attachment; filename="report-{several}.pdf"'
    )


def test_report_file_of_unfinished_job_is_409(client, sample) -> None:
    task_id = post(client, "html", sample).json()["task_id"]
    assert client.get(f"/assignment/html/{task_id}/report").status_code == 409
    assert client.get(f"/assignment/html/{uuid.uuid4()}/report").status_code == 404


def test_security_headers_on_every_response(client) -> None:
    response = client.get("/assignment/html/nope")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_unknown_paths_and_methods_are_json(client) -> None:
    assert client.get("/nowhere").json()["status"] == "NOT_FOUND"
    response = client.delete("/assignment/html")
    assert response.status_code == 405
    assert response.json()["status"] == "METHOD_NOT_ALLOWED"


def test_healthz_reports_database_and_broker(client) -> None:
    response = client.get("/healthz")
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert response.status_code == (200 if body["checks"]["broker"] == "ok" else 503)


def test_storage_is_djangos_storage_api(sample, settings, tmp_path, client) -> None:
    settings.MEDIA_ROOT = tmp_path
    task_id = post(client, "html", sample).json()["task_id"]
    run_inline(task_id)
    report = Report.objects.get(task_id=task_id)
    assert report.file.name == f"reports/{task_id}.1.html"
    assert report.file.storage.exists(report.file.name)
