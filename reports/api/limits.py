"""The limits a request is held to (reports/report/limits.py), from the settings."""

from __future__ import annotations

from django.conf import settings

from reports.report.limits import Limits


def request_limits() -> Limits:
    return Limits(
        events=settings.REPORT_MAX_EVENTS,
        students=settings.REPORT_MAX_STUDENTS,
        units=settings.REPORT_MAX_UNITS,
        units_per_student=settings.REPORT_MAX_UNITS_PER_STUDENT,
        event_types=settings.REPORT_MAX_EVENT_TYPES,
        question_cells=settings.REPORT_MAX_QUESTION_CELLS,
    )
