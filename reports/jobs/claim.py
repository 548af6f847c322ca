"""Claiming a job: who runs it, under which fencing token, and when another may take over.

A claim is one conditional ``UPDATE … RETURNING`` that also reads the job's input, so a
duplicate delivery changes nothing and costs one round trip. Every claim increments the
job's ``fence``; only the run holding the current value may store a report or end the job
(``reports.jobs.run``). A STARTED job is taken over only when its holder is known to be
gone: its lease expired (the hard time limit plus a grace: a live run cannot outlast it),
the run itself gave it up (``released``: a retry after a transient error), or the worker
that saw its pool process die said so (``job_release``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reports.jobs import db
from reports.jobs.notify import job_notify_finished
from reports.models import JobInput, JobStatus, ReportJob
from reports.webhooks.delivery import webhook_after_commit

logger = logging.getLogger(__name__)

_JOB = ReportJob._meta.db_table
_INPUT = JobInput._meta.db_table
_CLAIM = f"""
UPDATE {_JOB} SET status = 'STARTED', attempts = attempts + 1, fence = fence + 1,
    started_at = %s, lease_expires_at = %s, message = '', worker = %s
WHERE id = %s AND attempts < %s AND (
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


def lease() -> timedelta:
    return timedelta(seconds=settings.REPORT_JOB_TIME_LIMIT + settings.REPORT_JOB_LEASE_GRACE)


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
            db.timestamp(now),
            db.timestamp(now + lease()),
            holder,
            db.pk(job_id),
            settings.REPORT_JOB_MAX_ATTEMPTS,
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


def job_end_if_exhausted(*, job_id: uuid.UUID, released: int | None) -> None:
    """A job that could have been claimed but for its attempts (each one killed its worker,
    say) ends as FAILURE instead of looping."""
    now = timezone.now()
    claimable = Q(status__in=[JobStatus.PENDING, JobStatus.RETRY]) | Q(
        status=JobStatus.STARTED, lease_expires_at__lt=now
    )
    if released is not None:
        claimable |= Q(status=JobStatus.STARTED, fence=released)
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
            webhook_after_commit(job_id=job_id)
    if ended:
        logger.error("job %s failed: out of attempts", job_id)


def job_release(*, job_id: uuid.UUID | str, holder: str) -> bool:
    """End ``holder``'s lease on the job at once: its process is known to be dead (the
    Celery worker saw its pool process die), so the job's redelivered message may take
    it over without waiting for the lease to expire."""
    released = ReportJob.objects.filter(id=job_id, status=JobStatus.STARTED, worker=holder).update(
        lease_expires_at=timezone.now() - timedelta(microseconds=1)
    )
    if released:
        logger.warning("job %s: its run on %s died; released for another run", job_id, holder)
    return bool(released)
