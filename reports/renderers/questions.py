"""A student's Questions table, the same in every format (HTML, PDF, the CSV's rows),
with the outcome figures (reports/report/process.py) as its last columns when the
report's events carry the fields they need, and otherwise a sentence naming the fields."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from reports.renderers.formats import fmt_duration, fmt_int, fmt_number, fmt_time
from reports.renderers.i18n import gettext as _
from reports.renderers.i18n import gettext_noop, pgettext
from reports.renderers.tables import first_header, last_header
from reports.report.model import Carried, QuestionSummary, StudentReport

NONE = Carried()
NO_FIGURE = "—"  # a figure the question's events cannot give (not a zero)
# The English texts (tests compare them); the report shows their translations.
OUTCOME_COLUMNS = (gettext_noop("Error Quotient"), gettext_noop("Repeated error density"))
SCORE_COLUMNS = (gettext_noop("First correct"), gettext_noop("Ever correct"))
# Each in one line of the PDF: a seed report's student still fits on one page.
NEEDS_OUTCOMES = "Error Quotient and Repeated Error Density need outcome and error_type on runs"
_OUTCOMES_ONLY = gettext_noop(
    "Error Quotient and Repeated Error Density need outcome and error_type on runs."
)
_NEITHER = gettext_noop(
    "Error Quotient and Repeated Error Density need outcome and error_type on runs; "
    "correctness needs score."
)
NEEDS_SCORES = gettext_noop("Correctness (first and ever correct) needs score on submissions.")
DASH_NOTE = gettext_noop(
    "An outcome column shows %(dash)s where the question's events lack what its figure "
    "needs (docs/report.md, 'Errors and correctness')."
)


def question_header(
    event_types: Sequence[str], zone: ZoneInfo, carried: Carried = NONE
) -> list[str]:
    """The per-question table's columns (the CSV puts namespace and student id first)."""
    return [
        _("Question"),
        _("Unit"),
        _("Events"),
        *event_types,
        _("Visits"),
        first_header(zone),
        last_header(zone),
        _("Active time"),
        *(_(c) for c in (OUTCOME_COLUMNS if carried.outcomes else ())),
        *(_(c) for c in (SCORE_COLUMNS if carried.scores else ())),
    ]


def fmt_measure(value: float | None) -> str:
    """An Error Quotient or a Repeated Error Density: '0.73'; '—' when there is none."""
    return NO_FIGURE if value is None else fmt_number(value, 2)


def fmt_yes(value: bool | None) -> str:
    if value is None:
        return NO_FIGURE
    return pgettext("a cell: correct", "yes") if value else pgettext("a cell: correct", "no")


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
            fmt_int(q.events),
            *(fmt_int(n) for n in q.by_type),
            fmt_int(q.visits),
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
        return _(_NEITHER)
    parts = [] if carried.outcomes else [_(_OUTCOMES_ONLY)]
    parts += [] if carried.scores else [_(NEEDS_SCORES)]
    return " ".join([*parts, _(DASH_NOTE) % {"dash": NO_FIGURE}])
