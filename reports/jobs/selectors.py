"""Read-only queries used by the API."""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypedDict, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header

from reports.jobs import db
from reports.jobs.listener import JobListener
from reports.models import (
    ACTIVE_STATUSES,
    JobKind,
    Report,
    ReportJob,
    WebhookDelivery,
    WebhookState,
)

logger = logging.getLogger(__name__)

_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\\"]+")

# SQLite has no LISTEN/NOTIFY: poll the row, 50 ms at first, backing off to 500 ms.
POLL_FIRST = 0.05
POLL_MAX = 0.5


def _job_id(task_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(task_id)
    except ValueError:
        return None


class WebhookView(TypedDict):
    state: str
    attempts: int
    last_status: int | None


class PresigningStorage(Protocol):
    """django-storages' S3Storage: its ``url`` takes the presigned link's parameters."""

    def url(self, name: str, parameters: dict[str, str | None] | None = None) -> str: ...


def webhook_view(*, job: JobView) -> WebhookView:
    """The status answer's ``webhook``: where the delivery of the job's end stands. One
    look-up, made only for jobs that have a callback."""
    row = (
        WebhookDelivery.objects.filter(job_id=job.id)
        .values("state", "attempts", "last_status")
        .first()
    )
    return row or {"state": WebhookState.PENDING, "attempts": 0, "last_status": None}


def report_download_name(*, job: JobView, extension: str | None = None) -> str:
    """report-<student id>.<kind> (or .<extension>), or the task id when the report has
    several students."""
    assert job.report is not None
    stem = job.report.student_id or str(job.id)
    stem = _UNSAFE_FILENAME.sub("_", stem).strip() or str(job.id)
    return f"report-{stem}.{extension or job.kind}"


def report_download_url(*, job: JobView, request: HttpRequest) -> str:
    """Where a finished job's file is downloaded from: the one place that decides.

    In S3-compatible storage, a presigned link straight to the object that expires after
    AWS_QUERYSTRING_EXPIRE seconds, so the download does not pass through a web process.
    In local storage, the API's own file endpoint.
    """
    if settings.REPORT_STORAGE == "s3":
        report = job.report
        assert report is not None
        disposition = content_disposition_header(
            job.kind == JobKind.PDF, report_download_name(job=job)
        )
        storage = cast(PresigningStorage, default_storage)  # REPORT_STORAGE s3: an S3Storage
        return storage.url(
            report.file,
            parameters={
                "ResponseContentType": report.content_type,
                "ResponseContentDisposition": disposition,
            },
        )
    return request.build_absolute_uri(_report_path(job.kind, job.id))


@functools.cache
def _report_path_template(kind: str) -> str:
    return reverse("report-file", args=[kind, "TASK_ID"])


def _report_path(kind: str, job_id: uuid.UUID) -> str:
    """The file URL's path; ``reverse`` is resolved once per kind (it is a fifth of a
    status read's own work otherwise)."""
    return _report_path_template(kind).replace("TASK_ID", str(job_id))


def _is_active(job_id: uuid.UUID) -> bool:
    return ReportJob.objects.filter(id=job_id, status__in=ACTIVE_STATUSES).exists()


_listener: JobListener | None = None


def job_listener() -> JobListener | None:
    """The process's listener for finished jobs; None where the database has no
    LISTEN/NOTIFY (SQLite)."""
    global _listener
    from reports.jobs.states import JOB_CHANNEL

    if connection.vendor != "postgresql":
        return None
    if _listener is None:
        _listener = JobListener(JOB_CHANNEL)
    return _listener


def _wait_listen(listener: JobListener, job_id: uuid.UUID, deadline: float) -> None:
    """Wait for the job's announcement on the process's shared LISTEN connection.

    The row is re-checked once LISTEN is in force, so a job finishing just before is not
    missed, and again every second while waiting (a safety net should an announcement be
    lost with the listener's connection); without a listener it is polled.
    """
    wanted = str(job_id)
    event = threading.Event()
    wake = event.set
    listener.register(wanted, wake)
    try:
        listener.listening.wait(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
        while _is_active(job_id):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            recheck = 1.0 if listener.listening.is_set() else POLL_MAX
            event.wait(timeout=min(remaining, recheck))
    finally:
        listener.unregister(wanted, wake)


def _wait_poll(job_id: uuid.UUID, deadline: float) -> None:
    delay = POLL_FIRST
    while _is_active(job_id):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, POLL_MAX)


def job_wait(
    *, task_id: str, kind: str, timeout: float, owner: str | None = None
) -> JobView | None:
    """Like ``job_get``, but while the job is unfinished wait up to ``timeout`` seconds
    for it to finish, without busy-looping the database. The calling thread blocks."""
    job = job_get(task_id=task_id, kind=kind, owner=owner)
    if job is None or job.status not in ACTIVE_STATUSES or timeout <= 0:
        return job
    deadline = time.monotonic() + timeout
    listener = job_listener()
    if listener is not None:
        _wait_listen(listener, job.id, deadline)
    else:
        _wait_poll(job.id, deadline)
    return job_get(task_id=task_id, kind=kind, owner=owner)


@dataclass(frozen=True, slots=True)
class ReportView:
    id: uuid.UUID
    created_at: datetime
    html: str
    file: str  # its name in the storage
    content_type: str
    student_id: str | None
    student_ids: list[str]


@dataclass(frozen=True, slots=True)
class JobView:
    """What a status read needs of a job and its report: one indexed read."""

    id: uuid.UUID
    kind: str
    status: str
    message: str
    student_count: int
    progress_done: int
    has_callback: bool
    report: ReportView | None
    source: str = ""  # report.model.Source as JSON; "" for the service's own JSON


_JOB_VIEW = f"""
SELECT j.id, j.kind, j.status, j.message, j.student_count, j.progress_done, j.has_callback,
    j.source, r.id, r.created_at, r.html, r.file, r.content_type, r.student_id, r.student_ids
FROM {ReportJob._meta.db_table} j LEFT JOIN {Report._meta.db_table} r ON r.job_id = j.id
WHERE j.id = %s AND j.kind = %s
"""  # noqa: S608


def job_get(*, task_id: str, kind: str, owner: str | None = None) -> JobView | None:
    """The job with this id and kind, with its report; None for unknown or malformed ids.

    With an ``owner`` (API keys on), another key's job is None too: indistinguishable
    from an unknown id. One prepared statement rather than an ORM query compiled on every
    call: the status read is the service's most frequent request.
    """
    job_id = _job_id(task_id)
    if job_id is None:
        return None
    sql, params = _JOB_VIEW, [db.pk(job_id), kind]
    if owner is not None:
        sql, params = sql + " AND j.owner = %s", [*params, owner]
    row = db.read_one(sql, params)
    if row is None:
        return None
    job_id, kind, state, message, students, done, has_callback, source, report_id, *report = row
    view = None
    if report_id is not None:
        created_at, html, file, content_type, student_id, student_ids = report
        view = ReportView(
            _uuid(report_id),
            _aware(created_at),
            html,
            file,
            content_type,
            student_id,
            json.loads(student_ids) if isinstance(student_ids, str) else student_ids,
        )
    return JobView(
        _uuid(job_id), kind, state, message, students, done, bool(has_callback), view, source
    )


def report_data(*, job_id: uuid.UUID, data_format: str) -> bytes | None:
    """The stored data document of a finished job's report ("json" or "csv"): None when the
    report row is gone (deleted meanwhile), b"" for a report stored before data was kept."""
    column = "data_csv" if data_format == "csv" else "data_json"
    value = Report.objects.filter(job_id=job_id).values_list(column, flat=True).first()
    return None if value is None else bytes(value)


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    """SQLite keeps UUIDs as text."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _aware(value: datetime | str) -> datetime:
    """SQLite keeps timestamps in UTC without a zone (or as text)."""
    if isinstance(value, str):
        value = parse_datetime(value) or datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
