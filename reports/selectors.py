"""Read-only queries used by the API."""

from __future__ import annotations

import uuid

from reports.models import ReportJob


def job_get(*, task_id: str, kind: str) -> ReportJob | None:
    """The job with this id and kind, with its report; None for unknown or malformed ids."""
    try:
        job_id = uuid.UUID(task_id)
    except ValueError:
        return None
    return ReportJob.objects.select_related("report").filter(id=job_id, kind=kind).first()
