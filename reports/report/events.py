"""A stored body decoded into compact columns, a slice of events at a time.

What the report model needs of an event is its time (UTC), its unit and its type, and the
outcome fields of the few events that carry them (``extras``, by index). Decoded
as ``EventIn`` structs, each event also costs an object and two strings of its own, about
four times what the columns keep, and a 55 MB body decoded at once held every one of them
next to the body itself. ``decode_student_events`` keeps only the columns: a large body is
first read with each event left as a ``msgspec.Raw`` (a view into the body, no copy), then
decoded ``SLICE`` events at a time into ``EventIn``; the slice's columns are kept (every
distinct unit and type text once) and its structs freed.

The rules are those of ``contract.py`` and so are the errors: a body that fails here is
decoded again with ``decode_students``, whose error (the first problem in document order)
is the one raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from reports.report.contract import (
    AttentionIn,
    CallbackUrl,
    EventIn,
    Identifier,
    IdleMinutes,
    StudentIn,
    TimezoneName,
    decode_students,
    unit_key,
)
from reports.report.languages import LanguageTag

SLICE = 4096  # events decoded into structs at once
SMALL_BODY = 1 << 20  # bytes; a body up to this size is decoded in one pass
# An event's outcome fields, as received: (outcome, error_type, error_line, score).
Extra = tuple[str | None, str | None, int | None, float | None]


def utc(moment: datetime) -> datetime:
    tz = moment.tzinfo
    if tz is UTC:  # msgspec gives UTC itself for "Z" and "+00:00": the common case, no copy
        return moment
    return moment.replace(tzinfo=UTC) if tz is None else moment.astimezone(UTC)


class Texts:
    """One copy of every distinct unit and type text: 600,000 events of a few units hold a
    few strings, not 1.2 million."""

    def __init__(self) -> None:
        self.units: dict[str | int, str] = {}  # a unit as received -> its unit_key
        self.types: dict[str, str] = {}
        self.extras: dict[Extra, Extra] = {}  # each distinct outcome-field tuple, once
        self._keys: dict[str, str] = {}

    def unit(self, unit: str | int) -> str:
        key = unit_key(unit)
        self.units[unit] = key = self._keys.setdefault(key, key)
        return key

    def type(self, text: str) -> str:
        self.types[text] = text
        return text


@dataclass(slots=True)
class StudentEvents:
    """One student's events, in input order, as parallel columns."""

    namespace: str
    student_id: str
    times: list[datetime]  # aware, UTC
    units: list[str]  # unit_key of each event
    types: list[str]
    attention: AttentionIn | None = None  # the body's thresholds (read for one object)
    # The outcome fields of the events that carry an outcome or a score, by input index.
    extras: dict[int, Extra] = field(default_factory=dict)

    def extend(self, events: list[EventIn], texts: Texts) -> None:
        seen_unit, new_unit = texts.units.get, texts.unit
        seen_type, new_type = texts.types.get, texts.type
        self.extras.update(extras(events, len(self.times), texts.extras))
        self.times += [utc(e.created_time) for e in events]
        self.units += [seen_unit(e.unit) or new_unit(e.unit) for e in events]
        self.types += [seen_type(e.type) or new_type(e.type) for e in events]


def extras(
    events: list[EventIn], first: int = 0, seen: dict[Extra, Extra] | None = None
) -> dict[int, Extra]:
    """The outcome fields of the events that carry an outcome or a score, by index (the
    first event's index is ``first``); nothing for events without them. With ``seen``,
    equal tuples are kept once (a big body's runs repeat a few outcomes and errors)."""
    found: dict[int, Extra] = {
        first + k: (e.outcome, e.error_type, e.error_line, e.score)
        for k, e in enumerate(events)
        if e.outcome is not None or e.score is not None
    }
    if seen is not None:
        for index, extra in found.items():
            found[index] = seen.setdefault(extra, extra)
    return found


def student_events(student: StudentIn) -> StudentEvents:
    """A decoded student's columns (its texts are not folded: a small body's are few)."""
    events = student.events
    return StudentEvents(
        student.namespace,
        student.student_id,
        [utc(e.created_time) for e in events],
        [unit_key(e.unit) for e in events],
        [e.type for e in events],
        student.attention,
        extras(events),
    )


class _SlicedStudent(msgspec.Struct, frozen=True):
    """``StudentIn`` with its events left undecoded (tests check the two agree)."""

    namespace: Identifier
    student_id: Identifier
    events: Annotated[list[msgspec.Raw], msgspec.Meta(min_length=1)]
    idle_minutes: IdleMinutes | None = None
    callback_url: CallbackUrl | None = None
    timezone: TimezoneName | None = None
    attention: AttentionIn | None = None
    language: LanguageTag | None = None


_outer = msgspec.json.Decoder(
    _SlicedStudent | Annotated[list[_SlicedStudent], msgspec.Meta(min_length=1)]
)
_slice = msgspec.json.Decoder(list[EventIn])
_BAD_BODY = (msgspec.DecodeError, ValueError, OverflowError, RecursionError)


def decode_student_events(body: bytes, *, small_body: int = SMALL_BODY) -> list[StudentEvents]:
    """``decode_students`` as columns, with its rules and its errors."""
    if len(body) <= small_body:
        return [student_events(s) for s in decode_students(body)]
    try:
        return _decode_sliced(body)
    except _BAD_BODY as exc:
        error = exc
    decode_students(body)  # raises what the one-pass decode says of this body
    raise error  # it did not: the error came from the columns (a time out of range)


def _decode_sliced(body: bytes) -> list[StudentEvents]:
    decoded = _outer.decode(body)
    students = [decoded] if isinstance(decoded, _SlicedStudent) else decoded
    del decoded
    texts = Texts()
    out = []
    for student in students:
        columns = StudentEvents(
            student.namespace, student.student_id, [], [], [], student.attention
        )
        raws = student.events
        raws.reverse()  # each slice is taken off the end, so its views are freed as it goes
        while raws:
            part = raws[-SLICE:]
            del raws[-SLICE:]
            part.reverse()
            columns.extend(_slice.decode(b"".join((b"[", b",".join(part), b"]"))), texts)
        out.append(columns)
    return out
