"""The report model computed once from the events (its types are in ``model.py``).

Both renderers (HTML and PDF) only draw what is built here; no figure is computed twice.
Plain Python, no Django, so it can be used and tested anywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from typing import Any

from reports.report.attention import AttentionRules, attention_flags
from reports.report.contract import DEFAULT_TIMEZONE as UTC_NAME
from reports.report.contract import StudentIn, check_timezone, unit_sort_key
from reports.report.events import Extra, StudentEvents, student_events
from reports.report.insight import (
    RUN_TYPES,
    ClassInsight,
    Row,
    build_insight,
    question_process,
)
from reports.report.languages import DEFAULT_LANGUAGE
from reports.report.limits import HEAT_MAP_CELLS
from reports.report.model import (
    Carried,
    ClassSummary,
    QuestionSummary,
    Report,
    Source,
    StudentReport,
    Visit,
    display_text,
)
from reports.report.process import question_outcomes
from reports.report.timeline import build_timeline


@dataclass(frozen=True, slots=True)
class _Columns:
    """The events sorted by time (ties keep input order), as parallel columns."""

    times: tuple[datetime, ...]
    units: list[str]  # unit_key of each event
    types: list[str]
    extras: list[Extra | None] | None  # each event's outcome fields; None: no event has any


@dataclass(frozen=True, slots=True)
class _Gaps:
    active: list[float]  # active seconds per question
    idle_stretches: int
    longest: float


def build_student(student: StudentIn | StudentEvents, *, idle_seconds: float) -> StudentReport:
    if isinstance(student, StudentIn):
        student = student_events(student)
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
    if columns.extras is not None:
        outcomes = question_outcomes(
            event_questions, event_type_ids, event_types, columns.extras, len(distinct)
        )
        questions = tuple(replace(q, outcomes=o) for q, o in zip(questions, outcomes, strict=True))
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


def _chronological(student: StudentEvents) -> _Columns:
    times, units, types = student.times, student.units, student.types
    order = sorted(range(len(times)), key=times.__getitem__)  # stable: ties keep input order
    return _Columns(
        times=tuple([times[i] for i in order]),
        units=[units[i] for i in order],
        types=[types[i] for i in order],
        extras=[student.extras.get(i) for i in order] if student.extras else None,
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
    # From the end, so the first index of each question is the one kept (no list of pairs).
    backwards = zip(range(len(times) - 1, -1, -1), reversed(event_questions), strict=True)
    first_index = {q: k for k, q in backwards}
    counts = Counter(event_questions)
    process = question_process(event_questions, event_type_ids, event_types, len(distinct))
    run_ids = [t for t, name in enumerate(event_types) if name in RUN_TYPES]
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
            runs_before_submission=process[q].runs,
            saves_before_submission=process[q].saves,
            submitted=process[q].submitted,
            ran=any(per_pair[(q, t)] for t in run_ids),
            runs_since_submission=process[q].runs_since_submission,
        )
        for q, unit in enumerate(distinct)
    )


def build_class_summary(
    students: Sequence[StudentReport], *, heat_map_cells: int = HEAT_MAP_CELLS
) -> ClassSummary:
    keys = sorted({q.key for s in students for q in s.questions}, key=unit_sort_key)
    column_of = {key: index for index, key in enumerate(keys)}
    totals, reached = [0] * len(keys), [0] * len(keys)
    for student in students:
        for q in student.questions:
            totals[column_of[q.key]] += q.events
            reached[column_of[q.key]] += 1
    counts = None
    if len(students) * len(keys) <= heat_map_cells:
        counts = []
        for student in students:
            row = [0] * len(keys)
            for q in student.questions:
                row[column_of[q.key]] = q.events
            counts.append(tuple(row))
    return ClassSummary(
        students=tuple(s.student_id for s in students),
        units=tuple(display_text(k) for k in keys),
        unit_totals=tuple(totals),
        unit_students=tuple(reached),
        student_totals=tuple(s.event_count for s in students),
        counts=None if counts is None else tuple(counts),
        heat_map_cells=heat_map_cells,
    )


def build_report(
    students: Iterable[StudentIn | StudentEvents],
    *,
    idle_minutes: float,
    timezone: str = UTC_NAME,
    language: str = DEFAULT_LANGUAGE,
    source: Source | None = None,
    on_student: Callable[[int], None] | None = None,
    heat_map_cells: int = HEAT_MAP_CELLS,
    attention: AttentionRules = AttentionRules(),  # noqa: B008 (frozen: shared safely)
) -> Report:
    """The report of every student, in input order; ``on_student(n)`` after each one.
    ``timezone`` (a name ``contract.check_timezone`` accepts) is where its times are shown;
    ``language`` (a code of ``languages.LANGUAGES``) the one its renderers write in;
    ``source`` where the events came from, when not the service's own JSON;
    ``heat_map_cells`` bounds the class heat map (``build_class_summary``); ``attention``
    holds the attention rules' thresholds.

    ``students`` is read once, one student at a time: an iterator that hands each one over
    lets it be freed as soon as its report is built."""
    check_timezone(timezone)
    idle_seconds = idle_minutes * 60.0
    built = []
    for index, student in enumerate(students):
        built.append(build_student(student, idle_seconds=idle_seconds))
        if on_student is not None:
            on_student(index + 1)
    types = sorted({t for s in built for t in s.event_types})
    insight = class_insight(built) if len(built) > 1 else None
    return Report(
        students=tuple(built),
        idle_minutes=idle_minutes,
        event_types=tuple(types),
        class_summary=build_class_summary(built, heat_map_cells=heat_map_cells),
        timezone=timezone,
        language=language,
        source=source,
        insight=insight,
        attention=attention_flags(built, insight, attention),
        carried=Carried(
            outcomes=any(q.outcomes.runs for s in built for q in s.questions),
            scores=any(q.outcomes.scored for s in built for q in s.questions),
        ),
    )


def class_insight(students: Sequence[StudentReport]) -> ClassInsight:
    """The class-relative measures (``insight.build_insight``) of a class's students."""
    rows = [
        [
            Row(
                key=q.key,
                active_seconds=q.active_seconds,
                runs=q.runs_before_submission,
                saves=q.saves_before_submission,
                ran=q.ran,
                submitted=q.submitted,
            )
            for q in s.questions
        ]
        for s in students
    ]
    return build_insight(rows, display_text)
