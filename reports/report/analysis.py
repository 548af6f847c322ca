"""The report model: everything a report says, computed once from the events.

Both renderers (HTML and PDF) only draw what is here; no figure is computed twice.
Plain Python, no Django, so it can be used and tested anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from reports.report.contract import DEFAULT_TIMEZONE as UTC_NAME
from reports.report.contract import StudentIn, check_timezone, unit_key, unit_sort_key
from reports.report.timeline import Timeline, build_timeline

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
    """Event counts by student (rows, input order) and unit (columns, unit order)."""

    students: tuple[str, ...]  # the student ids, as displayed
    units: tuple[str, ...]  # as displayed
    counts: tuple[tuple[int, ...], ...]  # counts[student][unit]

    @property
    def unit_totals(self) -> tuple[int, ...]:
        return tuple(sum(column) for column in zip(*self.counts, strict=True))

    @property
    def student_totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.counts)

    @property
    def max_count(self) -> int:
        """The largest count in any cell (0 for an empty grid)."""
        return max((max(row, default=0) for row in self.counts), default=0)


@dataclass(frozen=True, slots=True)
class Report:
    students: tuple[StudentReport, ...]
    idle_minutes: float
    event_types: tuple[str, ...]  # every type used by any student, sorted
    class_summary: ClassSummary
    # The IANA zone the report shows its times in. The model's times stay in UTC (every
    # duration and the order are computed on instants); renderers convert when they show one.
    timezone: str = UTC_NAME

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


def _aware(moment: datetime) -> datetime:
    tz = moment.tzinfo
    if tz is UTC:  # msgspec gives UTC itself for "Z" and "+00:00": the common case, no copy
        return moment
    return moment.replace(tzinfo=UTC) if tz is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class _Columns:
    """The events sorted by time (ties keep input order), as parallel columns."""

    times: tuple[datetime, ...]
    units: list[str]  # unit_key of each event
    types: list[str]


@dataclass(frozen=True, slots=True)
class _Gaps:
    active: list[float]  # active seconds per question
    idle_stretches: int
    longest: float


def build_student(student: StudentIn, *, idle_seconds: float) -> StudentReport:
    columns = _chronological(student)
    distinct, event_questions = _indexed(columns.units, unit_sort_key)
    event_types, event_type_ids = _indexed(columns.types, None)
    times = columns.times
    offsets = [(t - times[0]).total_seconds() for t in times]  # exact to the microsecond
    gaps = _gaps(offsets, event_questions, len(distinct), idle_seconds)
    visits = _visits(event_questions, times)
    questions = _questions(
        distinct, event_types, times, event_questions, event_type_ids, visits, gaps
    )
    return StudentReport(
        namespace=display_text(student.namespace),
        student_id=display_text(student.student_id),
        event_types=tuple(display_text(t) for t in event_types),
        questions=questions,
        times=times,
        event_questions=event_questions,
        event_type_ids=event_type_ids,
        visits=visits,
        active_seconds=sum(gaps.active),
        timeline=build_timeline(
            times,
            offsets,
            event_questions,
            event_type_ids,
            questions=len(distinct),
            idle_seconds=idle_seconds,
        ),
        idle_stretches=gaps.idle_stretches,
        longest_idle_seconds=gaps.longest,
    )


def _chronological(student: StudentIn) -> _Columns:
    events = student.events
    raw_times = [_aware(e.created_time) for e in events]
    order = sorted(range(len(events)), key=raw_times.__getitem__)  # stable: ties keep input order
    return _Columns(
        times=tuple([raw_times[i] for i in order]),
        units=[unit_key(events[i].unit) for i in order],
        types=[events[i].type for i in order],
    )


def _indexed(
    values: list[str], sort_key: Callable[[str], Any] | None
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The distinct values in order, and each value's index among them."""
    distinct = tuple(sorted(set(values), key=sort_key))
    index_of = {value: index for index, value in enumerate(distinct)}
    return distinct, tuple([index_of[v] for v in values])


def _gaps(
    offsets: list[float], event_questions: Sequence[int], questions: int, idle_seconds: float
) -> _Gaps:
    """Active time: gaps between consecutive events up to the idle threshold, credited to
    the question of the earlier event (the one the student was working on)."""
    gaps = [b - a for a, b in pairwise(offsets)]
    active = [0.0] * questions
    for q, gap in zip(event_questions, gaps, strict=False):
        if gap <= idle_seconds:
            active[q] += gap
    return _Gaps(
        active=active,
        idle_stretches=sum(1 for gap in gaps if gap > idle_seconds),
        longest=max(gaps, default=0.0),
    )


def _visits(event_questions: Sequence[int], times: Sequence[datetime]) -> tuple[Visit, ...]:
    """A visit starts wherever the question changes."""
    n = len(times)
    starts = [0, *(k for k in range(1, n) if event_questions[k] != event_questions[k - 1])]
    return tuple(
        Visit(event_questions[a], b - a, times[a], times[b - 1])
        for a, b in zip(starts, [*starts[1:], n], strict=True)
    )


def _questions(
    distinct: Sequence[str],
    event_types: Sequence[str],
    times: Sequence[datetime],
    event_questions: Sequence[int],
    event_type_ids: Sequence[int],
    visits: Sequence[Visit],
    gaps: _Gaps,
) -> tuple[QuestionSummary, ...]:
    visit_counts = Counter(v.question for v in visits)
    per_pair = Counter(zip(event_questions, event_type_ids, strict=True))
    last_index = {q: k for k, q in enumerate(event_questions)}
    first_index = {q: k for k, q in reversed(list(enumerate(event_questions)))}
    counts = Counter(event_questions)
    return tuple(
        QuestionSummary(
            alias=f"Q{q + 1}",
            unit=display_text(unit),
            key=unit,
            events=counts[q],
            by_type=tuple(per_pair[(q, t)] for t in range(len(event_types))),
            visits=visit_counts[q],
            first=times[first_index[q]],
            last=times[last_index[q]],
            active_seconds=gaps.active[q],
        )
        for q, unit in enumerate(distinct)
    )


def build_class_summary(students: Sequence[StudentReport]) -> ClassSummary:
    keys = sorted({q.key for s in students for q in s.questions}, key=unit_sort_key)
    column_of = {key: index for index, key in enumerate(keys)}
    counts = []
    for student in students:
        row = [0] * len(keys)
        for q in student.questions:
            row[column_of[q.key]] = q.events
        counts.append(tuple(row))
    return ClassSummary(
        students=tuple(s.student_id for s in students),
        units=tuple(display_text(k) for k in keys),
        counts=tuple(counts),
    )


def build_report(
    students: Sequence[StudentIn],
    *,
    idle_minutes: float,
    timezone: str = UTC_NAME,
    on_student: Callable[[int], None] | None = None,
) -> Report:
    """The report of every student, in input order; ``on_student(n)`` after each one.
    ``timezone`` (a name ``contract.check_timezone`` accepts) is where its times are shown."""
    check_timezone(timezone)
    idle_seconds = idle_minutes * 60.0
    built = []
    for index, student in enumerate(students):
        built.append(build_student(student, idle_seconds=idle_seconds))
        if on_student is not None:
            on_student(index + 1)
    types = sorted({t for s in built for t in s.event_types})
    return Report(
        students=tuple(built),
        idle_minutes=idle_minutes,
        event_types=tuple(types),
        class_summary=build_class_summary(built),
        timezone=timezone,
    )
