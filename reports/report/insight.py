"""Class-relative measures (docs/report.md, "Questions across the class"): per unit, how
many students opened, ran and submitted it, and the median and 90th percentile of their
active time, runs and saves; per student and question, where they stand in the class.

Computed once per class report from the question rows (no event is read again): each
unit's values are sorted once, and each student's rank is a binary search in them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports.report.contract import unit_sort_key

# The event types that count as running code, saving and submitting (docs/report.md).
RUN_TYPES = frozenset({"run_code", "run"})
SAVE_TYPES = frozenset({"saved_code"})
SUBMISSION_TYPES = frozenset({"submission"})


@dataclass(frozen=True, slots=True)
class Process:
    """One student's work on one question up to its first submission (all of it when
    there is none)."""

    runs: int
    saves: int
    submitted: bool
    runs_since_submission: int  # runs after the last submission (all of them without one)


@dataclass(frozen=True, slots=True)
class Spread:
    median: float
    p90: float


@dataclass(frozen=True, slots=True)
class UnitStats:
    unit: str  # as displayed
    key: str  # as received
    opened: int  # students with any event on it
    ran: int  # students with at least one run on it
    submitted: int  # students with at least one submission on it
    active_seconds: Spread
    runs: Spread  # runs before the first submission
    saves: Spread  # saves before the first submission

    @property
    def difficulty(self) -> float:
        """The share of the students who opened it but never submitted it (0..1)."""
        return (self.opened - self.submitted) / self.opened


@dataclass(frozen=True, slots=True)
class Cohort:
    """A student's standing on one question: the percentage of the other students who
    opened it with a strictly smaller value; None when nobody else opened it."""

    active_seconds: float | None
    runs: float | None
    saves: float | None


def question_process(
    event_questions: Sequence[int],
    event_type_ids: Sequence[int],
    event_types: Sequence[str],
    questions: int,
) -> tuple[Process, ...]:
    """Runs and saves before each question's first submission, in one pass over the
    events (chronological order)."""
    run = [t in RUN_TYPES for t in event_types]
    save = [t in SAVE_TYPES for t in event_types]
    submit = [t in SUBMISSION_TYPES for t in event_types]
    runs, saves, done = [0] * questions, [0] * questions, [False] * questions
    since = [0] * questions
    for q, t in zip(event_questions, event_type_ids, strict=True):
        if submit[t]:
            done[q] = True
            since[q] = 0
        elif run[t]:
            since[q] += 1
            if not done[q]:
                runs[q] += 1
        elif save[t] and not done[q]:
            saves[q] += 1
    return tuple(map(Process, runs, saves, done, since))


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) of sorted values, interpolating linearly between the
    closest ranks (numpy's default, Excel's PERCENTILE.INC); 0 for no values."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rank(ordered: Sequence[float], value: float) -> float | None:
    """The percentage of the other values strictly below ``value`` (one of ``ordered``)."""
    if len(ordered) < 2:
        return None
    return 100 * bisect_left(ordered, value) / (len(ordered) - 1)


@dataclass(frozen=True, slots=True)
class Row:
    """What the class measures read of one student's question."""

    key: str
    active_seconds: float
    runs: int
    saves: int
    ran: bool
    submitted: bool


@dataclass(frozen=True, slots=True)
class ClassInsight:
    units: tuple[UnitStats, ...]  # in unit order
    unit_active: tuple[tuple[float, ...], ...]  # each unit's active seconds, sorted
    cohorts: tuple[tuple[Cohort, ...], ...]  # [student][question], as its question rows


def _spread(ordered: Sequence[float]) -> Spread:
    return Spread(percentile(ordered, 50), percentile(ordered, 90))


def build_insight(students: Sequence[Sequence[Row]], display: Callable[[str], str]) -> ClassInsight:
    """The class measures from each student's rows (``display``: a unit as shown):
    O(rows log rows), each unit's values sorted once."""
    by_unit: dict[str, list[Row]] = {}
    for rows in students:
        for row in rows:
            by_unit.setdefault(row.key, []).append(row)
    keys = sorted(by_unit, key=unit_sort_key)
    ordered: dict[str, tuple[list[float], list[float], list[float]]] = {}
    units = []
    for key in keys:
        rows = by_unit[key]
        active = sorted(r.active_seconds for r in rows)
        runs = sorted(float(r.runs) for r in rows)
        saves = sorted(float(r.saves) for r in rows)
        ordered[key] = (active, runs, saves)
        units.append(
            UnitStats(
                unit=display(key),
                key=key,
                opened=len(rows),
                ran=sum(1 for r in rows if r.ran),
                submitted=sum(1 for r in rows if r.submitted),
                active_seconds=_spread(active),
                runs=_spread(runs),
                saves=_spread(saves),
            )
        )
    cohorts = tuple(
        tuple(
            Cohort(
                active_seconds=rank(ordered[r.key][0], r.active_seconds),
                runs=rank(ordered[r.key][1], float(r.runs)),
                saves=rank(ordered[r.key][2], float(r.saves)),
            )
            for r in rows
        )
        for rows in students
    )
    return ClassInsight(
        units=tuple(units),
        unit_active=tuple(tuple(ordered[key][0]) for key in keys),
        cohorts=cohorts,
    )
