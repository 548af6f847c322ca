"""The JSON answers the job endpoints share: the status body, 404, 202 while unfinished."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework import status
from rest_framework.request import Request

from reports.api.auth import request_owner
from reports.api.serializers import WaitQuerySerializer
from reports.errors import InvalidInput
from reports.jobs import selectors
from reports.models import JobKind


def json_answer(body: dict[str, Any], code: int = status.HTTP_200_OK) -> HttpResponse:
    """A JSON answer encoded by orjson (compact UTF-8, like DRF's renderer, several times
    faster); the job endpoints answer only JSON, so DRF's renderer has nothing to choose."""
    return HttpResponse(orjson.dumps(body), content_type="application/json", status=code)


def status_body(
    kind: str,
    task_id: str,
    state: str,
    message: str,
    data: Any = None,
    job: selectors.JobView | None = None,
) -> dict[str, Any]:
    """The status answer's body (docs/api.md): ``data`` only on the HTML endpoint."""
    body: dict[str, Any] = {"task_id": task_id, "status": state}
    if kind == JobKind.HTML:
        body["data"] = data
    body["message"] = message
    if job is not None and job.has_callback:
        body["webhook"] = selectors.webhook_view(job=job)
    return body


def not_found_answer(kind: str, task_id: str) -> HttpResponse:
    return json_answer(status_body(kind, task_id, "NOT_FOUND", "Task not found."), 404)


def unfinished_answer(kind: str, job: selectors.JobView) -> HttpResponse:
    """202 for a job that is not finished yet, with its progress when it has several
    students: the same answer from the status URL and from …/data."""
    body = status_body(kind, str(job.id), job.status, "Task not completed.", job=job)
    if job.student_count > 1:
        body["progress"] = {"done": job.progress_done, "total": job.student_count}
    return json_answer(body, status.HTTP_202_ACCEPTED)


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
    """The job, after waiting for it to finish when the request asks (``?wait=``)."""
    wait = wait_query(request)
    if wait:
        return selectors.job_wait(
            task_id=task_id, kind=kind, owner=request_owner(request), timeout=wait
        )
    return selectors.job_get(task_id=task_id, kind=kind, owner=request_owner(request))
