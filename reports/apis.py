"""HTTP endpoints: validate, delegate to the job lifecycle and selectors, answer."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import health, schema, selectors
from reports import metrics as job_metrics
from reports.exceptions import InvalidInput, error_body
from reports.jobs import erase, submit
from reports.logs import bind_task_id
from reports.models import JobKind, JobStatus, ReportJob
from reports.renderers.html import CONTENT_SECURITY_POLICY
from reports.serializers import ReportRequestSerializer, WaitQuerySerializer
from reports.webhooks.callback import Callback


def _wants_html(request: HttpRequest) -> bool:
    """A browser navigating to the URL lists text/html first; API clients do not."""
    accept = request.META.get("HTTP_ACCEPT", "")
    return accept.split(",")[0].split(";")[0].strip().lower() == "text/html"


def _html_document(content: str | bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _file_response(job: ReportJob, *, attachment: bool) -> HttpResponse:
    report = job.report
    response = FileResponse(
        report.file.open("rb"),
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

    def post(self, request: Request) -> Response:
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
        url = request.build_absolute_uri(reverse(f"{self.kind}-detail", args=[job.id]))
        headers = {"Location": url}
        if submitted.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            {"task_id": str(job.id), "status": job.status, "status_url": url},
            status=status.HTTP_202_ACCEPTED,
            headers=headers,
        )


class ReportDetailApi(APIView):
    """GET /assignment/<kind>/<task_id>: the job's status, or the finished report.
    DELETE: erase the job and everything stored about it."""

    kind: ClassVar[str]

    def _body(
        self, task_id: str, state: str, message: str, data: Any = None, job: ReportJob | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"task_id": task_id, "status": state}
        if self.kind == JobKind.HTML:
            body["data"] = data
        body["message"] = message
        if job is not None and job.has_callback:
            body["webhook"] = selectors.webhook_view(job=job)
        return body

    def delete(self, request: Request, task_id: str) -> Response:
        bind_task_id(task_id)
        if not erase.job_delete(task_id=task_id, kind=self.kind, owner=request.auth):
            return Response(
                self._body(task_id, "NOT_FOUND", "Task not found."),
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get(self, request: Request, task_id: str) -> HttpResponse:
        query = WaitQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise InvalidInput("The query is invalid.", errors=query.errors)
        bind_task_id(task_id)
        wait = query.validated_data.get("wait")
        if wait:
            job = selectors.job_wait(
                task_id=task_id, kind=self.kind, owner=request.auth, timeout=wait
            )
        else:
            job = selectors.job_get(task_id=task_id, kind=self.kind, owner=request.auth)
        if job is None:
            return Response(
                self._body(task_id, "NOT_FOUND", "Task not found."),
                status=status.HTTP_404_NOT_FOUND,
            )
        if job.status == JobStatus.SUCCESS:
            return self.finished(request, job)
        if job.status == JobStatus.FAILURE:
            message = job.message or "Task failed."
            return Response(self._body(str(job.id), job.status, message, job=job))
        body = self._body(str(job.id), job.status, "Task not completed.", job=job)
        if job.student_count > 1:
            body["progress"] = {"done": job.progress_done, "total": job.student_count}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    def finished(self, request: Request, job: ReportJob) -> HttpResponse:
        if self.kind == JobKind.PDF:
            return _file_response(job, attachment=True)
        report = job.report
        if _wants_html(request):
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
        return Response(self._body(str(job.id), job.status, "Task completed", data, job=job))


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
            return Response(
                {
                    "task_id": task_id,
                    "status": state,
                    "message": "No finished report for this task.",
                },
                status=code,
            )
        return _file_response(job, attachment=kind == JobKind.PDF)


def _create_schema(kind: str) -> Any:
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"{kind}_create",
            summary=f"Request a {kind.upper()} report",
            description="Stores the job and answers 202 at once; a worker builds the report.",
            tags=["reports"],
            request={"application/json": ReportRequestSerializer},
            parameters=[schema.CALLBACK_PARAMETER],
            responses=schema.create_responses(kind),
            examples=schema.REQUEST_EXAMPLES,
        )
    )


def _detail_schema(kind: str) -> Any:
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"{kind}_status",
            summary=f"The {kind.upper()} job's status, or its finished report",
            tags=["reports"],
            parameters=[schema.WAIT_PARAMETER],
            responses=schema.detail_responses(kind),
        ),
        delete=extend_schema(
            operation_id=f"{kind}_delete",
            summary=f"Delete the {kind.upper()} job and everything stored about it",
            description=schema.DELETE_DESCRIPTION,
            tags=["reports"],
            responses=schema.delete_responses(kind),
        ),
    )


@_create_schema(JobKind.HTML)
class HtmlCreateApi(ReportCreateApi):
    kind = JobKind.HTML


@_create_schema(JobKind.PDF)
class PdfCreateApi(ReportCreateApi):
    kind = JobKind.PDF


@_detail_schema(JobKind.HTML)
class HtmlDetailApi(ReportDetailApi):
    kind = JobKind.HTML


@_detail_schema(JobKind.PDF)
class PdfDetailApi(ReportDetailApi):
    kind = JobKind.PDF


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker both answer; 503 naming the one that does not."""
    from config.celery import app

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unavailable: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and broker answer and every migration is applied; else 503."""
    checks = health.readiness()
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: HTTP metrics (django-prometheus) and job metrics."""
    return job_metrics.metrics_response(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("NOT_FOUND", "Not found."), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("ERROR", "Internal error; it has been logged."), status=500)
