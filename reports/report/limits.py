"""What one request may hold, counted by what its report will cost rather than by its bytes.

A report's size, time and memory grow with a few counts of its input (docs/guarantees.md,
"Bounded work"): the events E, the students S, the rows of the question tables R (one per
student and unit the student worked on), the distinct event types T (a column each in
every question table and in the CSV) and the distinct units U. Two of its parts grow with
a product: the question tables (R x (7 + T) cells) and the class heat map (S x U cells).
Each count but the last gets a limit here, checked once the body is decoded and before
anything is stored.
The heat map is not refused but bounded: over its cell budget (``analysis.build_report``'s
``heat_map_cells``) the class overview lists the units instead of drawing the grid.

Plain Python, no Django: the API passes the settings in (``Limits``), the CLI too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.report.contract import StudentIn, unit_key


@dataclass(frozen=True, slots=True)
class Limits:
    events: int
    students: int
    units: int  # distinct units in the request
    units_per_student: int
    event_types: int  # distinct types in the request
    # The question tables' cells: R rows (a student's distinct units, summed over the
    # students) x (QUESTION_COLUMNS + T) columns, as the CSV has them.
    question_cells: int


# The defaults (settings override them: docs/configuration.md). No realistic class reaches
# them: a few thousand students, a few hundred units, a handful of event types.
DEFAULT_LIMITS = Limits(
    events=1_000_000,
    students=10_000,
    units=2_000,
    units_per_student=500,
    event_types=16,
    question_cells=1_000_000,  # 100,000 rows with the seed's 3 types, 43,478 with 16
)
# The question table's columns besides one per event type (renderers.questions.question_header),
# and the most that events carrying outcome fields add (Error Quotient, Repeated Error
# Density, first and ever correct).
QUESTION_COLUMNS = 7
OUTCOME_COLUMNS = 4
# The heat map's budget in students x units cells: 50,000 is 250 students x 200 units, a
# 1.6 MB HTML table or ~40 PDF pages; over it a reader wants the units, not the grid.
HEAT_MAP_CELLS = 50_000


class LimitExceeded(ValueError):
    """One count is over its limit; ``path`` names the student when the limit is theirs
    (``[3]``; empty for the body as a whole or for a one-object body)."""

    def __init__(self, *, limit: str, maximum: int, found: int, path: str = "") -> None:
        where = f" (student at {path})" if path else ""
        super().__init__(
            f"The request holds {found} {_NOUNS[limit]}{where}; at most {maximum} are "
            "accepted in one request."
        )
        self.limit = limit
        self.maximum = maximum
        self.found = found
        self.path = path


_NOUNS = {
    "events": "events",
    "students": "students",
    "units": "distinct units",
    "units_per_student": "distinct units for one student",
    "event_types": "distinct event types",
    "question_cells": "question-table cells (rows: each student's distinct units; "
    f"columns: {QUESTION_COLUMNS} + one per event type, + {OUTCOME_COLUMNS} with outcome fields)",
}


# The limits' names, as a 413's ``limit`` gives them.
LIMIT_NAMES = tuple(_NOUNS)


@dataclass(frozen=True, slots=True)
class RequestShape:
    """The counts of one request that its report's cost depends on."""

    students: int
    events: int
    units: int
    question_rows: int
    event_types: int

    @property
    def question_cells(self) -> int:
        return self.question_rows * (QUESTION_COLUMNS + self.event_types)


def request_shape(
    students: Sequence[StudentIn], limits: Limits, *, one_object: bool = False
) -> RequestShape:
    """Count the request's dimensions, raising ``LimitExceeded`` for the first one over
    its limit (students and events first: they are the cheapest to count). One pass over
    the events; the sets hold each distinct unit and type once."""
    _check("students", len(students), limits.students)
    events = sum(len(s.events) for s in students)
    _check("events", events, limits.events)
    all_units: set[str] = set()
    types: set[str] = set()
    rows = 0
    for index, student in enumerate(students):
        units = {unit_key(u) for u in {e.unit for e in student.events}}  # 17 is "17"
        path = "" if one_object else f"[{index}]"
        _check("units_per_student", len(units), limits.units_per_student, path)
        rows += len(units)
        all_units |= units
        types.update(e.type for e in student.events)
    _check("units", len(all_units), limits.units)
    _check("event_types", len(types), limits.event_types)
    shape = RequestShape(
        students=len(students),
        events=events,
        units=len(all_units),
        question_rows=rows,
        event_types=len(types),
    )
    _check("question_cells", shape.question_cells, limits.question_cells)
    # Events that carry outcome fields add up to OUTCOME_COLUMNS to every row. Whether any
    # does costs a pass over the events, so it is asked only when those columns would
    # take the tables over the limit.
    widest = rows * (QUESTION_COLUMNS + len(types) + OUTCOME_COLUMNS)
    if widest > limits.question_cells and _any_outcome(students):
        _check("question_cells", widest, limits.question_cells)
    return shape


def _any_outcome(students: Sequence[StudentIn]) -> bool:
    return any(e.outcome is not None or e.score is not None for s in students for e in s.events)


def _check(limit: str, found: int, maximum: int, path: str = "") -> None:
    if found > maximum:
        raise LimitExceeded(limit=limit, maximum=maximum, found=found, path=path)
