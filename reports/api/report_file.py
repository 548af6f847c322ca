"""A finished job's stored report file: GET /assignment/<kind>/<task_id>/report streams it
from the storage (local folder or S3), as the PDF status URL does; and what answers when
the file is not there."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseBase
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from reports.api.auth import request_owner
from reports.api.job_status import file_status_answer, not_found_answer
from reports.api.schema import jobs as schema
from reports.jobs import selectors
from reports.models import JobKind, JobStatus
from reports.renderers.html import CONTENT_SECURITY_POLICY

logger = logging.getLogger(__name__)


def html_document(content: str | bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def file_response(job: selectors.JobView, *, attachment: bool) -> HttpResponseBase:
    """The stored file, streamed; or, when it is not in the storage (any more), what
    ``report_gone`` says."""
    report = job.report
    if report is None:
        return report_gone(job, file_missing=False)
    try:
        content = default_storage.open(report.file, "rb")
    except FileNotFoundError:  # local storage, and django-storages' S3 for a 404
        return report_gone(job, file_missing=True)
    response = FileResponse(
        content,
        content_type=report.content_type,
        as_attachment=attachment,
        filename=selectors.report_download_name(job=job),
    )
    if job.kind == JobKind.HTML:
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def report_gone(job: selectors.JobView, *, file_missing: bool) -> HttpResponse:
    """A finished job read a moment ago whose report is not there. Either a DELETE (or
    retention) erased the job meanwhile, which commits the rows before it removes the file:
    404, exactly as for any erased or unknown id (docs/api.md). Or the job is still there and
    only its file is missing from the storage (removed by hand, an S3 lifecycle rule): 410,
    saying so, and logged."""
    task_id = str(job.id)
    if selectors.job_get(task_id=task_id, kind=job.kind) is None:
        return not_found_answer(job.kind, task_id)
    logger.warning("report file missing from the storage", extra={"task_id": task_id})
    what = "report file is missing from the storage" if file_missing else "report is missing"
    message = f"This job's {what}: submit the request again."
    return file_status_answer(task_id, "GONE", message, status.HTTP_410_GONE)


@extend_schema_view(
    get=extend_schema(
        operation_id="report_file",
        summary="Download the stored report file",
        tags=["reports"],
        responses=schema.FILE_RESPONSES,
    )
)
class ReportFileApi(APIView):
    """GET /assignment/<kind>/<task_id>/report: the stored file itself, streamed from the
    storage (local folder or S3) through this process, same as the PDF status URL."""

    def get(self, request: Request, kind: str, task_id: str) -> HttpResponseBase:
        job = selectors.job_get(task_id=task_id, kind=kind, owner=request_owner(request))
        if job is None or job.status != JobStatus.SUCCESS:
            state = "NOT_FOUND" if job is None else job.status
            code = status.HTTP_404_NOT_FOUND if job is None else status.HTTP_409_CONFLICT
            return file_status_answer(task_id, state, "No finished report for this task.", code)
        return file_response(job, attachment=kind == JobKind.PDF)
