"""The transitions that are not hot, through the ORM, and the claim's rules around its SQL."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from reports.jobs.states.sql import claim_row, job_announce
from reports.models import ACTIVE_STATUSES, FINISHED_STATUSES, JobStatus, ReportJob
from reports.webhooks.delivery import webhook_after_commit

logger = logging.getLogger(__name__)

# Beats a run may miss before its job is presumed abandoned: one slow database round trip,
# or a long stretch in C code holding the GIL, must not look like death.
MISSED_BEATS = 3


def lease() -> timedelta:
    """How long a claim, or a beat, holds the job."""
    return timedelta(seconds=settings.REPORT_JOB_HEARTBEAT_SECONDS * MISSED_BEATS)


@dataclass(frozen=True)
class Claim:
    job_id: uuid.UUID
    fence: int  # this run's fencing token
    attempt: int
    kind: str
    idle_minutes: float
    student_count: int
    holder: str
    has_callback: bool = False  # its end is delivered to a callback_url (reports.webhooks)
    timezone: str = "UTC"  # where the report shows its times
    attention: str = ""  # the request's ?attention[...] thresholds, JSON ("" none)
    language: str = "en"  # the report's language (reports.report.languages)
    source: str = ""  # where the events came from: report.model.Source as JSON ("" own JSON)


def job_claim(
    *, job_id: uuid.UUID | str, holder: str, released: int | None = None
) -> tuple[Claim, bytes | None] | None:
    """Move the job to STARTED for ``holder`` and read its input; None: nothing to do.

    ``released`` is the fence of a run of this job that ended without finishing it (the
    retry of a transient error): that run no longer holds the job, so it may be taken over.
    The input is None when it is missing.
    """
    job_id = uuid.UUID(str(job_id))
    now = timezone.now()
    row = claim_row(job_id=job_id, holder=holder, released=released, now=now, until=now + lease())
    if row is not None:
        fence, attempt, kind, idle_minutes, students, body, callback, *options = row
        # The rest of the row is the job's report settings, in Claim's order: time zone,
        # attention thresholds, language, source.
        claim = Claim(
            job_id, fence, attempt, kind, idle_minutes, students, holder, bool(callback), *options
        )
        return claim, None if body is None else bytes(body)
    job_end_if_exhausted(job_id=job_id, released=released)
    return None


def give_up_reason(*, attempts: int, crashes: int) -> str | None:
    """Why a job may not run again, or None: the one rule (the claim's WHERE says the same)."""
    if attempts >= settings.REPORT_JOB_MAX_ATTEMPTS:
        return (
            f"Gave up after {settings.REPORT_JOB_MAX_ATTEMPTS} attempts: the job "
            "did not finish (its worker was lost or it kept timing out)."
        )
    if crashes >= settings.REPORT_JOB_MAX_CRASHES:
        return (
            f"The job stopped its worker {crashes} times, so it is not run again: "
            "it needs more memory or time than a worker has, or hits a bug."
        )
    return None


def job_end_if_exhausted(*, job_id: uuid.UUID, released: int | None) -> bool:
    """A job that could have been claimed but for give_up_reason (each run killed its
    worker, say) ends as FAILURE instead of looping. Taking it over from a run that crashed
    counts that crash here too, as the claim would have."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update()
            .filter(id=job_id, status__in=ACTIVE_STATUSES)
            .only("status", "fence", "lease_expires_at", "attempts", "crashes")
            .first()
        )
        crashed = None if job is None else _crashed(job, released=released, now=now)
        if job is None or crashed is None:
            return False  # finished, or a live run holds it
        reason = give_up_reason(attempts=job.attempts, crashes=job.crashes + crashed)
        if reason is None:
            return False
        ReportJob.objects.filter(id=job_id).update(
            status=JobStatus.FAILURE,
            finished_at=now,
            lease_expires_at=None,
            crashes=job.crashes + crashed,
            message=reason,
        )
        job_announce(job_id=job_id)
        webhook_after_commit(job_id=job_id)
    logger.error("job %s failed: %s", job_id, reason)
    return True


def _crashed(job: ReportJob, *, released: int | None, now: datetime) -> int | None:
    """As the claim's CASE: 1 if taking the job over counts a crash, 0 if not; None if a
    live run holds it (it cannot be taken over)."""
    if job.status != JobStatus.STARTED or job.fence == released:
        return 0
    if job.lease_expires_at is not None and job.lease_expires_at < now:
        return 1
    return None


def job_release(*, job_id: uuid.UUID | str, holder: str) -> bool:
    """End ``holder``'s lease on the job at once: its process is known to be dead (the
    Celery worker saw its pool process die), so the job's redelivered message may take
    it over without waiting for the lease to expire. That claim counts the crash."""
    released = ReportJob.objects.filter(id=job_id, status=JobStatus.STARTED, worker=holder).update(
        lease_expires_at=timezone.now() - timedelta(microseconds=1)
    )
    if released:
        logger.warning("job %s: its run on %s died; released for another run", job_id, holder)
    return bool(released)


def job_heartbeat(*, job_id: uuid.UUID | str, fence: int) -> bool:
    """Renew the lease of the run holding ``fence``; False when that run no longer holds the
    job (it ended, or a newer run took it over), which then keeps its own lease."""
    return bool(_held(job_id, fence).update(lease_expires_at=timezone.now() + lease()))


def job_progress(*, job_id: uuid.UUID | str, fence: int, done: int) -> None:
    """How many of its students the run holding ``fence`` has built; announced on the job
    channel (after the update commits), so that a held status read shows it at once."""
    if _held(job_id, fence).update(progress_done=done):
        job_announce(job_id=job_id)


def _held(job_id: uuid.UUID | str, fence: int) -> QuerySet[ReportJob]:
    return ReportJob.objects.filter(id=job_id, status=JobStatus.STARTED, fence=fence)


def job_fail(
    *,
    job_id: uuid.UUID | str,
    message: str,
    fence: int | None = None,
    holder: str | None = None,
    crashed: bool = False,
) -> bool:
    """End an unfinished job as FAILURE. With ``fence`` or ``holder``, only while that run
    still holds it (a stale run cannot fail a job another run is finishing). ``crashed``:
    the run stopped its worker (a hard time limit), counted with the job's crashes."""
    jobs = ReportJob.objects.filter(id=job_id, status__in=ACTIVE_STATUSES)
    if fence is not None:
        jobs = jobs.filter(fence=fence)
    if holder is not None:
        jobs = jobs.filter(worker=holder, status=JobStatus.STARTED)
    with transaction.atomic():
        failed = jobs.update(
            status=JobStatus.FAILURE,
            message=message[:2000],
            finished_at=timezone.now(),
            lease_expires_at=None,
            crashes=F("crashes") + int(crashed),
        )
        if failed:
            job_announce(job_id=job_id)
            webhook_after_commit(job_id=job_id)
    return bool(failed)


def job_mark_retry(
    *, job_id: uuid.UUID | str, fence: int | None, message: str, countdown: float
) -> None:
    """STARTED → RETRY for the run holding ``fence``, which gave the job up to be run again
    in ``countdown`` seconds, if the database lets us: when the database is what failed,
    the retry is scheduled anyway (it carries the fence it may take over)."""
    if fence is None:
        return
    retry_at = timezone.now() + timedelta(seconds=countdown)
    try:
        _held(job_id, fence).update(
            status=JobStatus.RETRY,
            message=message[:2000],
            lease_expires_at=None,
            published_at=retry_at,
        )
    except (OperationalError, InterfaceError) as exc:
        logger.warning("job %s: could not record the retry (%s); retrying anyway", job_id, exc)


def jobs_lost(
    *, now: datetime, published_before: datetime
) -> list[tuple[uuid.UUID, str, str, int, int]]:
    """The sweeper's: (id, kind, status, attempts, crashes) of jobs whose message may be
    lost (PENDING or RETRY published before ``published_before``, or never) and of STARTED
    jobs whose lease ran out (their run stopped beating). At most 1000."""
    lost = ReportJob.objects.filter(
        Q(status__in=[JobStatus.PENDING, JobStatus.RETRY])
        & (Q(published_at__isnull=True) | Q(published_at__lt=published_before))
        | Q(status=JobStatus.STARTED, lease_expires_at__lt=now)
    ).values_list("id", "kind", "status", "attempts", "crashes")[:1000]
    return list(lost)


def jobs_restart(*, job_ids: Sequence[uuid.UUID | str]) -> list[tuple[uuid.UUID, str]]:
    """FAILURE → PENDING: no attempts, no message, no result; the fence keeps counting, so
    a run from before cannot finish the new one. In the caller's transaction; (id, kind)
    of the jobs reset (jobs in any other state are left alone)."""
    jobs = list(
        ReportJob.objects.select_for_update()
        .filter(id__in=list(job_ids), status=JobStatus.FAILURE)
        .values_list("id", "kind")
    )
    ReportJob.objects.filter(id__in=[job_id for job_id, _ in jobs]).update(
        status=JobStatus.PENDING,
        attempts=0,
        message="",
        progress_done=0,
        started_at=None,
        finished_at=None,
        lease_expires_at=None,
        published_at=timezone.now(),
    )
    return jobs


def jobs_lock_for_erase(
    *, job_ids: Sequence[uuid.UUID | str], finished_before: datetime | None = None
) -> list[tuple[uuid.UUID, str, int, str]]:
    """The jobs to erase, locked (a run building one cannot store its report meanwhile: its
    fenced finish then finds no row), as (id, kind, fence, owner). With ``finished_before``
    only SUCCESS and FAILURE jobs created before it (retention). In the caller's
    transaction."""
    jobs = ReportJob.objects.select_for_update().filter(id__in=list(job_ids)).order_by("id")
    if finished_before is not None:
        jobs = jobs.filter(status__in=FINISHED_STATUSES, created_at__lt=finished_before)
    return list(jobs.values_list("id", "kind", "fence", "owner"))


def jobs_expired(*, created_before: datetime, batch: int) -> list[uuid.UUID]:
    """Retention's next batch: ids of SUCCESS and FAILURE jobs created before the cutoff."""
    jobs = ReportJob.objects.filter(status__in=FINISHED_STATUSES, created_at__lt=created_before)
    return list(jobs.order_by().values_list("id", flat=True)[:batch])
