"""The events of every format gathered as compact columns, then written as the service's body.

A converter calls ``Collector.add`` once per mapped event, in input order. What is kept per
event is five machine integers (the time in UTC microseconds, a sort key, and indexes into
tables of the distinct units, types and outcome fields), so a big table costs a few tens of
bytes an event besides the body written at the end. ``body`` sorts each student's events (by
the sort key, then input order) and writes the JSON body of ``reports.report.contract``:
a list of student objects, students in the order they first appear.
"""

from __future__ import annotations

import io
from array import array
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import msgspec

from reports.errors import InvalidInput, Unprocessable
from reports.report.contract import MAX_EVENT_YEAR, MAX_TEXT, MIN_EVENT_YEAR
from reports.report.events import Extra
from reports.report.invalid import MAX_REPORTED_ERRORS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)
NO_EXTRA = 0  # index of "no outcome fields" in the extras table
MAX_REASONS = 100  # distinct reasons counted apart in ``ignored_by``
OTHER_REASONS = f"other reasons (beyond {MAX_REASONS})"


def micros(moment: datetime) -> int:
    """An aware time as whole microseconds since 1970 UTC (exact)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def check_text(value: str, what: str) -> str:
    """An identifier or unit text as the contract takes it: 1-255 characters, no NUL."""
    if not value:
        raise ValueError(f"{what} is empty.")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{what} is longer than {MAX_TEXT} characters.")
    if "\x00" in value:
        raise ValueError(f"{what} holds a NUL character.")
    return value


def check_time(moment: datetime) -> datetime:
    """An aware time in the years a report can show (``contract.EventIn``), in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if not MIN_EVENT_YEAR <= moment.year <= MAX_EVENT_YEAR:
        raise ValueError(
            f"{moment.isoformat()} is outside the years {MIN_EVENT_YEAR}-{MAX_EVENT_YEAR}."
        )
    return moment


class Errors:
    """Every bad field by its path, up to ``MAX_REPORTED_ERRORS``; then a 400."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        if len(self.found) < MAX_REPORTED_ERRORS:
            self.found.setdefault(path, []).append(message)

    @property
    def full(self) -> bool:
        return len(self.found) >= MAX_REPORTED_ERRORS

    def raise_any(self, what: str) -> None:
        if self.found:
            raise InvalidInput(f"The {what} input is invalid.", errors=self.found)


class _Student:
    __slots__ = ("extras", "keys", "namespace", "student_id", "times", "types", "units")

    def __init__(self, namespace: str, student_id: str) -> None:
        self.namespace, self.student_id = namespace, student_id
        self.times, self.keys = array("q"), array("q")
        self.units, self.types, self.extras = array("l"), array("l"), array("l")


Place = tuple[_Student, int]  # where an event is kept: its student's columns and index


class Collector:
    """The mapped events by student, and the unmapped ones counted by reason."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._students: dict[tuple[str, str], _Student] = {}
        self._units: dict[str, int] = {}
        self._types: dict[str, int] = {}
        self._extras: dict[Extra | None, int] = {None: NO_EXTRA}
        self.ignored: Counter[str] = Counter()
        self.first_ignored = ""  # where the first unmapped event is, for the 422
        self.events = 0

    def ignore(self, reason: str, where: str) -> None:
        """Count an unmapped event by its reason (the first ``MAX_REASONS`` reasons each, the
        rest together: a table of a million invented kinds costs no million counters)."""
        if len(reason) > MAX_TEXT:
            reason = reason[:MAX_TEXT] + "…"
        if not self.ignored:
            self.first_ignored = f"{where} ({reason})"
        if reason not in self.ignored and len(self.ignored) >= MAX_REASONS:
            reason = OTHER_REASONS
        self.ignored[reason] += 1

    def add(
        self,
        namespace: str,
        student_id: str,
        moment: datetime,
        unit: str,
        type_: str,
        extra: Extra | None = None,
        key: int | None = None,
    ) -> Place:
        """One event (``moment`` already checked); ``key`` sorts a student's events (default:
        the time). Returns where it is kept, for ``set_extra``."""
        student = self._students.get((namespace, student_id))
        if student is None:
            student = self._students[namespace, student_id] = _Student(namespace, student_id)
        at = micros(moment)
        student.times.append(at)
        student.keys.append(at if key is None else key)
        student.units.append(self._units.setdefault(unit, len(self._units)))
        student.types.append(self._types.setdefault(type_, len(self._types)))
        student.extras.append(self._extras.setdefault(extra, len(self._extras)))
        self.events += 1
        return student, len(student.times) - 1

    def extra_index(self, extra: Extra | None) -> int:
        return self._extras.setdefault(extra, len(self._extras))

    def set_extra(self, where: Place, extra: Extra) -> None:
        student, index = where
        student.extras[index] = self.extra_index(extra)

    @property
    def students(self) -> int:
        return len(self._students)

    def body(self) -> bytes:
        """The JSON body, or ``Unprocessable`` (422) when no event mapped."""
        if not self._students:
            first = f" The first: {self.first_ignored}." if self.first_ignored else ""
            raise Unprocessable(f"No {self.fmt} event maps to an event the report reads.{first}")
        tables = (
            [msgspec.json.encode(t) for t in self._types],
            [msgspec.json.encode(u) for u in self._units],
            [_extra_json(e) for e in self._extras],
        )
        out = io.BytesIO()
        out.write(b"[")
        for number, student in enumerate(self._students.values()):
            if number:
                out.write(b",")
            out.writelines(_student_json(student, *tables))
        out.write(b"]")
        return out.getvalue()


def _student_json(
    student: _Student, types: list[bytes], units: list[bytes], extras: list[bytes]
) -> Iterator[bytes]:
    head = {"namespace": student.namespace, "student_id": student.student_id}
    yield msgspec.json.encode(head)[:-1] + b',"events":['
    keys, times = student.keys, student.times
    separator = b""
    for i in sorted(range(len(keys)), key=keys.__getitem__):  # stable: ties keep input order
        yield b'%b{"type":%b,"created_time":"%b","unit":%b%b}' % (
            separator,
            types[student.types[i]],
            _time_text(times[i]),
            units[student.units[i]],
            extras[student.extras[i]],
        )
        separator = b","
    yield b"]}"


def _time_text(at: int) -> bytes:
    """RFC 3339 in UTC: seconds, and microseconds only when there are some."""
    return (NAIVE_EPOCH + timedelta(microseconds=at)).isoformat().encode() + b"Z"


def _extra_json(extra: Extra | None) -> bytes:
    if extra is None:
        return b""
    names = ("outcome", "error_type", "error_line", "score")
    fields = {n: v for n, v in zip(names, extra, strict=True) if v is not None}
    return b"," + msgspec.json.encode(fields)[1:-1] if fields else b""
