"""Everything the service does, as plain functions: the API and the tasks only call these."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from reports import analysis
from reports.contract import decode_students
from reports.exceptions import Conflict, InvalidInput, TooManyJobs
from reports.models import ACTIVE_STATUSES, JobInput, JobStatus, Report, ReportJob
from reports.renderers import render

logger = logging.getLogger(__name__)


class TransientError(Exception):
    """Worth retrying: a dependency (database, storage, broker) failed, not the input."""


# PostgreSQL channel on which finished jobs are announced (payload: the job id); the
# long-polling selector ``job_wait`` listens on it.
JOB_CHANNEL = "report_jobs"


def job_notify_finished(*, job_id: uuid.UUID | str) -> None:
    """Announce that a job reached SUCCESS or FAILURE, to whoever long-polls it.

    Call it inside the transaction that writes the final status: PostgreSQL delivers a
    NOTIFY only when that transaction commits (and drops it on rollback), so a listener
    never hears of a status it cannot read yet. Other databases have no NOTIFY; waiters
    there poll the row instead.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [JOB_CHANNEL, str(job_id)])


# --- Submitting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    job: ReportJob
    replayed: bool  # True: an Idempotency-Key replay, no new job was made


_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def job_create(
    *,
    kind: str,
    body: bytes,
    student_count: int,
    event_count: int,
    owner: str = "",
    idempotency_key: str | None = None,
    idle_minutes: float | None = None,
) -> Submitted:
    """Store the job and its input; publish it once the transaction has committed.

    With an ``idempotency_key``, a request that repeats an earlier one (same owner, key,
    kind and body, within ``REPORT_IDEMPOTENCY_TTL_SECONDS``) gets the earlier job back; the
    same key with another body is a ``Conflict``. Concurrent twins meet at the unique
    constraint: the loser reads the winner's job.
    """
    body_sha256 = hashlib.sha256(body).hexdigest()
    if idempotency_key is not None:
        if not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise InvalidInput("Idempotency-Key must be 1-255 visible ASCII characters.")
        earlier = _idempotent_replay(
            owner=owner, key=idempotency_key, kind=kind, body_sha256=body_sha256
        )
        if earlier is not None:
            return Submitted(job=earlier, replayed=True)
    jobs_check_capacity()
    try:
        with transaction.atomic():
            job = ReportJob.objects.create(
                kind=kind,
                student_count=student_count,
                event_count=event_count,
                idle_minutes=(
                    settings.REPORT_IDLE_MINUTES if idle_minutes is None else idle_minutes
                ),
                published_at=timezone.now(),
                owner=owner,
                idempotency_key=idempotency_key,
                body_sha256=body_sha256,
            )
            _input_save(job_id=job.id, body=body)
            transaction.on_commit(lambda: job_publish(job_id=job.id, kind=kind))
    except IntegrityError:
        if idempotency_key is None:
            raise
        earlier = _idempotent_replay(
            owner=owner, key=idempotency_key, kind=kind, body_sha256=body_sha256
        )
        if earlier is None:
            raise
        return Submitted(job=earlier, replayed=True)
    _queued.value += 1
    logger.info(
        "job created",
        extra={
            "task_id": str(job.id),
            "kind": kind,
            "students": student_count,
            "events": event_count,
        },
    )
    return Submitted(job=job, replayed=False)


_INPUT_TABLE = JobInput._meta.db_table


def _input_save(*, job_id: uuid.UUID, body: bytes) -> None:
    """Store the body. On PostgreSQL as a binary parameter: Django's client-side binding
    would hex-escape it into the SQL text, more than doubling time and memory on big bodies."""
    if connection.vendor != "postgresql":
        JobInput.objects.create(job_id=job_id, body=body)
        return
    import psycopg

    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"INSERT INTO {_INPUT_TABLE} (job_id, body) VALUES (%s, %b)",  # noqa: S608
            (job_id, body),
        )


def _input_load(*, job_id: uuid.UUID) -> bytes:
    """The stored body, read in binary on PostgreSQL (no hex text to decode)."""
    if connection.vendor != "postgresql":
        return bytes(JobInput.objects.values_list("body", flat=True).get(job_id=job_id))
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"SELECT body FROM {_INPUT_TABLE} WHERE job_id = %s",  # noqa: S608
            (job_id,),
            binary=True,
        )
        row = cursor.fetchone()
    if row is None:
        raise JobInput.DoesNotExist(f"job {job_id} has no input")
    return bytes(row[0])


def _idempotent_replay(*, owner: str, key: str, kind: str, body_sha256: str) -> ReportJob | None:
    """The live job made with this key, if any; an expired key is released for reuse."""
    job = ReportJob.objects.filter(owner=owner, idempotency_key=key).first()
    if job is None:
        return None
    expired_before = timezone.now() - timedelta(seconds=settings.REPORT_IDEMPOTENCY_TTL_SECONDS)
    if job.created_at < expired_before:
        ReportJob.objects.filter(id=job.id, idempotency_key=key).update(idempotency_key=None)
        return None
    if job.kind != kind or job.body_sha256 != body_sha256:
        raise Conflict(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )
    return job


@dataclass
class _QueueCount:
    """This process's last count of queued jobs, plus the jobs it created since."""

    value: int = 0
    at: float = float("-inf")


_queued = _QueueCount()


def jobs_check_capacity() -> None:
    """Refuse new work while the queue is full.

    Counting is a round trip that grows with the backlog (up to the limit: the LIMIT in a
    subquery on the status index bounds it), so a process counts again only when its last
    count is older than REPORT_QUEUE_COUNT_INTERVAL or within 10% of the limit; in between
    it adds the jobs it created itself. The cap is therefore exact near the limit and
    approximate (by what other processes accepted meanwhile) far below it.
    """
    limit = settings.REPORT_MAX_QUEUED_JOBS
    now = time.monotonic()
    if now - _queued.at >= settings.REPORT_QUEUE_COUNT_INTERVAL or _queued.value >= limit * 0.9:
        _queued.value = (
            ReportJob.objects.filter(status__in=ACTIVE_STATUSES).values("id")[:limit].count()
        )
        _queued.at = now
    if _queued.value >= limit:
        retry_after = settings.REPORT_QUEUE_FULL_RETRY_AFTER
        raise TooManyJobs(
            f"{limit} jobs are already waiting or running; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def job_publish(*, job_id: uuid.UUID, kind: str, countdown: float | None = None) -> bool:
    """Send the job's id to its queue. A broker outage is not an error: the row is stored and
    the sweeper publishes it once the broker answers again."""
    from reports.tasks import run_job

    try:
        run_job.apply_async(
            args=[str(job_id)], queue=kind, task_id=str(job_id), countdown=countdown
        )
    except Exception as exc:  # kombu raises a variety of connection errors
        logger.warning("could not publish job %s, the sweeper will: %s", job_id, exc)
        ReportJob.objects.filter(id=job_id).update(published_at=None)
        return False
    return True


# --- Running ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job: ReportJob
    attempt: int


def _lease() -> timedelta:
    return timedelta(seconds=settings.REPORT_JOB_TIME_LIMIT + settings.REPORT_JOB_LEASE_GRACE)


def job_claim(*, job_id: uuid.UUID | str, redelivered: bool = False) -> Claim | None:
    """Move the job to STARTED if nobody else holds it; None means: do nothing.

    A conditional UPDATE makes a duplicate delivery a no-op. A STARTED job is taken over
    only when its message was redelivered (its worker died) or its lease has expired.
    """
    now = timezone.now()
    takeover = Q(status=JobStatus.STARTED, lease_expires_at__lt=now)
    if redelivered:
        takeover = Q(status=JobStatus.STARTED)
    claimable = Q(status__in=[JobStatus.PENDING, JobStatus.RETRY]) | takeover
    updated = ReportJob.objects.filter(
        claimable, id=job_id, attempts__lt=settings.REPORT_JOB_MAX_ATTEMPTS
    ).update(
        status=JobStatus.STARTED,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_expires_at=now + _lease(),
        message="",
    )
    if updated:
        job = ReportJob.objects.get(id=job_id)
        return Claim(job=job, attempt=job.attempts)
    # Out of attempts (each one killed its worker, say): end it instead of looping.
    with transaction.atomic():
        ended = ReportJob.objects.filter(
            claimable, id=job_id, attempts__gte=settings.REPORT_JOB_MAX_ATTEMPTS
        ).update(
            status=JobStatus.FAILURE,
            finished_at=now,
            lease_expires_at=None,
            message=(
                f"Gave up after {settings.REPORT_JOB_MAX_ATTEMPTS} attempts: the job "
                "did not finish (its worker was lost or it kept timing out)."
            ),
        )
        if ended:
            job_notify_finished(job_id=job_id)
    if ended:
        logger.error("job %s failed: out of attempts", job_id)
    return None


def _progress_writer(job_id: uuid.UUID, total: int) -> Callable[[int], None] | None:
    if total < 2:
        return None
    last = 0.0

    def write(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done == total or now - last >= 0.5:
            last = now
            ReportJob.objects.filter(id=job_id).update(progress_done=done)

    return write


def job_run(*, job_id: uuid.UUID | str, redelivered: bool = False) -> JobStatus | None:
    """Run one job to the end. Raises TransientError when a retry may succeed."""
    try:
        claim = job_claim(job_id=job_id, redelivered=redelivered)
    except (OperationalError, InterfaceError) as exc:
        raise TransientError(f"database unavailable: {exc}") from exc
    if claim is None:
        return None
    job = claim.job
    _inject_faults(attempt=claim.attempt)
    try:
        body = _input_load(job_id=job.id)
        report = analysis.build_report(
            decode_students(body),
            idle_minutes=job.idle_minutes,
            on_student=_progress_writer(job.id, job.student_count),
        )
        del body
        rendered = render(report, job.kind)
        report_store(
            job=job,
            report=report,
            content=rendered.content,
            content_type=rendered.content_type,
            extension=rendered.extension,
        )
    except (OperationalError, InterfaceError) as exc:
        raise TransientError(f"database unavailable: {exc}") from exc
    except OSError as exc:
        raise TransientError(f"could not write the report file: {exc}") from exc
    except JobInput.DoesNotExist:
        job_fail(job_id=job.id, message="The job's input is missing; submit it again.")
        logger.error("job failed: input missing", extra={"kind": job.kind})
        return JobStatus.FAILURE
    except (msgspec.DecodeError, ValueError, OverflowError) as exc:
        job_fail(job_id=job.id, message=f"The input could not be turned into a report: {exc}")
        logger.warning("job failed", extra={"kind": job.kind, "outcome": JobStatus.FAILURE})
        return JobStatus.FAILURE
    logger.info(
        "job finished",
        extra={"kind": job.kind, "outcome": JobStatus.SUCCESS, "attempt": claim.attempt},
    )
    return JobStatus.SUCCESS


def _inject_faults(*, attempt: int) -> None:
    """Test-only hooks (off unless their settings are set): a slow first attempt, a job
    that kills the process running it."""
    if settings.REPORT_FAULT_SLEEP_SECONDS and attempt == 1:
        time.sleep(settings.REPORT_FAULT_SLEEP_SECONDS)
    if settings.REPORT_FAULT_KILL_WORKER:
        os.kill(os.getpid(), signal.SIGKILL)


def report_store(
    *, job: ReportJob, report: analysis.Report, content: bytes, content_type: str, extension: str
) -> Report:
    """Write the file (outside any transaction: it may be slow), then the rows, atomically.

    The file name depends only on the job, and the storage overwrites, so running a job
    twice leaves one file and one report row.
    """
    name = default_storage.save(f"reports/{job.id}.{extension}", ContentFile(content))
    student_ids = report.student_ids
    stored = Report(
        job=job,
        task_id=job.id,
        student_id=student_ids[0] if len(student_ids) == 1 else None,
        student_ids=student_ids,
        html=content.decode("utf-8") if extension == "html" else "",
        file=name,
        content_type=content_type,
        size=len(content),
    )
    with transaction.atomic():
        # One INSERT ... ON CONFLICT (job) DO UPDATE: a second run replaces the first's row.
        Report.objects.bulk_create(
            [stored],
            update_conflicts=True,
            unique_fields=["job"],
            update_fields=["student_id", "student_ids", "html", "file", "content_type", "size"],
        )
        ReportJob.objects.filter(id=job.id).update(
            status=JobStatus.SUCCESS,
            finished_at=timezone.now(),
            lease_expires_at=None,
            progress_done=job.student_count,
            message="",
        )
        job_notify_finished(job_id=job.id)
    return stored


def job_fail(*, job_id: uuid.UUID | str, message: str) -> None:
    with transaction.atomic():
        failed = ReportJob.objects.filter(id=job_id, status__in=ACTIVE_STATUSES).update(
            status=JobStatus.FAILURE,
            message=message[:2000],
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        if failed:
            job_notify_finished(job_id=job_id)


def job_mark_retry(*, job_id: uuid.UUID | str, message: str, countdown: float) -> None:
    ReportJob.objects.filter(id=job_id, status=JobStatus.STARTED).update(
        status=JobStatus.RETRY,
        message=message[:2000],
        lease_expires_at=None,
        published_at=timezone.now() + timedelta(seconds=countdown),
    )


def retry_countdown(retries: int) -> float:
    """Exponential backoff with full jitter: up to 1, 2, 4 ... 60 seconds, in whole seconds
    (RabbitMQ's delayed delivery on quorum queues counts whole seconds, from 1)."""
    import random

    return float(random.randint(1, min(60, 2**retries)))  # noqa: S311


def jobs_rerun(*, job_ids: list[uuid.UUID] | list[str]) -> int:
    """Give FAILURE jobs a fresh start: PENDING, no attempts, no message, no result; each
    is published once the transaction commits. Jobs in any other state are left alone.
    Returns how many were reset."""
    with transaction.atomic():
        jobs = list(
            ReportJob.objects.select_for_update()
            .filter(id__in=job_ids, status=JobStatus.FAILURE)
            .values_list("id", "kind")
        )
        ids = [job_id for job_id, _ in jobs]
        ReportJob.objects.filter(id__in=ids).update(
            status=JobStatus.PENDING,
            attempts=0,
            message="",
            progress_done=0,
            started_at=None,
            finished_at=None,
            lease_expires_at=None,
            published_at=timezone.now(),
        )
        for job_id, kind in jobs:
            transaction.on_commit(
                lambda job_id=job_id, kind=kind: job_publish(job_id=job_id, kind=kind)
            )
    if jobs:
        logger.info("re-running %d failed job(s)", len(jobs))
    return len(jobs)


# --- Keeping promises ---------------------------------------------------------------------


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-publish jobs whose message may be lost; end those that are out of attempts.

    PENDING/RETRY jobs published longer ago than the threshold (or never published), and
    STARTED jobs whose lease has expired (their worker died), are published again. The
    claim in ``job_claim`` makes any duplicate delivery a no-op.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.REPORT_SWEEP_PENDING_AFTER)
    lost = ReportJob.objects.filter(
        Q(status__in=[JobStatus.PENDING, JobStatus.RETRY])
        & (Q(published_at__isnull=True) | Q(published_at__lt=stale_before))
        | Q(status=JobStatus.STARTED, lease_expires_at__lt=now)
    ).values_list("id", "kind", "attempts")[:1000]
    republished = failed = 0
    for job_id, kind, attempts in lost:
        if attempts >= settings.REPORT_JOB_MAX_ATTEMPTS:
            job_claim(job_id=job_id)  # ends it as FAILURE with the reason
            failed += 1
            continue
        ReportJob.objects.filter(id=job_id).update(published_at=now)
        if job_publish(job_id=job_id, kind=kind):
            republished += 1
    if republished or failed:
        logger.info("sweep: republished %d job(s), failed %d", republished, failed)
    return {"republished": republished, "failed": failed}
