"""The report model as data: a JSON document and a CSV table, beside the HTML and PDF.

Both are drawn from the same ``Report`` as the other formats. The CSV's cells are the
texts of the HTML table (``questions.question_table``), so every figure reads the same in
all four formats; the JSON gives the raw values (seconds, ISO 8601 times with the zone's
offset) and the shown texts where a client would otherwise have to recompute them.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from reports.renderers import i18n
from reports.renderers.formats import fmt_duration, local
from reports.renderers.i18n import gettext as _
from reports.renderers.questions import process_note, question_header, question_table
from reports.renderers.tables import visit_path
from reports.report.insight import Cohort, UnitStats
from reports.report.model import Carried, ClassSummary, Flag, Report, StudentReport
from reports.report.process import Outcomes

DATA_VERSION = 1
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8; header=present"
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection):
# such a cell gets a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _time(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment on the zone's clock; orjson writes it as ISO 8601 with its offset
    ('2026-03-29T03:30:00+02:00'), in C: several times faster than ``isoformat``."""
    return local(moment, zone)


def _cohort(cohort: Cohort | None) -> dict[str, float | None] | None:
    """A question's standing in the class (None in a report of one student)."""
    if cohort is None:
        return None
    return {"active_seconds": cohort.active_seconds, "runs": cohort.runs, "saves": cohort.saves}


def _outcomes(o: Outcomes, carried: Carried) -> dict[str, Any] | None:
    """A question's outcome figures (docs/report.md, "Errors and correctness"), null where
    its events do not carry the fields a figure needs; None when no event of the report
    carries any (a seed's rows stay as small as before)."""
    if not (carried.outcomes or carried.scores):
        return None
    return {
        "outcome_runs": o.runs,
        "error_runs": o.errors,
        "error_quotient": o.error_quotient,
        "repeated_error_density": o.repeated_error_density,
        "scored_submissions": o.scored,
        "first_score": o.first_score,
        "best_score": o.best_score,
        "first_correct": o.first_correct,
        "ever_correct": o.ever_correct,
        "error_streak": o.error_streak,
    }


def _unit(u: UnitStats) -> dict[str, Any]:
    return {
        "unit": u.unit,
        "opened": u.opened,
        "ran": u.ran,
        "submitted": u.submitted,
        "difficulty": u.difficulty,
        **{
            f"{name}_{which}": getattr(getattr(u, name), which)
            for name in ("active_seconds", "runs", "saves")
            for which in ("median", "p90")
        },
    }


def _flag(flag: Flag) -> dict[str, Any]:
    return {
        "rule": flag.rule,
        "unit": flag.unit,
        "question": flag.question,
        "value": flag.value,
        "threshold": flag.threshold,
        "reason": flag.reason,
    }


def _flags(report: Report, index: int) -> list[dict[str, Any]]:
    return [_flag(f) for f in report.attention[index]] if report.attention else []


def _cohorts(report: Report, index: int) -> tuple[Cohort | None, ...]:
    if report.insight is None:
        return (None,) * len(report.students[index].questions)
    return report.insight.cohorts[index]


def _student_head(
    student: StudentReport,
    zone: ZoneInfo,
    cohorts: tuple[Cohort | None, ...],
    carried: Carried,
) -> dict[str, Any]:
    """A student's part of the document, but for ``event_order`` (its last key)."""
    aliases = [q.alias for q in student.questions]
    return {
        "namespace": student.namespace,
        "student_id": student.student_id,
        "events": student.event_count,
        "questions": len(student.questions),
        "active_seconds": student.active_seconds,
        "active_time": fmt_duration(student.active_seconds),
        "first": _time(student.first, zone),
        "last": _time(student.last, zone),
        "idle_stretches": student.idle_stretches,
        "longest_idle_seconds": student.longest_idle_seconds,
        "event_types": list(student.event_types),
        "question_rows": [
            {
                "question": q.alias,
                "unit": q.unit,
                "events": q.events,
                "by_type": [
                    {"type": name, "events": n}
                    for name, n in zip(student.event_types, q.by_type, strict=True)
                ],
                "visits": q.visits,
                "first": _time(q.first, zone),
                "last": _time(q.last, zone),
                "active_seconds": q.active_seconds,
                "active_time": fmt_duration(q.active_seconds),
                "runs_before_submission": q.runs_before_submission,
                "saves_before_submission": q.saves_before_submission,
                "submitted": q.submitted,
                "outcomes": _outcomes(q.outcomes, carried),
                "cohort": _cohort(cohort),
            }
            for q, cohort in zip(student.questions, cohorts, strict=True)
        ],
        "visits": [
            {
                "question": aliases[v.question],
                "events": v.events,
                "start": _time(v.start, zone),
                "end": _time(v.end, zone),
            }
            for v in student.visits
        ],
        "visit_path": visit_path(student),
    }


def _student(report: Report, index: int) -> dict[str, Any]:
    student = report.students[index]
    order = [student.questions[i].alias for i in student.event_questions]
    head = _student_head(student, report.zone, _cohorts(report, index), report.carried)
    return {**head, "attention": _flags(report, index), "event_order": order}


def _student_json(report: Report, index: int) -> bytes:
    """``orjson.dumps(_student(...))``, with ``event_order`` (one entry per event) joined
    from each question's encoded alias: orjson's buffer for a list of 60,000 short texts
    peaks at about 50 times its output, this at about twice."""
    student = report.students[index]
    encoded = [orjson.dumps(q.alias) for q in student.questions]
    order = b",".join([encoded[i] for i in student.event_questions])
    head = orjson.dumps(
        {
            **_student_head(student, report.zone, _cohorts(report, index), report.carried),
            "attention": _flags(report, index),
        }
    )
    return head[:-1] + b',"event_order":[' + order + b"]}"


def _class_summary(summary: ClassSummary) -> dict[str, Any]:
    """Per unit always; the grid (each row's ``counts``) only where the report drew it."""
    rows: list[dict[str, Any]] = [
        {"student_id": student, "events": total}
        for student, total in zip(summary.students, summary.student_totals, strict=True)
    ]
    if summary.counts is not None:
        for row, counts in zip(rows, summary.counts, strict=True):
            row["counts"] = list(counts)
    return {
        "units": list(summary.units),
        "rows": rows,
        "unit_totals": list(summary.unit_totals),
        "unit_students": list(summary.unit_students),
        "heat_map": summary.counts is not None,
    }


def _head(report: Report) -> dict[str, Any]:
    zone = report.zone
    return {
        "version": DATA_VERSION,
        "timezone": zone.key,
        "idle_minutes": report.idle_minutes,
        "events": report.event_count,
        "event_types": list(report.event_types),
        "last_activity": _time(report.last_activity, zone),
        "questions": [_unit(u) for u in report.insight.units] if report.insight else [],
        "outcome_fields": {
            "outcomes": report.carried.outcomes,
            "scores": report.carried.scores,
            "note": process_note(report.carried),
        },
    }


def report_document(report: Report) -> dict[str, Any]:
    """The model as a dict (docs/api.md, "The figures as data"); its times are aware
    datetimes on the report's zone's clock. ``report_json`` writes the same document."""
    return {
        **_head(report),
        "students": [_student(report, k) for k in range(len(report.students))],
        "class_summary": _class_summary(report.class_summary),
    }


def report_json(report: Report) -> bytes:
    """``orjson.dumps(report_document(report))``, written student by student: compact UTF-8
    JSON, nothing escaped beyond what JSON requires, and never the whole document as
    Python objects at once (a big job's worker holds one student's part at a time)."""
    students = b",".join([_student_json(report, k) for k in range(len(report.students))])
    return b"".join(
        [
            orjson.dumps(_head(report))[:-1],
            b',"students":[',
            students,
            b'],"class_summary":',
            orjson.dumps(_class_summary(report.class_summary)),
            b"}",
        ]
    )


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula starts with an apostrophe instead."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_header(report: Report) -> list[str]:
    header = question_header(report.event_types, report.zone, report.carried)
    return [_("Namespace"), _("Student ID"), *header]


def csv_rows(report: Report) -> list[list[str]]:
    """One row per student and question: the HTML table's cells, the student's event types
    spread over the report's type columns (0 where the student has none of a type)."""
    zone = report.zone
    out = []
    for student in report.students:
        _, rows = question_table(student, zone, report.carried)
        types = len(student.event_types)
        column = {name: 3 + k for k, name in enumerate(student.event_types)}
        for row in rows:
            by_type = [row[column[name]] if name in column else "0" for name in report.event_types]
            out.append(
                [student.namespace, student.student_id, *row[:3], *by_type, *row[3 + types :]]
            )
    return out


def report_csv(report: Report) -> bytes:
    """RFC 4180: a header row, CRLF line ends, quotes only where a cell needs them; the
    header and the cells in ``report.language`` (the HTML table's words and formats)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    with i18n.override(report.language):
        writer.writerow([neutralise(cell) for cell in csv_header(report)])
        for row in csv_rows(report):
            writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")
