"""Keeping promises: publish again what may be lost; start failed jobs afresh on request."""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reports.jobs import states
from reports.jobs.publish import job_publish
from reports.models import JobStatus, ReportJob
from reports.webhooks.delivery import webhooks_rearm

logger = logging.getLogger(__name__)


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-publish jobs whose message may be lost; end those that are out of attempts.

    PENDING/RETRY jobs published longer ago than the threshold (or never published), and
    STARTED jobs whose lease has expired (their run stopped beating: its worker died), are
    published again, unless ``give_up_reason`` says the job must end (taking a STARTED job
    over counts its run's crash). The claim (``states.job_claim``) makes any duplicate
    delivery a no-op.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.REPORT_SWEEP_PENDING_AFTER)
    republished = failed = 0
    for job_id, kind, status, attempts, crashes in states.jobs_lost(
        now=now, published_before=stale_before
    ):
        crashed = int(status == JobStatus.STARTED)
        if states.give_up_reason(attempts=attempts, crashes=crashes + crashed) is not None:
            failed += states.job_end_if_exhausted(job_id=job_id, released=None)
            continue
        ReportJob.objects.filter(id=job_id).update(published_at=now)
        if job_publish(job_id=job_id, kind=kind):
            republished += 1
    if republished or failed:
        logger.info("sweep: republished %d job(s), failed %d", republished, failed)
    return {"republished": republished, "failed": failed}


def jobs_rerun(*, job_ids: list[uuid.UUID] | list[str]) -> int:
    """Give FAILURE jobs a fresh start: PENDING, no attempts, no message, no result; each
    is published once the transaction commits. Jobs in any other state are left alone.
    The fence keeps counting, so a run from before cannot finish the new one. Returns how
    many were reset."""
    with transaction.atomic():
        jobs = states.jobs_restart(job_ids=job_ids)
        webhooks_rearm(job_ids=[job_id for job_id, _ in jobs])
        for job_id, kind in jobs:
            transaction.on_commit(functools.partial(job_publish, job_id=job_id, kind=kind))
    if jobs:
        logger.info("re-running %d failed job(s)", len(jobs))
    return len(jobs)
