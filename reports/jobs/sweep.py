"""Keeping promises: publish again what may be lost; start failed jobs afresh on request."""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reports.jobs.claim import give_up_reason, job_end_if_exhausted
from reports.jobs.publish import job_publish
from reports.models import JobStatus, ReportJob
from reports.webhooks.delivery import webhooks_rearm

logger = logging.getLogger(__name__)


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-publish jobs whose message may be lost; end those that are out of attempts.

    PENDING/RETRY jobs published longer ago than the threshold (or never published), and
    STARTED jobs whose lease has expired (their run stopped beating: its worker died), are
    published again, unless ``give_up_reason`` says the job must end (taking a STARTED job
    over counts its run's crash). The claim (``reports.jobs.claim``) makes any duplicate
    delivery a no-op.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.REPORT_SWEEP_PENDING_AFTER)
    lost = ReportJob.objects.filter(
        Q(status__in=[JobStatus.PENDING, JobStatus.RETRY])
        & (Q(published_at__isnull=True) | Q(published_at__lt=stale_before))
        | Q(status=JobStatus.STARTED, lease_expires_at__lt=now)
    ).values_list("id", "kind", "status", "attempts", "crashes")[:1000]
    republished = failed = 0
    for job_id, kind, status, attempts, crashes in lost:
        crashed = int(status == JobStatus.STARTED)
        if give_up_reason(attempts=attempts, crashes=crashes + crashed) is not None:
            failed += job_end_if_exhausted(job_id=job_id, released=None)
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
        webhooks_rearm(job_ids=ids)
        for job_id, kind in jobs:
            transaction.on_commit(functools.partial(job_publish, job_id=job_id, kind=kind))
    if jobs:
        logger.info("re-running %d failed job(s)", len(jobs))
    return len(jobs)
