"""HTTP endpoints: validate, delegate to the job lifecycle and selectors, answer."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import orjson
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from reports.api import schema
from reports.api.negotiation import HTML, PDF, finished_report_format
from reports.api.serializers import ReportRequestSerializer, WaitQuerySerializer
from reports.errors import InvalidInput
from reports.jobs import erase, selectors, submit
from reports.models import JobKind, JobStatus
from reports.ops.logs import bind_task_id
from reports.renderers.html import CONTENT_SECURITY_POLICY
from reports.webhooks.callback import Callback


def _json(body: dict[str, Any], code: int = status.HTTP_200_OK) -> HttpResponse:
    """A JSON answer encoded by orjson (compact UTF-8, like DRF's renderer, several times
    faster); the job endpoints answer only JSON, so DRF's renderer has nothing to choose."""
    return HttpResponse(orjson.dumps(body), content_type="application/json", status=code)


def _html_document(content: str | bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _file_response(job: selectors.JobView, *, attachment: bool) -> HttpResponse:
    report = job.report
    assert report is not None
    response = FileResponse(
        default_storage.open(report.file, "rb"),
        content_type=report.content_type,
        as_attachment=attachment,
        filename=selectors.report_download_name(job=job),
    )
    if job.kind == JobKind.HTML:
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


class ReportCreateApi(APIView):
    """POST /assignment/<kind>: store the job, publish it after commit, answer 202."""

    kind: ClassVar[str]

    def post(self, request: Request) -> HttpResponse:
        serializer = ReportRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
        callback_url = validated.pop("callback_url", None)
        submitted = submit.job_create(
            kind=self.kind,
            body=request.data,
            owner=request.auth or "",
            idempotency_key=request.headers.get("Idempotency-Key"),
            callback=None
            if callback_url is None
            else Callback(url=callback_url, origin=request.build_absolute_uri("/")[:-1]),
            **validated,
        )
        job = submitted.job
        bind_task_id(job.id)
        url = request.build_absolute_uri(_detail_path(self.kind, job.id))
        response = _json(
            {"task_id": str(job.id), "status": job.status, "status_url": url},
            status.HTTP_202_ACCEPTED,
        )
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

    def _body(
        self,
        task_id: str,
        state: str,
        message: str,
        data: Any = None,
        job: selectors.JobView | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"task_id": task_id, "status": state}
        if self.kind == JobKind.HTML:
            body["data"] = data
        body["message"] = message
        if job is not None and job.has_callback:
            body["webhook"] = selectors.webhook_view(job=job)
        return body

    def delete(self, request: Request, task_id: str) -> HttpResponse:
        bind_task_id(task_id)
        if not erase.job_delete(task_id=task_id, kind=self.kind, owner=request.auth):
            return _json(
                self._body(task_id, "NOT_FOUND", "Task not found."), status.HTTP_404_NOT_FOUND
            )
        return HttpResponse(status=status.HTTP_204_NO_CONTENT)

    def get(self, request: Request, task_id: str) -> HttpResponse:
        bind_task_id(task_id)
        wait = self._wait(request)
        if wait:
            job = selectors.job_wait(
                task_id=task_id, kind=self.kind, owner=request.auth, timeout=wait
            )
        else:
            job = selectors.job_get(task_id=task_id, kind=self.kind, owner=request.auth)
        if job is None:
            return _json(
                self._body(task_id, "NOT_FOUND", "Task not found."), status.HTTP_404_NOT_FOUND
            )
        if job.status == JobStatus.SUCCESS:
            return self.finished(request, job)
        if job.status == JobStatus.FAILURE:
            message = job.message or "Task failed."
            return _json(self._body(str(job.id), job.status, message, job=job))
        body = self._body(str(job.id), job.status, "Task not completed.", job=job)
        if job.student_count > 1:
            body["progress"] = {"done": job.progress_done, "total": job.student_count}
        return _json(body, status.HTTP_202_ACCEPTED)

    @staticmethod
    def _wait(request: Request) -> float | None:
        if not request.query_params:  # the usual poll: no serializer to build
            return None
        query = WaitQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise InvalidInput("The query is invalid.", errors=query.errors)
        wait: float | None = query.validated_data.get("wait")
        return wait

    def finished(self, request: Request, job: selectors.JobView) -> HttpResponse:
        # The one answer that depends on Accept (docs/api.md, "Content negotiation").
        answer = finished_report_format(request.META.get("HTTP_ACCEPT"), self.kind)
        response = self._finished(request, job, answer)
        patch_vary_headers(response, ["Accept"])
        return response

    def _finished(self, request: Request, job: selectors.JobView, answer: str) -> HttpResponse:
        if answer == PDF:
            return _file_response(job, attachment=True)
        if self.kind == JobKind.PDF:
            body = self._body(str(job.id), job.status, "Task completed", job=job)
            body["report_url"] = selectors.report_download_url(job=job, request=request)
            return _json(body)
        report = job.report
        assert report is not None
        if answer == HTML:
            return _html_document(report.html)
        data = {
            "id": str(report.id),
            "created_at": report.created_at.isoformat().replace("+00:00", "Z"),
            "task_id": str(job.id),
            "report": report.html,
            "report_url": selectors.report_download_url(job=job, request=request),
            "student_id": report.student_id,
            "student_ids": report.student_ids,
        }
        return _json(self._body(str(job.id), job.status, "Task completed", data, job=job))


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

    def get(self, request: Request, kind: str, task_id: str) -> HttpResponse:
        job = selectors.job_get(task_id=task_id, kind=kind, owner=request.auth)
        if job is None or job.status != JobStatus.SUCCESS:
            state = "NOT_FOUND" if job is None else job.status
            code = status.HTTP_404_NOT_FOUND if job is None else status.HTTP_409_CONFLICT
            message = "No finished report for this task."
            return _json({"task_id": task_id, "status": state, "message": message}, code)
        return _file_response(job, attachment=kind == JobKind.PDF)


@schema.create_schema(JobKind.HTML)
class HtmlCreateApi(ReportCreateApi):
    kind = JobKind.HTML


@schema.create_schema(JobKind.PDF)
class PdfCreateApi(ReportCreateApi):
    kind = JobKind.PDF


@schema.detail_schema(JobKind.HTML)
class HtmlDetailApi(ReportDetailApi):
    kind = JobKind.HTML


@schema.detail_schema(JobKind.PDF)
class PdfDetailApi(ReportDetailApi):
    kind = JobKind.PDF
