"""Deterministic request bodies: the same seed always gives the same bytes."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

SEED = 20240721

SAMPLE: dict[str, Any] = {
    "namespace": "ns_example",
    "student_id": "00a9a76518624b02b0ed57263606fc26",
    "events": [
        {"type": "saved_code", "created_time": "2024-07-21 03:04:55.939000+00:00", "unit": "17"}
    ],
}

EVENT_TYPES = ("saved_code", "submission", "run", "opened", "hint_requested")
# Numeric strings, integers and names: every branch of the alias ordering is exercised.
UNITS: tuple[str | int, ...] = (
    "1", "2", "3", "5", "8", "9", "10", "11", "17", "23", 4, 12, 40,
    "intro", "loops", "recursion", "final-project", "Ünïcode ✓",
)  # fmt: skip
START = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)


def encode(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def sample_body() -> bytes:
    return encode(SAMPLE)


def student(events: int, *, seed: int = SEED, index: int = 0) -> dict[str, Any]:
    """One student with ``events`` events: a few units worked on in runs, mostly-short gaps
    (some over the idle threshold), given out of chronological order as clients do."""
    rng = random.Random(seed * 1_000_003 + index)
    units = rng.sample(UNITS, k=min(len(UNITS), 3 + rng.randrange(10)))
    moment = START + timedelta(seconds=rng.randrange(86_400 * 30))
    out = []
    unit = units[0]
    for _ in range(events):
        if rng.random() < 0.15:
            unit = rng.choice(units)
        gap = rng.expovariate(1 / 90) if rng.random() < 0.97 else rng.uniform(1800, 86_400)
        moment += timedelta(seconds=gap, microseconds=rng.randrange(1000) * 1000)
        out.append(
            {
                "type": rng.choice(EVENT_TYPES),
                "created_time": moment.isoformat(sep=" "),
                "unit": unit,
            }
        )
    # Shuffle a little: clients send events roughly, not strictly, in order.
    for _ in range(events // 20):
        i = rng.randrange(events)
        j = min(events - 1, i + rng.randrange(1, 5))
        out[i], out[j] = out[j], out[i]
    return {
        "namespace": f"ns_bench_{seed % 1000}",
        "student_id": f"{rng.getrandbits(128):032x}",
        "events": out,
    }


def student_body(events: int, *, seed: int = SEED) -> bytes:
    return encode(student(events, seed=seed))


def class_body(students: int, events_each: int, *, seed: int = SEED) -> bytes:
    return encode([student(events_each, seed=seed, index=i) for i in range(students)])


def event_count(body: bytes) -> int:
    """Events in a body (a cheap count for reports, not validation)."""
    return body.count(b'"created_time"')


PROGSNAP2_KINDS = (
    "File.Edit",
    "Compile",
    "Compile.Error",
    "Run.Program",
    "Submit",
    "Session.Start",
)


def progsnap2_lines(size: int, *, students: int = 500) -> Iterator[str]:
    """A ProgSnap2 MainTable.csv of about ``size`` bytes, a line at a time (the header
    first): edits, compiles (two in three failing, each failure with its Compile.Error
    row), runs, submissions and session starts (ignored) of ``students`` students on 40
    problems, the students' rows interleaved as a class's are, every row with columns the
    report does not read (a CodeStateID, a ClientTimestamp). Issue 22's bench and tests."""
    header = (
        "EventID,Order,SubjectID,AssignmentID,ProblemID,EventType,ServerTimestamp,"
        "ServerTimezone,CompileResult,CompileMessageType,ParentEventID,Score,CodeStateID,"
        "ClientTimestamp\n"
    )
    yield header
    written, row = len(header), 0
    while written < size:
        row += 1
        kind = PROGSNAP2_KINDS[row % len(PROGSNAP2_KINDS)]
        second = row // students
        day, hour, minute = 1 + second // 86400, second // 3600 % 24, second // 60 % 60
        stamp = f"2024-03-{day:02d}T{hour:02d}:{minute:02d}:{second % 60:02d}"
        problem = row // 7919 % 40
        result = ("Error" if row % 3 else "Success") if kind == "Compile" else ""
        result = "Success" if kind == "Run.Program" else result
        message = "SyntaxError" if kind == "Compile.Error" else ""
        parent = str(row - 1) if kind == "Compile.Error" else ""
        score = "0.5" if kind == "Submit" else ""
        line = (
            f"{row},{row},student-{row % students:05d},a{problem // 10},p{problem},{kind},"
            f"{stamp},Europe/Berlin,{result},{message},{parent},{score},cs-{row},{stamp}\n"
        )
        written += len(line)
        yield line


def progsnap2_table(megabytes: int, *, students: int = 500) -> bytes:
    """``progsnap2_lines`` of ``megabytes`` MB, as one body."""
    return "".join(progsnap2_lines(megabytes * 2**20, students=students)).encode()
