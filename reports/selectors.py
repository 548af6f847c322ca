"""Read-only queries used by the API."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import content_disposition_header

from reports.models import JobKind, ReportJob

_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\\"]+")


def job_get(*, task_id: str, kind: str) -> ReportJob | None:
    """The job with this id and kind, with its report; None for unknown or malformed ids."""
    try:
        job_id = uuid.UUID(task_id)
    except ValueError:
        return None
    return ReportJob.objects.select_related("report").filter(id=job_id, kind=kind).first()


def report_download_name(*, job: ReportJob) -> str:
    """report-<student id>.<kind>, or the task id when the report has several students."""
    stem = job.report.student_id or str(job.id)
    stem = _UNSAFE_FILENAME.sub("_", stem).strip() or str(job.id)
    return f"report-{stem}.{job.kind}"


def report_download_url(*, job: ReportJob, request: HttpRequest) -> str:
    """Where a finished job's file is downloaded from: the one place that decides.

    In S3-compatible storage, a presigned link straight to the object that expires after
    AWS_QUERYSTRING_EXPIRE seconds, so the download does not pass through a web process.
    In local storage, the API's own file endpoint.
    """
    if settings.REPORT_STORAGE == "s3":
        report = job.report
        disposition = content_disposition_header(
            job.kind == JobKind.PDF, report_download_name(job=job)
        )
        return report.file.storage.url(
            report.file.name,
            parameters={
                "ResponseContentType": report.content_type,
                "ResponseContentDisposition": disposition,
            },
        )
    return request.build_absolute_uri(reverse("report-file", args=[job.kind, job.id]))
