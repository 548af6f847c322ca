"""The job lifecycle in this process, on the configured database: claims, fencing, release,
retries. (The same rules under real worker processes: tests/test_faults.py.)"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from reports.jobs import db, run, states, submit
from reports.models import JobStatus, Report, ReportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path / "reports"


def new_job(sample: dict, kind: str = "html") -> str:
    body = json.dumps(sample).encode()
    job = submit.job_create(kind=kind, body=body, student_count=1, event_count=1).job
    return str(job.id)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def expire_lease(task_id: str) -> None:
    ReportJob.objects.filter(id=task_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def claimed(task_id: str, holder: str) -> tuple[states.Claim, bytes]:
    """The job, taken by ``holder``, and its input: both must be there."""
    taken = states.job_claim(job_id=task_id, holder=holder)
    assert taken is not None and taken[1] is not None
    return taken[0], taken[1]


def test_a_duplicate_delivery_of_a_finished_job_does_nothing(sample, media) -> None:
    task_id = new_job(sample)
    assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.SUCCESS
    assert run.job_run(job_id=task_id, holder="b/2") is None
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.attempts, job.fence, job.worker) == ("SUCCESS", 1, 1, "a/1")
    assert files(media) == [f"{task_id}.1.html"]


def test_a_running_job_is_not_taken_over_while_its_lease_holds(sample) -> None:
    task_id = new_job(sample)
    assert states.job_claim(job_id=task_id, holder="a/1") is not None
    assert states.job_claim(job_id=task_id, holder="b/2") is None  # e.g. a redelivery
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.fence, job.worker) == ("STARTED", 1, "a/1")


def test_a_stale_run_cannot_store_over_the_run_that_took_the_job_over(sample, media) -> None:
    task_id = new_job(sample)
    stale, body = claimed(task_id, "a/1")
    expire_lease(task_id)  # a slow run, past its lease: another worker takes the job over
    assert run.job_run(job_id=task_id, holder="b/2") == JobStatus.SUCCESS
    report, rendered = run.job_build(claim=stale, body=body)
    assert run.report_store(claim=stale, report=report, rendered=rendered) is False
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.fence, job.worker) == ("SUCCESS", 2, "b/2")
    assert Report.objects.get(task_id=task_id).file.name == f"reports/{task_id}.2.html"
    assert files(media) == [f"{task_id}.2.html"]  # the stale run removed its own file
    assert states.job_fail(job_id=task_id, fence=stale.fence, message="late") is False


def test_a_stale_run_finishing_first_cannot_store_while_the_new_holder_runs(sample, media) -> None:
    """The other order: the run that lost its lease ends while the new holder is still
    working; only the fence, not the status, can tell them apart."""
    task_id = new_job(sample)
    stale, body = claimed(task_id, "a/1")
    expire_lease(task_id)
    current, _ = claimed(task_id, "b/2")
    report, rendered = run.job_build(claim=stale, body=body)
    assert run.report_store(claim=stale, report=report, rendered=rendered) is False
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.fence, job.worker) == ("STARTED", 2, "b/2")
    assert not Report.objects.filter(task_id=task_id).exists()
    assert files(media) == []
    report, rendered = run.job_build(claim=current, body=body)
    assert run.report_store(claim=current, report=report, rendered=rendered) is True
    assert Report.objects.get(task_id=task_id).file.name == f"reports/{task_id}.2.html"


def test_the_run_that_wins_removes_the_files_of_earlier_runs(sample, media) -> None:
    task_id = new_job(sample)
    assert states.job_claim(job_id=task_id, holder="a/1") is not None
    media.mkdir(parents=True)
    (media / f"{task_id}.1.html").write_text("written by a run that then died")
    expire_lease(task_id)
    assert run.job_run(job_id=task_id, holder="b/2") == JobStatus.SUCCESS
    assert files(media) == [f"{task_id}.2.html"]


def test_a_run_that_gave_the_job_up_can_be_taken_over_at_once(sample, media) -> None:
    """The retry of a transient error carries the fence its run held (``released``)."""
    task_id = new_job(sample)
    first, _ = claimed(task_id, "a/1")
    assert run.job_run(job_id=task_id, holder="b/2", released=first.fence + 7) is None
    assert run.job_run(job_id=task_id, holder="b/2", released=first.fence) == JobStatus.SUCCESS
    assert ReportJob.objects.get(id=task_id).fence == 2


def test_a_dead_holder_is_released_only_by_its_own_name(sample) -> None:
    task_id = new_job(sample)
    states.job_claim(job_id=task_id, holder="node@a/41")
    assert states.job_release(job_id=task_id, holder="node@a/42") is False
    assert states.job_claim(job_id=task_id, holder="node@b/7") is None
    assert states.job_release(job_id=task_id, holder="node@a/41") is True
    taken = states.job_claim(job_id=task_id, holder="node@b/7")
    assert taken is not None and taken[0].fence == 2


def test_object_storage_out_of_reach_is_retried_not_a_bug(sample, monkeypatch) -> None:
    """S3 that cannot be reached (a partitioned worker host, an outage) gives the job up for
    a retry, like a disk that cannot be written, instead of failing the task unexpectedly
    and leaving the job to wait for its lease."""
    from botocore.exceptions import EndpointConnectionError

    def unreachable(name: str, content: bytes) -> str:
        raise EndpointConnectionError(endpoint_url=f"http://s3.internal:9000/{name}")

    monkeypatch.setattr(run, "save_report_file", unreachable)
    task_id = new_job(sample)
    with pytest.raises(run.TransientError, match="could not write the report file") as raised:
        run.job_run(job_id=task_id, holder="worker@host-b/1")
    assert raised.value.fence == 1


def test_failing_is_fenced_by_holder(sample) -> None:
    task_id = new_job(sample)
    states.job_claim(job_id=task_id, holder="a/1")
    assert states.job_fail(job_id=task_id, holder="b/2", message="not mine") is False
    assert states.job_fail(job_id=task_id, holder="a/1", message="too long") is True
    assert ReportJob.objects.get(id=task_id).status == JobStatus.FAILURE


def test_retry_is_recorded_only_for_the_holding_run(sample) -> None:
    task_id = new_job(sample)
    first, _ = claimed(task_id, "a/1")
    states.job_mark_retry(job_id=task_id, fence=first.fence + 1, message="x", countdown=1)
    assert ReportJob.objects.get(id=task_id).status == JobStatus.STARTED
    states.job_mark_retry(job_id=task_id, fence=first.fence, message="db down", countdown=1)
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.message, job.lease_expires_at) == ("RETRY", "db down", None)


def test_a_job_out_of_attempts_ends_as_failure(sample, settings) -> None:
    settings.REPORT_JOB_MAX_ATTEMPTS = 2
    task_id = new_job(sample)
    for holder in ("a/1", "b/2"):
        assert states.job_claim(job_id=task_id, holder=holder) is not None
        expire_lease(task_id)
    assert states.job_claim(job_id=task_id, holder="c/3") is None
    job = ReportJob.objects.get(id=task_id)
    assert job.status == JobStatus.FAILURE and job.message.startswith("Gave up after 2")


def test_missing_input_fails_the_job(sample) -> None:
    from reports.models import JobInput

    task_id = new_job(sample)
    JobInput.objects.filter(job_id=uuid.UUID(task_id)).delete()
    assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.FAILURE
    assert ReportJob.objects.get(id=task_id).message == "The job's input is missing."


def test_a_report_file_is_written_whole_and_never_over_another(tmp_path, settings) -> None:
    from django.core.files.storage import storages

    from reports.jobs.files import save_report_file

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    content = bytes(range(256)) * 1000
    assert save_report_file("reports/a.1.pdf", content) == "reports/a.1.pdf"
    assert (tmp_path / "reports" / "a.1.pdf").read_bytes() == content
    # The same name again (not expected: fences only grow) keeps the first file.
    other = save_report_file("reports/a.1.pdf", b"second")
    assert other != "reports/a.1.pdf"
    assert (tmp_path / "reports" / "a.1.pdf").read_bytes() == content
    assert storages["default"].open(other).read() == b"second"


def _drop_this_connection() -> None:
    """What a database restart does to an idle connection: its server process is ended
    (from another connection, waiting until it is gone); this side does not know yet."""
    params = connection.settings_dict
    pid = connection.connection.info.backend_pid
    with psycopg.connect(
        host=params["HOST"], port=params["PORT"] or 5432, user=params["USER"],
        password=params["PASSWORD"], dbname=params["NAME"], autocommit=True,
    ) as other:  # fmt: skip
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="autocommit INSERTs and a server to end"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_post_on_a_connection_the_database_dropped_is_stored_once(sample) -> None:
    """The POST's INSERT goes without a health check first: a connection found broken is
    replaced and the statement sent again, so the request still succeeds."""
    first = new_job(sample)
    _drop_this_connection()
    second = new_job(sample)
    assert ReportJob.objects.filter(id__in=[first, second]).count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_insert_stored_before_its_connection_broke_counts_as_done_not_as_a_conflict(
    sample,
) -> None:
    job = ReportJob(
        kind="html",
        student_count=1,
        event_count=1,
        idle_minutes=10,
        body_sha256="0" * 64,
        created_at=timezone.now(),
        published_at=timezone.now(),
    )
    sql, params = db.insert_row(job)
    db.insert_once(sql, params, primary_key="reports_reportjob_pkey")
    _drop_this_connection()
    # The first try fails on the broken connection; the second finds the row stored.
    db.insert_once(sql, params, primary_key="reports_reportjob_pkey")
    assert ReportJob.objects.filter(id=job.id).count() == 1
    with pytest.raises(IntegrityError):  # on a sound connection a duplicate is a conflict
        db.insert_once(sql, params, primary_key="reports_reportjob_pkey")


@postgresql_only
def test_big_values_are_compressed_with_lz4_where_postgresql_has_it() -> None:
    """Migration 0006: a job's body and a report's HTML and data use LZ4 (faster than the
    default pglz at storing and reading a big body)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute "
            "WHERE attrelid IN ('reports_jobinput'::regclass, 'reports_report'::regclass) "
            "AND attname IN ('body', 'html', 'data_json', 'data_csv')"
        )
        found = {(table, column): method for table, column, method in cursor.fetchall()}
    assert found == {
        ("reports_jobinput", "body"): "l",
        ("reports_report", "html"): "l",
        ("reports_report", "data_json"): "l",
        ("reports_report", "data_csv"): "l",
    }


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_status_read_on_a_connection_the_database_dropped_still_answers(sample) -> None:
    """The status read goes without a health check first, as the POST's INSERT does: a
    connection found broken is replaced and the read run again."""
    from reports.jobs import selectors

    task_id = new_job(sample)
    _drop_this_connection()
    job = selectors.job_get(task_id=task_id, kind="html")
    assert job is not None and str(job.id) == task_id


# --- Quarantine and heartbeat -----------------------------------------------------------


def lease_of(task_id: str) -> datetime:
    lease = ReportJob.objects.get(id=task_id).lease_expires_at
    assert lease is not None
    return lease


def test_a_job_whose_runs_keep_dying_is_quarantined_after_max_crashes(sample, settings) -> None:
    """Each takeover from a run whose lease ran out (or that its worker saw die) counts a
    crash; at REPORT_JOB_MAX_CRASHES the job ends instead of running a third time. A run
    that gave the job up itself (a retry) is no crash."""
    settings.REPORT_JOB_MAX_CRASHES = 2
    task_id = new_job(sample)
    first, _ = claimed(task_id, "a/1")
    assert run.job_run(job_id=task_id, holder="b/2", released=first.fence + 7) is None
    given_up = states.job_claim(job_id=task_id, holder="b/2", released=first.fence)
    assert given_up is not None
    assert ReportJob.objects.get(id=task_id).crashes == 0
    expire_lease(task_id)  # run 2 died
    assert states.job_claim(job_id=task_id, holder="c/3") is not None
    assert ReportJob.objects.get(id=task_id).crashes == 1
    states.job_release(job_id=task_id, holder="c/3")  # run 3 died, its worker saw it
    assert states.job_claim(job_id=task_id, holder="d/4") is None
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.crashes, job.attempts) == ("FAILURE", 2, 3)
    assert job.message.startswith("The job stopped its worker 2 times")


def test_the_sweeper_ends_a_quarantined_job_instead_of_publishing_it(sample, settings) -> None:
    from reports.jobs import sweep

    settings.REPORT_JOB_MAX_CRASHES = 1
    task_id = new_job(sample)
    assert states.job_claim(job_id=task_id, holder="a/1") is not None
    expire_lease(task_id)  # its heartbeat went silent: the run is dead
    assert sweep.jobs_sweep() == {"republished": 0, "failed": 1}
    job = ReportJob.objects.get(id=task_id)
    assert (job.status, job.crashes) == ("FAILURE", 1)
    assert job.message.startswith("The job stopped its worker 1 times")


def test_a_stale_runs_heartbeat_does_not_extend_the_newer_runs_lease(sample) -> None:

    task_id = new_job(sample)
    stale, _ = claimed(task_id, "a/1")
    expire_lease(task_id)
    newer, _ = claimed(task_id, "b/2")
    lease = lease_of(task_id)
    assert states.job_heartbeat(job_id=task_id, fence=stale.fence) is False
    assert lease_of(task_id) == lease
    assert states.job_heartbeat(job_id=task_id, fence=newer.fence) is True
    assert lease_of(task_id) > lease


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_while_the_run_lasts_and_stops_with_it(
    sample, settings
) -> None:
    """A thread of the run's process, on its own connection (committed rows only: hence a
    transactional test), beating while the block runs and gone once it ends."""
    import threading
    import time

    from reports.jobs import heartbeat

    settings.REPORT_JOB_HEARTBEAT_SECONDS = 0.2
    task_id = new_job(sample)
    run_1, _ = claimed(task_id, "a/1")
    claimed_lease = lease_of(task_id)
    assert claimed_lease <= timezone.now() + timedelta(seconds=0.6)  # 3 beats
    with heartbeat.job_heartbeat_running(job_id=run_1.job_id, fence=run_1.fence):
        time.sleep(1.5)  # long past the claim's lease
        assert lease_of(task_id) > timezone.now()
        assert [t for t in threading.enumerate() if t.name.startswith("heartbeat-")]
    assert not [t for t in threading.enumerate() if t.name.startswith("heartbeat-")]
    time.sleep(0.7)
    assert lease_of(task_id) < timezone.now()
