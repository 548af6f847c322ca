"""Deleting a job, retention and a student's erasure, in this process, on the configured
database and the real local storage: nothing of an erased job is left in any table or
in the storage folder, and nothing else is touched."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from reports.api.auth import key_owner
from reports.jobs import retention, run, states, submit
from reports.models import (
    DeletedJob,
    FileDeletion,
    JobInput,
    JobStatus,
    Report,
    ReportJob,
    WebhookAttempt,
    WebhookDelivery,
)
from reports.webhooks.callback import Callback

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path / "reports"


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def new_job(body: object, kind: str = "html", owner: str = "", callback: bool = False) -> str:
    # Plain UTF-8 (as most clients send it), or the exact bytes given.
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    students = len(body) if isinstance(body, list) else 1
    hook = Callback(url="http://127.0.0.1:9/hook", origin="http://api") if callback else None
    job = submit.job_create(
        kind=kind, body=raw, student_count=students, event_count=1, owner=owner, callback=hook
    ).job
    return str(job.id)


def done_job(body: object, kind: str = "html", **extra) -> str:
    task_id = new_job(body, kind, **extra)
    assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.SUCCESS
    return task_id


def left_of(task_id: str) -> dict[str, int]:
    """Every row anywhere that still belongs to the job."""
    job_id = uuid.UUID(task_id)
    return {
        "job": ReportJob.objects.filter(id=task_id).count(),
        "input": JobInput.objects.filter(job_id=job_id).count(),
        "report": Report.objects.filter(job_id=job_id).count(),
        "webhook": WebhookDelivery.objects.filter(job_id=job_id).count(),
        "attempts": WebhookAttempt.objects.filter(job_id=job_id).count(),
        "file deletions": FileDeletion.objects.filter(name__contains=task_id).count(),
    }


NOTHING = {"job": 0, "input": 0, "report": 0, "webhook": 0, "attempts": 0, "file deletions": 0}


# --- DELETE /assignment/<kind>/<task_id> --------------------------------------------------------


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_delete_erases_rows_and_file_and_is_idempotent(client, sample, media, kind) -> None:
    task_id = done_job(sample, kind, callback=True)
    WebhookAttempt.objects.create(job_id=task_id, at=timezone.now(), http_status=500)
    keep = done_job(sample, kind)
    assert files(media) == sorted([f"{task_id}.1.{kind}", f"{keep}.1.{kind}"])
    assert client.get(f"/assignment/{kind}/{task_id}/data").status_code == 200

    response = client.delete(f"/assignment/{kind}/{task_id}")
    assert response.status_code == 204 and response.content == b""
    assert left_of(task_id) == NOTHING
    assert files(media) == [f"{keep}.1.{kind}"]
    assert client.get(f"/assignment/{kind}/{task_id}").status_code == 404
    assert client.get(f"/assignment/{kind}/{task_id}/report").status_code == 404
    for data in ("data", "data?format=csv"):  # the figures went with the report row
        assert client.get(f"/assignment/{kind}/{task_id}/{data}").status_code == 404
    assert client.delete(f"/assignment/{kind}/{task_id}").status_code == 204  # the same again
    tombstone = DeletedJob.objects.get(id=task_id)
    assert (tombstone.kind, tombstone.owner) == (kind, "")
    assert left_of(keep)["report"] == 1  # the other job is untouched


def test_delete_of_unknown_malformed_or_other_kind_is_404(client, sample, media) -> None:
    task_id = done_job(sample, "html")
    for path in (
        f"/assignment/pdf/{task_id}",
        f"/assignment/html/{uuid.uuid4()}",
        "/assignment/html/nope",
    ):
        response = client.delete(path)
        assert response.status_code == 404
        assert response.json()["status"] == "NOT_FOUND"
    assert left_of(task_id)["report"] == 1


@override_settings(REPORT_API_KEYS=["key-a", "key-b"])
def test_only_the_owner_can_delete(client, sample, media) -> None:
    task_id = done_job(sample, owner=key_owner("key-a"))
    other = client.delete(f"/assignment/html/{task_id}", HTTP_AUTHORIZATION="Bearer key-b")
    assert other.status_code == 404
    assert left_of(task_id)["report"] == 1 and files(media) == [f"{task_id}.1.html"]
    assert client.delete(f"/assignment/html/{task_id}").status_code == 401
    owner = client.delete(f"/assignment/html/{task_id}", HTTP_AUTHORIZATION="Bearer key-a")
    assert owner.status_code == 204
    again = client.delete(f"/assignment/html/{task_id}", HTTP_AUTHORIZATION="Bearer key-a")
    assert again.status_code == 204
    # Another key still cannot tell the deleted job from an unknown one.
    other = client.delete(f"/assignment/html/{task_id}", HTTP_AUTHORIZATION="Bearer key-b")
    assert other.status_code == 404
    assert left_of(task_id) == NOTHING and files(media) == []


def test_deleting_a_running_job_drops_the_runs_result(client, sample, media) -> None:
    """The run that holds the job finishes after the DELETE: its fenced store finds no row,
    stores nothing, and removes the file it wrote."""
    task_id = new_job(sample)
    taken = states.job_claim(job_id=task_id, holder="a/1")
    assert taken is not None and taken[1] is not None
    running, body = taken[0], taken[1]
    assert client.delete(f"/assignment/html/{task_id}").status_code == 204
    report, rendered = run.job_build(claim=running, body=body)
    assert run.report_store(claim=running, report=report, rendered=rendered) is False
    assert states.job_fail(job_id=task_id, fence=running.fence, message="late") is False
    assert left_of(task_id) == NOTHING
    assert files(media) == []
    assert client.get(f"/assignment/html/{task_id}").status_code == 404


def test_delete_removes_files_of_earlier_runs_too(client, sample, media) -> None:
    task_id = new_job(sample)
    states.job_claim(job_id=task_id, holder="a/1")
    media.mkdir(parents=True)
    (media / f"{task_id}.1.html").write_text("written by a run that died before storing")
    ReportJob.objects.filter(id=task_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert run.job_run(job_id=task_id, holder="b/2") == JobStatus.SUCCESS
    (media / f"{task_id}.1.html").write_text("and again, by a stale run")
    assert client.delete(f"/assignment/html/{task_id}").status_code == 204
    assert files(media) == []


def test_a_crash_between_rows_and_files_leaves_work_not_files(sample, media) -> None:
    """FileDeletion is written with the row deletions; the retention task finishes it."""
    task_id = done_job(sample)
    FileDeletion.objects.create(name=f"reports/{task_id}.1.html", created_at=timezone.now())
    ReportJob.objects.filter(id=task_id).delete()  # as if only the rows had gone
    assert files(media) == [f"{task_id}.1.html"]
    assert retention.jobs_expire()["leftover_files"] == 0  # too recent: maybe in progress
    FileDeletion.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert retention.jobs_expire()["leftover_files"] == 1
    assert files(media) == [] and not FileDeletion.objects.exists()


# --- Retention --------------------------------------------------------------------------------


def age(task_id: str, days: float) -> None:
    ReportJob.objects.filter(id=task_id).update(created_at=timezone.now() - timedelta(days=days))


def test_retention_erases_only_old_finished_jobs(client, sample, media, settings, caplog) -> None:
    settings.REPORT_RETENTION_DAYS = 30
    old = [done_job(sample) for _ in range(5)]
    old_failed = new_job(sample)
    states.job_fail(job_id=old_failed, message="bad")
    recent = done_job(sample)
    old_pending = new_job(sample)
    old_running = new_job(sample)
    states.job_claim(job_id=old_running, holder="a/1")
    for task_id in [*old, old_failed, old_pending, old_running]:
        age(task_id, 31)
    age(recent, 29)
    DeletedJob.objects.create(
        id=uuid.uuid4(), kind="html", deleted_at=timezone.now() - timedelta(days=31)
    )
    fresh_tombstone = DeletedJob.objects.create(
        id=uuid.uuid4(), kind="html", deleted_at=timezone.now()
    )

    with caplog.at_level(logging.INFO, logger="reports.jobs.retention"):
        result = retention.jobs_expire(batch=2)  # several small batches
    assert result == {
        "jobs": 6,
        "inputs": 6,
        "reports": 5,
        "files": 5,
        "tombstones": 1,
        "leftover_files": 0,
    }
    assert "retention: erased 6 job(s) older than 30 day(s)" in caplog.text
    for task_id in [*old, old_failed]:
        assert left_of(task_id) == NOTHING
    assert files(media) == [f"{recent}.1.html"]
    assert client.get(f"/assignment/html/{old[0]}/data").status_code == 404
    assert client.get(f"/assignment/html/{recent}/data").status_code == 200
    for task_id in (recent, old_pending, old_running):
        assert left_of(task_id)["job"] == 1 and left_of(task_id)["input"] == 1
    assert ReportJob.objects.get(id=old_running).status == JobStatus.STARTED
    assert list(DeletedJob.objects.values_list("id", flat=True)) == [fresh_tombstone.id]


def test_retention_zero_keeps_everything(sample, media, settings) -> None:
    settings.REPORT_RETENTION_DAYS = 0
    task_id = done_job(sample)
    age(task_id, 3650)
    assert retention.jobs_expire()["jobs"] == 0
    assert left_of(task_id)["report"] == 1 and files(media) == [f"{task_id}.1.html"]


def test_keep_input_false_drops_the_input_when_the_report_is_stored(
    client, sample, media, settings
) -> None:
    settings.REPORT_KEEP_INPUT = False
    task_id = done_job(sample)
    assert left_of(task_id)["input"] == 0 and left_of(task_id)["report"] == 1
    # The figures do not need the input: they were stored with the report.
    data = client.get(f"/assignment/html/{task_id}/data")
    assert data.status_code == 200 and data.json()["students"][0]["events"] == 1
    failed = new_job(sample)
    JobInput.objects.filter(job_id=uuid.UUID(failed)).update(body=b"{}")
    assert run.job_run(job_id=failed, holder="a/1") == JobStatus.FAILURE
    assert left_of(failed)["input"] == 1  # a failed job keeps it, to be re-run


# --- purge_reports ----------------------------------------------------------------------------


def student(student_id: str, namespace: str = "ns", **extra) -> dict:
    return {
        "namespace": namespace,
        "student_id": student_id,
        "events": [{"type": "run", "created_time": "2024-07-21T03:04:55Z", "unit": 1}],
        **extra,
    }


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_reports", *args, stdout=out)
    return out.getvalue()


def test_purge_erases_every_job_of_the_student(client, sample, media, settings) -> None:
    alone = done_job(student("zoë"))
    pdf = done_job(student("zoë"), "pdf")
    classroom = done_job([student("amy"), student("zoë"), student("bob")])
    pending = new_job(student("zoë"))  # not run yet: only its input names her
    # Her id written with JSON escapes: still found.
    escaped = new_job(json.dumps(student("zoë")).encode())  # "zo\u00eb": still found
    others = [
        done_job(student("zoe")),
        done_job(student("zoë-2")),
        done_job(student("zoë", namespace="other")),
        done_job(student("amy", note="zoë")),  # her id elsewhere in the body
    ]
    out = purge("--student-id", "zoë", "--namespace", "ns", "--dry-run")
    assert "Would erase 5 job(s)" in out
    assert all(left_of(t)["job"] for t in (alone, pdf, classroom, pending, escaped))

    out = purge("--student-id", "zoë", "--namespace", "ns")
    assert "Erasing 5 job(s) holding data about student 'zoë' in namespace 'ns'" in out
    assert f"{classroom}  html  SUCCESS  (3 students: erased whole, with 2 other(s))" in out
    assert "Removed 5 job(s), 5 input(s), 3 report row(s), 3 report file(s)." in out
    for task_id in (alone, pdf, classroom, pending, escaped):
        assert left_of(task_id) == NOTHING
    assert client.get(f"/assignment/html/{classroom}/data").status_code == 404
    assert client.get(f"/assignment/html/{others[0]}/data").status_code == 200
    assert sorted(files(media)) == sorted(f"{t}.1.html" for t in others)
    assert "No job holds data about student 'zoë' in namespace 'ns'." in purge(
        "--student-id", "zoë", "--namespace", "ns"
    )
    # Without --namespace, the other namespace's student of that id goes too.
    assert "Removed 1 job(s)" in purge("--student-id", "zoë")


def test_purge_finds_jobs_whose_input_was_dropped_by_their_report(sample, media, settings) -> None:
    settings.REPORT_KEEP_INPUT = False
    task_id = done_job([student("amy"), student("zoë")])
    assert left_of(task_id)["input"] == 0
    out = purge("--student-id", "zoë", "--namespace", "ns")
    assert "input already dropped: namespace not checked" in out
    assert left_of(task_id) == NOTHING and files(media) == []
