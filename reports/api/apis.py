"""HTTP endpoints: validate, delegate to the job lifecycle and selectors, answer."""

from __future__ import annotations

import functools
import logging
from typing import ClassVar

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from reports.api import data_schema, schema
from reports.api.answers import (
    answer,
    file_status_answer,
    job_read,
    not_found_answer,
    status_body,
    unfinished_answer,
)
from reports.api.auth import request_owner
from reports.api.bodies import Accepted, HtmlReport
from reports.api.limits import request_limits
from reports.api.negotiation import HTML, PDF, finished_report_format
from reports.api.parsers import raw_body
from reports.jobs import erase, selectors, submit
from reports.models import JobKind, JobStatus
from reports.ops.logs import bind_task_id
from reports.renderers.html import CONTENT_SECURITY_POLICY
from reports.report.request import request_parse
from reports.webhooks.callback import Callback, callback_url_check

logger = logging.getLogger(__name__)


def _html_document(content: str | bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _file_response(job: selectors.JobView, *, attachment: bool) -> HttpResponseBase:
    """The stored file, streamed; or, when it is not in the storage (any more), what
    ``_report_gone`` says."""
    report = job.report
    if report is None:
        return _report_gone(job, file_missing=False)
    try:
        content = default_storage.open(report.file, "rb")
    except FileNotFoundError:  # local storage, and django-storages' S3 for a 404
        return _report_gone(job, file_missing=True)
    response = FileResponse(
        content,
        content_type=report.content_type,
        as_attachment=attachment,
        filename=selectors.report_download_name(job=job),
    )
    if job.kind == JobKind.HTML:
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _report_gone(job: selectors.JobView, *, file_missing: bool) -> HttpResponse:
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


class ReportCreateApi(APIView):
    """POST /assignment/<kind>: store the job, publish it after commit, answer 202."""

    kind: ClassVar[str]

    def post(self, request: Request) -> HttpResponse:
        body = raw_body(request)
        owner = request_owner(request) or ""
        wanted = request_parse(
            body=body,
            query=request.query_params,
            limits=request_limits(),
            callback_check=functools.partial(callback_url_check, owner=owner),
        )
        origin = request.build_absolute_uri("/")[:-1]
        submitted = submit.job_create(
            kind=self.kind,
            body=body,
            owner=owner,
            idempotency_key=request.headers.get("Idempotency-Key"),
            student_count=wanted.student_count,
            event_count=wanted.event_count,
            idle_minutes=wanted.idle_minutes,
            timezone=wanted.timezone,
            callback=None
            if wanted.callback_url is None
            else Callback(url=wanted.callback_url, origin=origin),
        )
        job = submitted.job
        bind_task_id(job.id)
        url = request.build_absolute_uri(_detail_path(self.kind, job.id))
        accepted = Accepted(task_id=str(job.id), status=job.status, status_url=url)
        response = answer(accepted, status.HTTP_202_ACCEPTED)
        response["Location"] = url
        if submitted.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


@functools.cache
def _detail_prefix(kind: str) -> str:
    return reverse(f"{kind}-detail", args=["-"])[:-1]


def _detail_path(kind: str, job_id: object) -> str:
    return f"{_detail_prefix(kind)}{job_id}"


class ReportDetailApi(APIView):
    """GET /assignment/<kind>/<task_id>: the job's status, or the finished report.
    DELETE: erase the job and everything stored about it."""

    kind: ClassVar[str]

    def delete(self, request: Request, task_id: str) -> HttpResponse:
        bind_task_id(task_id)
        if not erase.job_delete(task_id=task_id, kind=self.kind, owner=request_owner(request)):
            return not_found_answer(self.kind, task_id)
        return HttpResponse(status=status.HTTP_204_NO_CONTENT)

    def get(self, request: Request, task_id: str) -> HttpResponseBase:
        bind_task_id(task_id)
        job = job_read(request, self.kind, task_id)
        if job is None:
            return not_found_answer(self.kind, task_id)
        if job.status == JobStatus.SUCCESS:
            return self.finished(request, job)
        if job.status == JobStatus.FAILURE:
            message = job.message or "Task failed."
            return answer(status_body(self.kind, str(job.id), job.status, message, job=job))
        return unfinished_answer(self.kind, job)

    def finished(self, request: Request, job: selectors.JobView) -> HttpResponseBase:
        if job.report is None:
            return _report_gone(job, file_missing=False)
        # The one answer that depends on Accept (docs/api.md, "Content negotiation").
        chosen = finished_report_format(request.META.get("HTTP_ACCEPT"), self.kind)
        response = self._finished(request, job, chosen)
        patch_vary_headers(response, ["Accept"])
        return response

    def _finished(self, request: Request, job: selectors.JobView, chosen: str) -> HttpResponseBase:
        if chosen == PDF:
            return _file_response(job, attachment=True)
        if self.kind == JobKind.PDF:
            url = selectors.report_download_url(job=job, request=request)
            done = "Task completed"
            body = status_body(self.kind, str(job.id), job.status, done, job=job, report_url=url)
            return answer(body)
        report = job.report
        assert report is not None
        if chosen == HTML:
            return _html_document(report.html)
        data = HtmlReport(
            id=str(report.id),
            created_at=report.created_at.isoformat().replace("+00:00", "Z"),
            task_id=str(job.id),
            report=report.html,
            report_url=selectors.report_download_url(job=job, request=request),
            student_id=report.student_id,
            student_ids=report.student_ids,
        )
        return answer(
            status_body(self.kind, str(job.id), job.status, "Task completed", data, job=job)
        )


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
        return _file_response(job, attachment=kind == JobKind.PDF)


@schema.create_schema(JobKind.HTML, parameters=[data_schema.TIMEZONE_PARAMETER])
class HtmlCreateApi(ReportCreateApi):
    kind = JobKind.HTML


@schema.create_schema(JobKind.PDF, parameters=[data_schema.TIMEZONE_PARAMETER])
class PdfCreateApi(ReportCreateApi):
    kind = JobKind.PDF


@schema.detail_schema(JobKind.HTML)
class HtmlDetailApi(ReportDetailApi):
    kind = JobKind.HTML


@schema.detail_schema(JobKind.PDF)
class PdfDetailApi(ReportDetailApi):
    kind = JobKind.PDF
