"""Read-only queries used by the API."""

from __future__ import annotations

import uuid

from reports.models import ReportJob


def job_get(*, task_id: str, kind: str, owner: str | None = None) -> ReportJob | None:
    """The job with this id and kind, with its report; None for unknown or malformed ids.

    With an ``owner`` (API keys on), another key's job is None too: indistinguishable
    from an unknown id.
    """
    try:
        job_id = uuid.UUID(task_id)
    except ValueError:
        return None
    jobs = ReportJob.objects.select_related("report").filter(id=job_id, kind=kind)
    if owner is not None:
        jobs = jobs.filter(owner=owner)
    return jobs.first()
