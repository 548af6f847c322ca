"""The worker's sliced decode (reports/report/events.py) says exactly what the one-pass
decode says: the same columns for every valid body, the same error for every bad one."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import msgspec
import pytest

from bench import payloads
from reports.report import events
from reports.report.analysis import build_report
from reports.report.contract import StudentIn, decode_students


def sliced(body: bytes) -> list[events.StudentEvents]:
    return events.decode_student_events(body, small_body=0)  # every body takes the slices


def one_pass(body: bytes) -> list[events.StudentEvents]:
    return [events.student_events(s) for s in decode_students(body)]


def encode(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def student(events_: Sequence[object], **extra: object) -> dict[str, object]:
    return {"namespace": "ns", "student_id": "s1", "events": events_, **extra}


EVENT = {"type": "run", "created_time": "2024-07-21T03:04:55Z", "unit": "17"}
MANY = payloads.student_body(3 * events.SLICE + 5)  # four slices, the last a short one

VALID = {
    "sample": payloads.sample_body(),
    "four slices": MANY,
    "a class": payloads.class_body(4, events.SLICE + 1),
    "mixed units and offsets": encode(
        student(
            [
                {"type": "run", "created_time": "2024-07-21 05:00:00+02:00", "unit": 17},
                {"type": "run", "created_time": "2024-07-21 03:00:00", "unit": "17"},
                {"type": "t\u00e9st \u2713", "created_time": "2024-07-21T03:00:00Z", "unit": "x"},
                {"type": "run", "created_time": "2024-07-20T03:00:00Z", "unit": -3, "more": [1]},
            ],
            idle_minutes=5,
            extra={"ignored": True},
        )
    ),
    "escaped text": b'{"namespace": "n", "student_id": "\\u00e9", "events": ['
    b'{"type": "a\\"b", "created_time": "2024-07-21T03:04:55Z", "unit": "\\u2713"}]}',
}


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_sliced_decode_gives_the_columns_of_the_one_pass_decode(body: bytes) -> None:
    assert sliced(body) == one_pass(body)
    assert build_report(sliced(body), idle_minutes=30) == build_report(
        decode_students(body), idle_minutes=30
    )


def test_sliced_decode_keeps_one_copy_of_each_unit_and_type_text() -> None:
    (columns,) = sliced(MANY)
    assert len({id(u) for u in columns.units}) == len(set(columns.units)) < 20
    assert len({id(t) for t in columns.types}) == len(set(columns.types)) <= 5


def bad_event_at(index: int, **change: object) -> bytes:
    items: list[dict[str, object]] = [dict(EVENT) for _ in range(2 * events.SLICE)]
    items[index].update(change)
    return encode(student(items))


INVALID = {
    "empty": b"",
    "not JSON": b"{",
    "trailing bytes": encode(student([EVENT])) + b"x",
    "no students": b"[]",
    "no events": encode(student([])),
    "a field missing": b'{"namespace": "n", "events": []}',
    "a bad event in a later slice": bad_event_at(events.SLICE + 7, unit=2**64),
    "a bad time": bad_event_at(3, created_time="yesterday"),
    "an empty type": bad_event_at(events.SLICE * 2 - 1, type=""),
    "events not a list": encode(student({"a": 1})),  # type: ignore[arg-type]  # on purpose
    # The first problem in document order wins: an event before a later student's field.
    "two problems": encode([student([EVENT, {**EVENT, "unit": None}]), {"namespace": ""}]),
    "bad UTF-8 in an event": b'{"namespace": "n", "student_id": "s", "events": ['
    b'{"type": "\xff", "created_time": "2024-07-21T03:04:55Z", "unit": "1"}]}',
    "deep nesting in an event": encode(student([{**EVENT, "x": 1}])).replace(
        b'"x": 1', b'"x": ' + b"[" * 5000 + b"]" * 5000
    ),
    # Valid JSON whose time falls before year 1 in UTC: the contract refuses it (years).
    "a time out of range": encode(
        student([EVENT, {**EVENT, "created_time": "0001-01-01T01:00:00+05:00"}])
    ),
    # The contract's years, in a later slice: the same error, at the same path.
    "a time before 1900 in a later slice": bad_event_at(
        events.SLICE + 3, created_time="1899-12-31T23:59:59.999999-23:59"
    ),
    "a time after 2100 in a later slice": bad_event_at(
        events.SLICE * 2 - 1, created_time="2101-01-01T00:00:00+23:59"
    ),
}


def error_of(decode: Callable[[bytes], object], body: bytes) -> tuple[type[BaseException], str]:
    with pytest.raises((msgspec.DecodeError, ValueError, OverflowError, RecursionError)) as info:
        decode(body)
    return info.type, str(info.value)


@pytest.mark.parametrize("body", INVALID.values(), ids=INVALID.keys())
def test_sliced_decode_fails_as_the_one_pass_decode_does(body: bytes) -> None:
    assert error_of(sliced, body) == error_of(one_pass, body)


def test_the_sliced_student_has_the_fields_of_the_contract() -> None:
    def fields(struct: type[msgspec.Struct]) -> list[tuple[object, ...]]:
        return [
            (f.name, f.encode_name, f.type, f.default, f.required)
            for f in msgspec.structs.fields(struct)
            if f.name != "events"
        ]

    assert fields(events._SlicedStudent) == fields(StudentIn)
    assert events._SlicedStudent.__struct_config__.forbid_unknown_fields is False


def test_the_worker_refuses_a_time_outside_the_contracts_years_as_the_web_does() -> None:
    """A stored body with such a time (submitted before the rule) fails in the worker with
    the web's own error, naming the event's field, never an OverflowError."""
    body = bad_event_at(events.SLICE + 3, created_time="0001-01-01T00:00:00+05:00")
    for decode in (sliced, one_pass, events.decode_student_events):
        with pytest.raises(msgspec.ValidationError) as info:
            decode(body)
        assert str(info.value).endswith(f"- at `$.events[{events.SLICE + 3}]`")
        assert str(info.value).startswith("`created_time`: 0001-01-01T00:00:00+05:00 is outside")
