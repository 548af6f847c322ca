"""The jobs: POST /assignment/<kind> creates one; GET /assignment/<kind>/<task_id> answers
its status (or the finished report, by Accept) and DELETE erases it."""

from __future__ import annotations

import functools
from typing import ClassVar

from django.http import HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from reports.api.auth import request_owner
from reports.api.bodies import Accepted, HtmlReport
from reports.api.hold import CREATED, FRONT
from reports.api.inputs import request_received
from reports.api.job_status import (
    answer,
    job_read,
    not_found_answer,
    status_body,
    unfinished_answer,
)
from reports.api.negotiation import HTML, PDF, finished_report_format
from reports.api.report_file import file_response, html_document, report_gone
from reports.api.request_body import request_limits
from reports.api.schema import jobs as schema
from reports.jobs import erase, selectors, submit
from reports.models import JobKind, JobStatus
from reports.ops.logs import bind_task_id
from reports.report.request import request_parse
from reports.webhooks.callback import Callback, callback_url_check


class ReportCreateApi(APIView):
    """POST /assignment/<kind>: store the job, publish it after commit, answer 202."""

    kind: ClassVar[str]

    def post(self, request: Request) -> HttpResponse:
        received = request_received(request)
        body = received.body
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
            options=submit.JobOptions(
                idle_minutes=wanted.idle_minutes,
                timezone=wanted.timezone,
                attention=wanted.attention,
                language=wanted.language,
                source=received.source,
                received=received.fingerprint,
            ),
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
        elif FRONT in request.META:  # the front may hold this job's first read (waits.py)
            request.META[CREATED] = (str(job.id), _detail_path(self.kind, job.id), owner)
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
            return report_gone(job, file_missing=False)
        # The one answer that depends on Accept (docs/api.md, "Content negotiation").
        chosen = finished_report_format(request.META.get("HTTP_ACCEPT"), self.kind)
        response = self._finished(request, job, chosen)
        patch_vary_headers(response, ["Accept"])
        return response

    def _finished(self, request: Request, job: selectors.JobView, chosen: str) -> HttpResponseBase:
        if chosen == PDF:
            return file_response(job, attachment=True)
        if self.kind == JobKind.PDF:
            url = selectors.report_download_url(job=job, request=request)
            done = "Task completed"
            body = status_body(self.kind, str(job.id), job.status, done, job=job, report_url=url)
            return answer(body)
        report = job.report
        assert report is not None
        if chosen == HTML:
            return html_document(report.html)
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
