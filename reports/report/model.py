"""The report model's types: everything a report says, as plain frozen dataclasses.

``analysis.py`` computes them once from the events; both renderers only draw them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from reports.report.contract import DEFAULT_TIMEZONE
from reports.report.insight import ClassInsight
from reports.report.process import NO_OUTCOMES, Outcomes
from reports.report.timeline import Timeline

ARROW = " -> "
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def display_text(value: str) -> str:
    """User text as it may be shown: control characters become U+FFFD, never dropped."""
    return _CONTROL.sub("\ufffd", value)


@dataclass(frozen=True, slots=True)
class QuestionSummary:
    alias: str
    unit: str  # as displayed
    key: str  # the unit as received (str), which identifies it across students
    events: int
    by_type: tuple[int, ...]  # one count per entry of StudentReport.event_types
    visits: int
    first: datetime
    last: datetime
    active_seconds: float
    # Up to the first submission (all of them without one): reports/report/insight.py.
    runs_before_submission: int = 0
    saves_before_submission: int = 0
    submitted: bool = False
    ran: bool = False  # any run on it, before or after a submission
    runs_since_submission: int = 0  # after the last submission (all of them without one)
    outcomes: Outcomes = NO_OUTCOMES  # from the events' outcome fields (process.py)


@dataclass(frozen=True, slots=True)
class Flag:
    """An attention rule that fired (reports/report/attention.py): on a question, or on the
    student's whole activity (``unit`` and ``question`` None)."""

    rule: str
    unit: str | None  # as displayed
    question: str | None  # the student's alias
    value: float
    threshold: float
    reason: str  # in English (the JSON's); the renderers word it from the fields below
    variant: str = ""  # which wording of the rule (struggling: against what; stuck in runs)
    param: float = 0.0  # the rule's other figure (a percentile, a window in minutes)
    error: str | None = None  # stuck in errors: the last error's type, as displayed
    line: int | None = None  # and its line


@dataclass(frozen=True, slots=True)
class Visit:
    """Consecutive events on one question, folded together."""

    question: int  # index into StudentReport.questions
    events: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StudentReport:
    namespace: str
    student_id: str
    event_types: tuple[str, ...]  # the types this student used, sorted
    questions: tuple[QuestionSummary, ...]  # in alias order: Q1, Q2, ...
    # The events in chronological order (ties keep input order), as parallel columns.
    times: tuple[datetime, ...]
    event_questions: tuple[int, ...]  # index into questions
    event_type_ids: tuple[int, ...]  # index into event_types
    visits: tuple[Visit, ...]
    active_seconds: float
    timeline: Timeline
    idle_stretches: int  # gaps longer than the idle threshold
    longest_idle_seconds: float  # the longest gap between two events (0 for one event)

    @property
    def event_count(self) -> int:
        return len(self.times)

    @property
    def first(self) -> datetime:
        return self.times[0]

    @property
    def last(self) -> datetime:
        return self.times[-1]

    @property
    def event_order(self) -> str:
        """The contract line's value: one alias per event, ' -> ' between them."""
        aliases = [q.alias for q in self.questions]
        return ARROW.join([aliases[i] for i in self.event_questions])

    @property
    def event_order_line(self) -> str:
        return f"Event Order: {self.event_order}"


@dataclass(frozen=True, slots=True)
class ClassSummary:
    """Events by unit (unit order), and by student (rows, input order) and unit.

    The grid (``counts``) has a cell per student and unit: it is built only while
    students x units stays within the report's heat-map budget, else it is None and the
    class overview lists the units instead (docs/report.md, "Class overview")."""

    students: tuple[str, ...]  # the student ids, as displayed
    units: tuple[str, ...]  # as displayed
    unit_totals: tuple[int, ...]  # events per unit
    unit_students: tuple[int, ...]  # students with at least one event on the unit
    student_totals: tuple[int, ...]  # events per student
    counts: tuple[tuple[int, ...], ...] | None  # counts[student][unit]; None: over budget
    heat_map_cells: int  # the budget it was built under

    @property
    def cells(self) -> int:
        return len(self.students) * len(self.units)

    @property
    def max_count(self) -> int:
        """The largest count in any cell (0 for an empty or omitted grid)."""
        return max((max(row, default=0) for row in self.counts or ()), default=0)


@dataclass(frozen=True, slots=True)
class Carried:
    """Which outcome fields the report's events carry: the figures that need them are
    shown only then (docs/report.md, "Errors and correctness")."""

    outcomes: bool = False  # a run with an ``outcome``: Error Quotient, Repeated Error Density
    scores: bool = False  # a submission with a ``score``: first correct, ever correct


class Source(msgspec.Struct, frozen=True):
    """Where a report's events came from when they were not the service's own JSON
    (docs/api.md, "Other input formats"): the format, the events it became and those that
    mapped to nothing, by reason (``"verb <IRI>"``, most first). Stored with the job as
    JSON (its ``source`` column), shown by the status answer and the report."""

    format: str  # progsnap2 | xapi | caliper
    events: int  # the events it became (the report's)
    ignored: int
    ignored_by: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    students: tuple[StudentReport, ...]
    idle_minutes: float
    event_types: tuple[str, ...]  # every type used by any student, sorted
    class_summary: ClassSummary
    # The IANA zone the report shows its times in. The model's times stay in UTC (every
    # duration and the order are computed on instants); renderers convert when they show one.
    timezone: str = DEFAULT_TIMEZONE
    # The language (a code of ``reports.report.languages.LANGUAGES``) of every word the
    # renderers write, and of their number and date formats; the model itself has no words.
    language: str = "en"
    # The class-relative measures: a class report's only (None for one student).
    insight: ClassInsight | None = None
    # Each student's attention flags, as ``students`` (docs/report.md, "Attention flags").
    attention: tuple[tuple[Flag, ...], ...] = ()
    carried: Carried = Carried()
    source: Source | None = None  # None: the service's own JSON

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches its instances by name

    @property
    def student_ids(self) -> list[str]:
        return [s.student_id for s in self.students]

    @property
    def event_count(self) -> int:
        return sum(s.event_count for s in self.students)

    @property
    def last_activity(self) -> datetime:
        """Used as the document date, so identical input gives identical output."""
        return max(s.last for s in self.students)
