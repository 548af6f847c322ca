"""What the job endpoints (status, …/report, …/data) share: the status answer (its body,
404, 202 while unfinished, encoded from ``bodies.py``), ``?wait=`` and reading the job."""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec
from django.conf import settings
from django.http import HttpResponse
from rest_framework import serializers, status
from rest_framework.request import Request

from reports.api import bodies
from reports.api.auth import request_owner
from reports.api.hold import FRONT, HOLD, Hold
from reports.errors import InvalidInput
from reports.jobs import selectors
from reports.models import ACTIVE_STATUSES, JobKind
from reports.report.model import Source

# Retry-After on a pending answer: when a client that polls should come back.
PENDING_RETRY_AFTER = "1"


def answer(body: msgspec.Struct, code: int = status.HTTP_200_OK) -> HttpResponse:
    """A JSON answer: one of ``bodies.py``'s Structs, encoded by msgspec (compact UTF-8,
    like DRF's renderer, several times faster); the job endpoints answer only JSON, so
    DRF's renderer has nothing to choose."""
    return HttpResponse(bodies.encode(body), content_type="application/json", status=code)


def status_body(
    kind: str,
    task_id: str,
    state: str,
    message: str,
    data: bodies.HtmlReport | None = None,
    job: selectors.JobView | None = None,
    *,
    report_url: str | msgspec.UnsetType = msgspec.UNSET,
    progress: bodies.Progress | msgspec.UnsetType = msgspec.UNSET,
) -> bodies.StatusBody:
    """The status answer's body (docs/api.md): ``data`` only on the HTML endpoint,
    ``report_url`` only on the PDF one."""
    hook: bodies.Webhook | msgspec.UnsetType = msgspec.UNSET
    source: bodies.SourceBody | msgspec.UnsetType = msgspec.UNSET
    if job is not None and job.has_callback:
        hook = bodies.webhook(selectors.webhook_view(job=job))
    if job is not None and job.source:
        source = bodies.source_body(msgspec.json.decode(job.source, type=Source))
    if kind == JobKind.HTML:
        return bodies.HtmlStatus(
            task_id, state, data, message, progress=progress, webhook=hook, source=source
        )
    return bodies.PdfStatus(
        task_id,
        state,
        message,
        report_url=report_url,
        progress=progress,
        webhook=hook,
        source=source,
    )


def not_found_answer(kind: str, task_id: str) -> HttpResponse:
    return answer(status_body(kind, task_id, "NOT_FOUND", "Task not found."), 404)


def file_status_answer(task_id: str, state: str, message: str, code: int) -> HttpResponse:
    return answer(bodies.FileStatus(task_id=task_id, status=state, message=message), code)


def unfinished_answer(kind: str, job: selectors.JobView) -> HttpResponse:
    """202 for a job that is not finished yet, with its progress when it has several
    students: the same answer from the status URL and from …/data."""
    progress: bodies.Progress | msgspec.UnsetType = msgspec.UNSET
    if job.student_count > 1:
        progress = bodies.Progress(done=job.progress_done, total=job.student_count)
    body = status_body(
        kind, str(job.id), job.status, "Task not completed.", job=job, progress=progress
    )
    response = answer(body, status.HTTP_202_ACCEPTED)
    response["Retry-After"] = PENDING_RETRY_AFTER
    return response


def wait_query(request: Request) -> float | None:
    """``?wait=``, validated; None without it."""
    if not request.query_params:  # the usual poll: no serializer to build
        return None
    if request.query_params.get("wait") == "":  # DRF would read it as absent
        raise InvalidInput(
            "The query is invalid.", errors={"wait": ["A valid number is required."]}
        )
    query = WaitQuerySerializer(data=request.query_params)
    if not query.is_valid():
        raise InvalidInput("The query is invalid.", errors=query.errors)
    wait: float | None = query.validated_data.get("wait")
    return wait


def job_read(request: Request, kind: str, task_id: str) -> selectors.JobView | None:
    """The job, after waiting for it to finish when the request asks (``?wait=``).

    Under the event-loop front (``hold.py``) nothing waits here: an unfinished job is
    answered at once and the answer carries a ``Hold`` (``?wait=``'s seconds, or the
    brief REPORT_STATUS_HOLD of a plain read) that the front serves on its loop."""
    wait = wait_query(request)
    owner = request_owner(request)
    if FRONT not in request.META:
        if wait:
            return selectors.job_wait(task_id=task_id, kind=kind, owner=owner, timeout=wait)
        return selectors.job_get(task_id=task_id, kind=kind, owner=owner)
    read_at = time.monotonic()
    job = selectors.job_get(task_id=task_id, kind=kind, owner=owner)
    if job is not None and job.status in ACTIVE_STATUSES:
        seconds = wait or settings.REPORT_STATUS_HOLD
        if seconds > 0:
            hold = Hold(str(job.id), owner or "", seconds, explicit=bool(wait), read_at=read_at)
            request.META[HOLD] = hold
    return job


class WaitQuerySerializer(serializers.Serializer[Any]):
    """``?wait=<seconds>`` on the status URLs: 0 < wait <= REPORT_MAX_WAIT."""

    wait = serializers.FloatField(required=False)

    def validate_wait(self, value: float) -> float:
        limit = settings.REPORT_MAX_WAIT
        if not math.isfinite(value) or value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.")
        if value > limit:
            raise serializers.ValidationError(f"Ensure this value is at most {limit:g}.")
        return value
