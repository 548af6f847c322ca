"""Formatting shared by both renderers, so the HTML and the PDF say the same thing."""

from __future__ import annotations

from datetime import datetime

from reports.analysis import StudentReport


def fmt_time(moment: datetime) -> str:
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text


def fmt_duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def question_table(student: StudentReport) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-question table (times in UTC)."""
    header = [
        "Question",
        "Unit",
        "Events",
        *student.event_types,
        "Visits",
        "First (UTC)",
        "Last (UTC)",
        "Active time",
    ]
    rows = [
        [
            q.alias,
            q.unit,
            str(q.events),
            *(str(n) for n in q.by_type),
            str(q.visits),
            fmt_time(q.first),
            fmt_time(q.last),
            fmt_duration(q.active_seconds),
        ]
        for q in student.questions
    ]
    return header, rows


def student_facts(student: StudentReport) -> list[tuple[str, str]]:
    """The student's totals, label and value."""
    return [
        ("Events", str(student.event_count)),
        ("Questions", str(len(student.questions))),
        ("Active time", fmt_duration(student.active_seconds)),
        ("First activity", f"{fmt_time(student.first)} UTC"),
        ("Last activity", f"{fmt_time(student.last)} UTC"),
    ]


def visit_path(student: StudentReport, arrow: str = " → ") -> str:
    """Consecutive events on one question folded into one visit: 'Q1 (3) → Q2 → Q1 (2)'."""
    aliases = [q.alias for q in student.questions]
    return arrow.join(
        aliases[v.question] if v.events == 1 else f"{aliases[v.question]} ({v.events})"
        for v in student.visits
    )
