"""Running a claimed job: build the report model, render it, store it under the fence."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import msgspec
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from reports.jobs import db, states
from reports.jobs.files import save_report_file
from reports.jobs.heartbeat import job_heartbeat_running
from reports.jobs.states import Claim
from reports.models import JobStatus, Report
from reports.renderers import Rendered, render
from reports.report import analysis, model
from reports.report.attention import with_request
from reports.report.contract import AttentionIn
from reports.report.events import decode_student_events
from reports.webhooks.delivery import webhook_publish_after_commit

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)  # unreachable, not a bug
BAD_INPUT = (msgspec.DecodeError, ValueError, OverflowError)
# The report's file could not be written: a disk, or object storage (REPORT_STORAGE=s3) out
# of reach or answering with an error. Retried, like the database; attempts are capped.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
T = TypeVar("T")
BIG_BODY = 16 << 20  # bytes; reading one leaves libpq with a buffer as large (db.drop_buffers)


class TransientError(Exception):
    """Worth retrying: a dependency (database, storage) failed, not the input.

    ``fence`` is the fencing token of the run that gave up, if it had claimed the job: the
    retry may take the job over from it at once.
    """

    def __init__(self, message: str, *, fence: int | None) -> None:
        super().__init__(message)
        self.fence = fence


def job_run(
    *, job_id: uuid.UUID | str, holder: str, released: int | None = None
) -> JobStatus | None:
    """Claim the job and run it to the end; None when there was nothing to do (a duplicate
    delivery) or this run lost the job to another. Raises TransientError when a retry may
    succeed."""
    try:
        claimed = states.job_claim(job_id=job_id, holder=holder, released=released)
    except DATABASE_ERRORS as exc:
        raise TransientError(f"database unavailable: {exc}", fence=released) from exc
    if claimed is None:
        return None
    claim, body = claimed
    del claimed
    if body is not None and len(body) > BIG_BODY:
        db.drop_buffers()
    handed = [body]  # see below: the only reference goes to job_build
    del body
    with job_heartbeat_running(job_id=claim.job_id, fence=claim.fence):
        return _job_run_claimed(claim=claim, handed=handed, holder=holder)


def _job_run_claimed(*, claim: Claim, handed: list[bytes | None], holder: str) -> JobStatus | None:
    """job_run's part under the run's heartbeat; ``handed`` holds the only reference to the
    input, which this takes."""
    body = handed.pop()
    try:
        if body is None:
            message = "The job's input is missing."
            states.job_fail(job_id=claim.job_id, fence=claim.fence, message=message)
            return JobStatus.FAILURE
        # job_build gets the only reference to the body (a call takes over its arguments),
        # so the body is freed as soon as it is decoded, before the report is built.
        only = [body]
        del body
        report, rendered = job_build(claim=claim, body=only.pop())
        stored = report_store(claim=claim, report=report, rendered=rendered)
    except DATABASE_ERRORS as exc:
        raise TransientError(f"database unavailable: {exc}", fence=claim.fence) from exc
    except STORAGE_ERRORS as exc:
        raise TransientError(f"could not write the report file: {exc}", fence=claim.fence) from exc
    except BAD_INPUT as exc:
        message = f"The input could not be turned into a report: {exc}"
        states.job_fail(job_id=claim.job_id, fence=claim.fence, message=message)
        logger.warning("job failed", extra={"kind": claim.kind, "outcome": JobStatus.FAILURE})
        return JobStatus.FAILURE
    if not stored:
        logger.warning(
            "job %s: run %d on %s lost the job to a newer run; its report was dropped",
            claim.job_id,
            claim.fence,
            holder,
            extra={"kind": claim.kind, "outcome": "STALE", "fence": claim.fence},
        )
        return None
    if claim.has_callback:
        webhook_publish_after_commit(job_id=claim.job_id)
    logger.info(
        "job finished",
        extra={"kind": claim.kind, "outcome": JobStatus.SUCCESS, "attempt": claim.attempt},
    )
    return JobStatus.SUCCESS


def job_build(*, claim: Claim, body: bytes) -> tuple[model.Report, Rendered]:
    """The report model from the stored input, and its rendering in the job's format.

    Memory: the body is freed once decoded (if the caller kept no reference), and each
    student's events once that student's report is built."""
    students = decode_student_events(body)
    # A one-object body's own thresholds (a list body's fields are not read), then the
    # query's (?attention[<name>]=) over them.
    own = students[0].attention if body.lstrip()[:1] == b"{" else None
    rules = with_request(settings.REPORT_ATTENTION, own)
    if claim.attention:
        rules = with_request(rules, msgspec.json.decode(claim.attention, type=AttentionIn))
    del body
    each_student = _handed_over(students)
    report = analysis.build_report(
        each_student,
        idle_minutes=claim.idle_minutes,
        timezone=claim.timezone,
        language=claim.language,
        source=msgspec.json.decode(claim.source, type=model.Source) if claim.source else None,
        on_student=_progress_writer(claim),
        heat_map_cells=settings.REPORT_HEATMAP_MAX_CELLS,
        attention=rules,
    )
    return report, render(report, claim.kind)


def _handed_over(items: list[T]) -> Iterator[T]:
    """The items in order, each dropped from the list as it is handed out."""
    items.reverse()
    while items:
        yield items.pop()


def _progress_writer(claim: Claim) -> Callable[[int], None] | None:
    if claim.student_count < 2:
        return None
    last = 0.0

    def write(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done == claim.student_count or now - last >= 0.5:
            last = now
            states.job_progress(job_id=claim.job_id, fence=claim.fence, done=done)

    return write


def report_file_name(*, job_id: uuid.UUID | str, fence: int, extension: str) -> str:
    """One name per run: a stale run can never overwrite the file of the run that won."""
    return f"reports/{job_id}.{fence}.{extension}"


def report_store(*, claim: Claim, report: model.Report, rendered: Rendered) -> bool:
    """Write this run's file (outside any transaction: it may be slow), then, only if the
    run still holds the job, the report row and SUCCESS together. False: a newer run holds
    the job, and this run's file is removed again."""
    name = report_file_name(job_id=claim.job_id, fence=claim.fence, extension=rendered.extension)
    name = save_report_file(name, rendered.content)
    row = _report_row(claim=claim, report=report, rendered=rendered, name=name)
    if not states.job_finish(job_id=claim.job_id, fence=claim.fence, now=timezone.now(), row=row):
        default_storage.delete(name)
        return False
    for fence in range(1, claim.fence):  # files of earlier runs that died before storing
        default_storage.delete(
            report_file_name(job_id=claim.job_id, fence=fence, extension=rendered.extension)
        )
    return True


def _report_row(*, claim: Claim, report: model.Report, rendered: Rendered, name: str) -> Report:
    student_ids = report.student_ids
    return Report(
        job_id=claim.job_id,
        task_id=claim.job_id,
        created_at=timezone.now(),
        student_id=student_ids[0] if len(student_ids) == 1 else None,
        student_ids=student_ids,
        html=rendered.content.decode("utf-8") if rendered.extension == "html" else "",
        file=name,
        content_type=rendered.content_type,
        size=len(rendered.content),
        # The figures as data, from the same model (GET …/data answers them).
        data_json=render(report, "json").content,
        data_csv=render(report, "csv").content,
    )


def retry_countdown(retries: int) -> float:
    """Exponential backoff with full jitter: up to 1, 2, 4 ... 60 seconds, in whole seconds
    (RabbitMQ's delayed delivery on quorum queues counts whole seconds, from 1)."""
    return float(random.randint(1, min(60, 2**retries)))  # noqa: S311
