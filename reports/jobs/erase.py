"""Erasing jobs: their rows (job, input, report, webhook) in one transaction, then files."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from reports.jobs import states
from reports.jobs.run import report_file_name
from reports.models import (
    DeletedJob,
    FileDeletion,
    JobInput,
    Report,
    ReportJob,
    WebhookAttempt,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)


@dataclass
class Erased:
    jobs: int = 0
    inputs: int = 0
    reports: int = 0
    files: int = 0  # stored report files (the rows' files) removed

    def __iadd__(self, other: Erased) -> Erased:
        self.jobs += other.jobs
        self.inputs += other.inputs
        self.reports += other.reports
        self.files += other.files
        return self


def _file_names(job_id: uuid.UUID, kind: str, fence: int) -> set[str]:
    """Every name a run of the job may have written: one per fence (a run that died
    between writing its file and storing its row leaves one behind)."""
    return {report_file_name(job_id=job_id, fence=f, extension=kind) for f in range(1, fence + 1)}


def jobs_erase(
    *,
    job_ids: Sequence[uuid.UUID | str],
    finished_before: datetime | None = None,
    tombstone: bool = False,
) -> Erased:
    """Delete the jobs and everything stored about them; the files once the rows are gone.

    The job rows are locked first, so a run that is building one of them cannot store its
    report meanwhile: its fenced store then finds no row and removes its own file
    (``reports.jobs.run.report_store``). With ``finished_before`` only jobs that finished
    and were created before it are erased (retention: a running job is never touched).
    ``tombstone`` keeps each job's id and owner (``DeletedJob``): an API deletion answers
    the same when repeated. The file names go into ``FileDeletion`` in the same
    transaction, so a crash before the files are gone leaves work, not files.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = states.jobs_lock_for_erase(job_ids=job_ids, finished_before=finished_before)
        if not rows:
            return Erased()
        ids = [row[0] for row in rows]
        stored = [
            name
            for name in Report.objects.filter(job_id__in=ids).values_list("file", flat=True)
            if name
        ]
        names = set(stored)
        for job_id, kind, fence, _ in rows:
            names |= _file_names(job_id, kind, fence)
        # Children first; the delivery row before its attempts (an attempt being recorded
        # holds it: see reports.webhooks.delivery).
        WebhookDelivery.objects.filter(job_id__in=ids).delete()
        WebhookAttempt.objects.filter(job_id__in=ids).delete()
        inputs, _ = JobInput.objects.filter(job_id__in=ids).delete()
        reports, _ = Report.objects.filter(job_id__in=ids).delete()
        ReportJob.objects.filter(id__in=ids).delete()
        FileDeletion.objects.bulk_create(
            [FileDeletion(name=name, created_at=now) for name in sorted(names)],
            ignore_conflicts=True,
        )
        if tombstone:
            DeletedJob.objects.bulk_create(
                [
                    DeletedJob(id=job_id, kind=kind, owner=owner, deleted_at=now)
                    for job_id, kind, _, owner in rows
                ],
                ignore_conflicts=True,
            )
    files_remove(names=names)
    return Erased(jobs=len(ids), inputs=inputs, reports=reports, files=len(stored))


def files_remove(*, names: Iterable[str]) -> int:
    """Remove the files from the storage, then their FileDeletion rows. A storage error
    leaves the rows for the next retention run. Returns how many names were handled."""
    done = []
    for name in names:
        try:
            default_storage.delete(name)
        except Exception as exc:  # local OSError, botocore's errors: retried later
            logger.warning("could not remove %s (will retry): %s", name, exc)
            continue
        done.append(name)
    FileDeletion.objects.filter(name__in=done).delete()
    return len(done)


def files_remove_leftovers(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Files whose rows were erased but whose removal did not finish (a crash, storage
    down): removed now."""
    before = timezone.now() - older_than
    names = list(
        FileDeletion.objects.filter(created_at__lt=before).values_list("name", flat=True)[:1000]
    )
    return files_remove(names=names) if names else 0


def job_delete(*, task_id: str, kind: str, owner: str | None) -> bool:
    """The API's DELETE: erase the job (running or not) and leave a tombstone. True when the
    job is gone now, or was deleted before by this owner; False: no such job (unknown id,
    another kind, or, with API keys, another key's job), exactly as a read would say."""
    try:
        job_id = uuid.UUID(task_id)
    except ValueError:
        return False
    jobs = ReportJob.objects.filter(id=job_id, kind=kind)
    tombstones = DeletedJob.objects.filter(id=job_id, kind=kind)
    if owner is not None:
        jobs = jobs.filter(owner=owner)
        tombstones = tombstones.filter(owner=owner)
    if jobs.exists():
        jobs_erase(job_ids=[job_id], tombstone=True)
        logger.info("job deleted", extra={"task_id": str(job_id), "kind": kind})
        return True
    return tombstones.exists()
