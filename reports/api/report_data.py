"""GET /assignment/<kind>/<task_id>/data: the finished report's figures as JSON or CSV.

The worker stores both documents with the report (``reports.renderers.data``, drawn from
the same model as the HTML and PDF), so they are there for every finished job of either
kind, whatever became of its input, and go with the report row when the job is deleted.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from reports.api.job_status import (
    answer,
    job_read,
    not_found_answer,
    status_body,
    unfinished_answer,
)
from reports.api.negotiation import data_format
from reports.api.schema import report_data as data_schema
from reports.errors import InvalidInput
from reports.jobs import selectors
from reports.models import JobStatus
from reports.ops.logs import bind_task_id
from reports.renderers.data import CSV_TYPE, JSON_TYPE


def _format(request: Request) -> str:
    try:
        return data_format(request.query_params.get("format"), request.META.get("HTTP_ACCEPT"))
    except ValueError as exc:
        raise InvalidInput("The query is invalid.", errors={"format": [str(exc)]}) from None


@extend_schema_view(
    get=extend_schema(
        operation_id="report_data",
        summary="The finished report's figures as data (JSON, or CSV)",
        description=data_schema.DATA_DESCRIPTION,
        tags=["reports"],
        parameters=[data_schema.FORMAT_PARAMETER, data_schema.DATA_WAIT_PARAMETER],
        responses=data_schema.DATA_RESPONSES,
    )
)
class ReportDataApi(APIView):
    def get(self, request: Request, kind: str, task_id: str) -> HttpResponse:
        bind_task_id(task_id)
        chosen = _format(request)
        job = job_read(request, kind, task_id)
        if job is None:
            return not_found_answer(kind, task_id)
        if job.status == JobStatus.FAILURE:
            message = job.message or "Task failed."
            body = status_body(kind, str(job.id), job.status, message, job=job)
            return answer(body, status.HTTP_409_CONFLICT)
        if job.status != JobStatus.SUCCESS:
            return unfinished_answer(kind, job)
        content = selectors.report_data(job_id=job.id, data_format=chosen)
        if content is None:  # deleted since the job was read
            return not_found_answer(kind, task_id)
        if not content:
            message = "This report was stored before its data was kept: request it again."
            body = status_body(kind, str(job.id), job.status, message, job=job)
            return answer(body, status.HTTP_409_CONFLICT)
        response = HttpResponse(content, content_type=CSV_TYPE if chosen == "csv" else JSON_TYPE)
        if chosen == "csv":
            name = selectors.report_download_name(job=job, extension="csv")
            response["Content-Disposition"] = content_disposition_header(True, name)
        patch_vary_headers(response, ["Accept"])
        return response
