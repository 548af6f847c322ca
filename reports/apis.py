"""HTTP endpoints: validate, delegate to services/selectors, answer. Nothing else here."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import selectors, services
from reports.exceptions import error_body
from reports.models import JobKind, JobStatus, ReportJob
from reports.renderers.html import CONTENT_SECURITY_POLICY
from reports.serializers import ReportRequestSerializer

_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\\"]+")


def _wants_html(request: HttpRequest) -> bool:
    """A browser navigating to the URL lists text/html first; API clients do not."""
    accept = request.META.get("HTTP_ACCEPT", "")
    return accept.split(",")[0].split(";")[0].strip().lower() == "text/html"


def _download_name(job: ReportJob) -> str:
    report = job.report
    stem = report.student_id or str(job.id)
    stem = _UNSAFE_FILENAME.sub("_", stem).strip() or str(job.id)
    return f"report-{stem}.{job.kind}"


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
        filename=_download_name(job),
    )
    if job.kind == JobKind.HTML:
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


class ReportCreateApi(APIView):
    """POST /assignment/<kind>: store the job, publish it after commit, answer 202."""

    kind: ClassVar[str]

    def post(self, request: Request) -> Response:
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submitted = services.job_create(
            kind=self.kind,
            body=request.data,
            owner=request.auth or "",
            idempotency_key=request.headers.get("Idempotency-Key"),
            **serializer.validated_data,
        )
        job = submitted.job
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
    """GET /assignment/<kind>/<task_id>: the job's status, or the finished report."""

    kind: ClassVar[str]

    def _body(self, task_id: str, state: str, message: str, data: Any = None) -> dict[str, Any]:
        body: dict[str, Any] = {"task_id": task_id, "status": state}
        if self.kind == JobKind.HTML:
            body["data"] = data
        body["message"] = message
        return body

    def get(self, request: Request, task_id: str) -> HttpResponse:
        job = selectors.job_get(task_id=task_id, kind=self.kind, owner=request.auth)
        if job is None:
            return Response(
                self._body(task_id, "NOT_FOUND", "Task not found."),
                status=status.HTTP_404_NOT_FOUND,
            )
        if job.status == JobStatus.SUCCESS:
            return self.finished(request, job)
        if job.status == JobStatus.FAILURE:
            return Response(self._body(str(job.id), job.status, job.message or "Task failed."))
        body = self._body(str(job.id), job.status, "Task not completed.")
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
            "report_url": request.build_absolute_uri(
                reverse("report-file", args=[self.kind, job.id])
            ),
            "student_id": report.student_id,
            "student_ids": report.student_ids,
        }
        return Response(self._body(str(job.id), job.status, "Task completed", data))


class ReportFileApi(APIView):
    """GET /assignment/<kind>/<task_id>/report: the stored file itself."""

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


class HtmlCreateApi(ReportCreateApi):
    kind = JobKind.HTML


class PdfCreateApi(ReportCreateApi):
    kind = JobKind.PDF


class HtmlDetailApi(ReportDetailApi):
    kind = JobKind.HTML


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


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("NOT_FOUND", "Not found."), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("ERROR", "Internal error; it has been logged."), status=500)
