"""A student's Questions table, the same in every format (HTML, PDF, the CSV's rows),
with the outcome figures (reports/report/process.py) as its last columns when the
report's events carry the fields they need, and otherwise a sentence naming the fields."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from reports.renderers.tables import fmt_duration, fmt_time, time_header
from reports.report.model import Carried, QuestionSummary, StudentReport

NONE = Carried()
NO_FIGURE = "—"  # a figure the question's events cannot give (not a zero)
OUTCOME_COLUMNS = ("Error Quotient", "Repeated error density")
SCORE_COLUMNS = ("First correct", "Ever correct")
# Each in one line of the PDF: a seed report's student still fits on one page.
NEEDS_OUTCOMES = "Error Quotient and Repeated Error Density need outcome and error_type on runs"
NEEDS_SCORES = "Correctness (first and ever correct) needs score on submissions."
DASH_NOTE = (
    f"An outcome column shows {NO_FIGURE} where the question's events lack what its figure "
    "needs (docs/report.md, 'Errors and correctness')."
)


def question_header(
    event_types: Sequence[str], zone: ZoneInfo, carried: Carried = NONE
) -> list[str]:
    """The per-question table's columns (the CSV puts namespace and student id first)."""
    return [
        "Question",
        "Unit",
        "Events",
        *event_types,
        "Visits",
        time_header("First", zone),
        time_header("Last", zone),
        "Active time",
        *(OUTCOME_COLUMNS if carried.outcomes else ()),
        *(SCORE_COLUMNS if carried.scores else ()),
    ]


def fmt_measure(value: float | None) -> str:
    """An Error Quotient or a Repeated Error Density: '0.73'; '—' when there is none."""
    return NO_FIGURE if value is None else f"{value:.2f}"


def fmt_yes(value: bool | None) -> str:
    return NO_FIGURE if value is None else ("yes" if value else "no")


def outcome_cells(q: QuestionSummary, carried: Carried) -> list[str]:
    """A question's outcome columns, those the report shows."""
    o = q.outcomes
    cells = []
    if carried.outcomes:
        cells += [fmt_measure(o.error_quotient), fmt_measure(o.repeated_error_density)]
    if carried.scores:
        cells += [fmt_yes(o.first_correct), fmt_yes(o.ever_correct)]
    return cells


def question_table(
    student: StudentReport, zone: ZoneInfo, carried: Carried = NONE
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-question table (times on the zone's clock)."""
    header = question_header(student.event_types, zone, carried)
    rows = [
        [
            q.alias,
            q.unit,
            str(q.events),
            *(str(n) for n in q.by_type),
            str(q.visits),
            fmt_time(q.first, zone),
            fmt_time(q.last, zone),
            fmt_duration(q.active_seconds),
            *outcome_cells(q, carried),
        ]
        for q in student.questions
    ]
    return header, rows


def numeric_columns(student: StudentReport, carried: Carried) -> frozenset[int]:
    """The columns drawn right-aligned: the counts, and the two measures."""
    types = len(student.event_types)
    counts = range(2, 4 + types)
    measures = range(7 + types, 9 + types) if carried.outcomes else range(0)
    return frozenset([*counts, *measures])


def process_note(carried: Carried) -> str:
    """What the report says of its outcome figures: which need which fields the events
    lack (none of them: one line), and what a dash in an outcome column means."""
    if not carried.outcomes and not carried.scores:
        return f"{NEEDS_OUTCOMES}; correctness needs score."
    parts = [] if carried.outcomes else [f"{NEEDS_OUTCOMES}."]
    parts += [] if carried.scores else [NEEDS_SCORES]
    return " ".join([*parts, DASH_NOTE])
