"""Retention: erase finished jobs older than REPORT_RETENTION_DAYS, in short batches."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from reports.jobs import states
from reports.jobs.erase import Erased, files_remove_leftovers, jobs_erase
from reports.models import DeletedJob

logger = logging.getLogger(__name__)

# Jobs per transaction: each batch locks its rows for a few short statements only.
BATCH = 200
# One run stops after this long; the next run goes on where it stopped.
BUDGET_SECONDS = 120.0


def jobs_expire(
    *, now: datetime | None = None, batch: int = BATCH, budget: float = BUDGET_SECONDS
) -> dict[str, int]:
    """Erase finished jobs created more than REPORT_RETENTION_DAYS ago (input, report row,
    file, webhook rows) and tombstones as old; finish file removals left over. Jobs still
    PENDING, STARTED or RETRY are never touched. Logs what it removed."""
    days = settings.REPORT_RETENTION_DAYS
    erased = Erased()
    tombstones = 0
    if days > 0:
        cutoff = (now or timezone.now()) - timedelta(days=days)
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            ids = states.jobs_expired(created_before=cutoff, batch=batch)
            if not ids:
                break
            step = jobs_erase(job_ids=ids, finished_before=cutoff)
            erased += step
            if step.jobs == 0:  # all of them changed meanwhile (a re-run): next time
                break
        tombstones, _ = DeletedJob.objects.filter(deleted_at__lt=cutoff).delete()
    leftovers = files_remove_leftovers()
    result = {**asdict(erased), "tombstones": tombstones, "leftover_files": leftovers}
    if erased.jobs or tombstones or leftovers:
        logger.info(
            "retention: erased %d job(s) older than %d day(s): %d input(s), %d report(s), "
            "%d file(s); %d tombstone(s); %d leftover file(s)",
            erased.jobs,
            days,
            erased.inputs,
            erased.reports,
            erased.files,
            tombstones,
            leftovers,
            extra={"retention": result},
        )
    return result
