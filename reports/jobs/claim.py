"""Claiming a job: who runs it, under which fencing token, and when another may take over.

A claim is one conditional ``UPDATE … RETURNING`` that also reads the job's input, so a
duplicate delivery changes nothing and costs one round trip. Every claim increments the
job's ``fence``; only the run holding the current value may store a report or end the job
(``reports.jobs.run``). A STARTED job is taken over only when its holder is known to be
gone: its lease expired (a run renews it with a heartbeat, ``reports.jobs.heartbeat``:
three missed beats and it is presumed dead), the run itself gave it up (``released``: a
retry after a transient error), or the worker that saw its pool process die said so
(``job_release``). Taking a job over from a run that did not give it up counts a crash;
``give_up_reason`` is the one rule that ends a job instead (attempts, crashes).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reports.jobs import db
from reports.jobs.heartbeat import lease
from reports.jobs.notify import job_notify_finished
from reports.models import ACTIVE_STATUSES, JobInput, JobStatus, ReportJob
from reports.webhooks.delivery import webhook_after_commit

logger = logging.getLogger(__name__)

_JOB = ReportJob._meta.db_table
_INPUT = JobInput._meta.db_table
# 1 when the claim takes the job over from a run that did not give it up (its lease ran
# out, or its worker saw it die): that run crashed. The parameter is ``released``; both
# databases evaluate SET and WHERE on the row as it was.
_CRASHED = "(CASE WHEN status <> 'STARTED' OR fence = %s THEN 0 ELSE 1 END)"
# The WHERE is give_up_reason's rule (attempts, then crashes), so a job that must end is
# never claimed: job_end_if_exhausted then ends it.
_CLAIM = f"""
UPDATE {_JOB} SET status = 'STARTED', attempts = attempts + 1, fence = fence + 1,
    crashes = crashes + {_CRASHED},
    started_at = %s, lease_expires_at = %s, message = '', worker = %s
WHERE id = %s AND attempts < %s AND crashes + {_CRASHED} < %s AND (
    status IN ('PENDING', 'RETRY')
    OR (status = 'STARTED' AND (lease_expires_at < %s OR fence = %s)))
RETURNING fence, attempts, kind, idle_minutes, student_count,
    (SELECT body FROM {_INPUT} WHERE job_id = {_JOB}.id), has_callback, timezone
"""  # noqa: S608


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
    row = db.fetchone(
        _CLAIM,
        [
            released,
            db.timestamp(now),
            db.timestamp(now + lease()),
            holder,
            db.pk(job_id),
            settings.REPORT_JOB_MAX_ATTEMPTS,
            released,
            settings.REPORT_JOB_MAX_CRASHES,
            db.timestamp(now),
            released,
        ],
        binary=True,
    )
    if row is not None:
        fence, attempt, kind, idle_minutes, students, body, callback, zone = row
        claim = Claim(
            job_id, fence, attempt, kind, idle_minutes, students, holder, bool(callback), zone
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
        job_notify_finished(job_id=job_id)
        webhook_after_commit(job_id=job_id)
    logger.error("job %s failed: %s", job_id, reason)
    return True


def _crashed(job: ReportJob, *, released: int | None, now: datetime) -> int | None:
    """As _CRASHED: 1 if taking the job over counts a crash, 0 if not; None if a live run
    holds it (it cannot be taken over)."""
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
