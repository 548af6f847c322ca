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

from reports.contract import StudentIn, unit_key, unit_sort_key
from reports.timeline import Timeline, build_timeline

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
    """Event counts by unit (rows, unit order) and student (columns, input order)."""

    units: tuple[str, ...]  # as displayed
    counts: tuple[tuple[int, ...], ...]  # counts[unit][student]

    @property
    def unit_totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.counts)


@dataclass(frozen=True, slots=True)
class Report:
    students: tuple[StudentReport, ...]
    idle_minutes: float
    event_types: tuple[str, ...]  # every type used by any student, sorted
    class_summary: ClassSummary

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


def build_student(student: StudentIn, *, idle_seconds: float) -> StudentReport:
    events = student.events
    raw_times = [_aware(e.created_time) for e in events]
    order = sorted(range(len(events)), key=raw_times.__getitem__)  # stable: ties keep input order
    times = tuple([raw_times[i] for i in order])

    units = [unit_key(events[i].unit) for i in order]
    distinct = sorted(set(units), key=unit_sort_key)
    question_of = {unit: index for index, unit in enumerate(distinct)}
    event_questions = tuple([question_of[u] for u in units])

    type_names = [events[i].type for i in order]
    event_types = tuple(sorted(set(type_names)))
    type_of = {name: index for index, name in enumerate(event_types)}
    event_type_ids = tuple([type_of[t] for t in type_names])

    # Active time: gaps between consecutive events up to the idle threshold, credited to
    # the question of the earlier event (the one the student was working on).
    t0 = times[0]
    offsets = [(t - t0).total_seconds() for t in times]  # exact to the microsecond
    gaps = [b - a for a, b in pairwise(offsets)]
    active = [0.0] * len(distinct)
    for q, gap in zip(event_questions, gaps, strict=False):
        if gap <= idle_seconds:
            active[q] += gap
    idle_stretches = sum(1 for gap in gaps if gap > idle_seconds)
    longest = max(gaps, default=0.0)

    n = len(times)
    # A visit starts wherever the question changes.
    starts = [0, *(k for k in range(1, n) if event_questions[k] != event_questions[k - 1])]
    visits = [
        Visit(event_questions[a], b - a, times[a], times[b - 1])
        for a, b in zip(starts, [*starts[1:], n], strict=True)
    ]
    visit_counts = Counter(v.question for v in visits)

    per_pair = Counter(zip(event_questions, event_type_ids, strict=True))
    last_index = {q: k for k, q in enumerate(event_questions)}
    first_index = {q: k for k, q in reversed(list(enumerate(event_questions)))}
    first = [times[first_index[q]] for q in range(len(distinct))]
    last = [times[last_index[q]] for q in range(len(distinct))]
    counts = Counter(event_questions)

    questions = tuple(
        QuestionSummary(
            alias=f"Q{q + 1}",
            unit=display_text(unit),
            key=unit,
            events=counts[q],
            by_type=tuple(per_pair[(q, t)] for t in range(len(event_types))),
            visits=visit_counts[q],
            first=first[q],
            last=last[q],
            active_seconds=active[q],
        )
        for q, unit in enumerate(distinct)
    )
    return StudentReport(
        namespace=display_text(student.namespace),
        student_id=display_text(student.student_id),
        event_types=tuple(display_text(t) for t in event_types),
        questions=questions,
        times=times,
        event_questions=event_questions,
        event_type_ids=event_type_ids,
        visits=tuple(visits),
        active_seconds=sum(active),
        timeline=build_timeline(
            times,
            offsets,
            event_questions,
            event_type_ids,
            questions=len(distinct),
            idle_seconds=idle_seconds,
        ),
        idle_stretches=idle_stretches,
        longest_idle_seconds=longest,
    )


def build_class_summary(students: Sequence[StudentReport]) -> ClassSummary:
    keys = sorted({q.key for s in students for q in s.questions}, key=unit_sort_key)
    row_of = {key: index for index, key in enumerate(keys)}
    counts = [[0] * len(students) for _ in keys]
    for column, student in enumerate(students):
        for q in student.questions:
            counts[row_of[q.key]][column] = q.events
    return ClassSummary(
        units=tuple(display_text(k) for k in keys),
        counts=tuple(tuple(row) for row in counts),
    )


def build_report(
    students: Sequence[StudentIn],
    *,
    idle_minutes: float,
    on_student: Callable[[int], None] | None = None,
) -> Report:
    """The report of every student, in input order; ``on_student(n)`` after each one."""
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
    )
