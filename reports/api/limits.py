"""The request's counts against the limits in settings (reports/report/limits.py), as a 413
naming the limit, its maximum and the value found."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from reports.errors import PayloadTooLarge
from reports.report.contract import StudentIn
from reports.report.limits import LimitExceeded, Limits, RequestShape, request_shape


def request_limits() -> Limits:
    return Limits(
        events=settings.REPORT_MAX_EVENTS,
        students=settings.REPORT_MAX_STUDENTS,
        units=settings.REPORT_MAX_UNITS,
        units_per_student=settings.REPORT_MAX_UNITS_PER_STUDENT,
        event_types=settings.REPORT_MAX_EVENT_TYPES,
        question_cells=settings.REPORT_MAX_QUESTION_CELLS,
    )


def request_shape_checked(students: list[StudentIn], *, one_object: bool) -> RequestShape:
    """The request's counts, or a 413 naming the limit, its maximum and the value found."""
    try:
        return request_shape(students, request_limits(), one_object=one_object)
    except LimitExceeded as exc:
        details: dict[str, Any] = {"limit": exc.limit, "max": exc.maximum, "found": exc.found}
        if exc.path:
            details["path"] = exc.path
        raise PayloadTooLarge(str(exc), details=details) from None
