"""ProgSnap2 tables converted to the service's body (reports/inputs/progsnap2.py).

The tables are written from the ProgSnap2 v6 columns (CSSPLICE/progsnap2): EventID,
Order, SubjectID, AssignmentID, ProblemID, EventType, ServerTimestamp, ServerTimezone,
CompileResult, ExecutionResult, CompileMessageType, SourceLocation, ParentEventID, Score.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import orjson
import pytest

from bench import payloads
from reports.errors import InvalidInput, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from reports.inputs import Converted, convert
from reports.report.analysis import build_report
from reports.report.contract import decode_students
from reports.report.events import decode_student_events

COLUMNS = (
    "EventID,Order,SubjectID,AssignmentID,ProblemID,EventType,ServerTimestamp,ServerTimezone,"
    "CompileResult,ExecutionResult,CompileMessageType,SourceLocation,ParentEventID,Score"
)


def table(*rows: str, columns: str = COLUMNS) -> bytes:
    return ("\n".join((columns, *rows)) + "\n").encode()


def progsnap2(data: bytes, content_type: str = "text/csv", **kwargs) -> Converted:
    converted = convert("progsnap2", io.BytesIO(data), content_type=content_type, **kwargs)
    decode_students(converted.body)  # the body is one the service's contract accepts
    return converted


def events(converted: Converted, student: int = 0) -> list[dict]:
    return orjson.loads(converted.body)[student]["events"]


def invalid(data: bytes, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        progsnap2(data, **kwargs)
    assert caught.value.errors
    return caught.value.errors


EVERY_TYPE = table(
    "1,1,s1,a1,p1,Session.Start,2024-03-01T10:00:00,+0100,,,,,,",
    "2,2,s1,a1,p1,File.Edit,2024-03-01T10:01:00,+0100,,,,,,",
    "3,3,s1,a1,p1,File.Save,2024-03-01T10:01:30,+0100,,,,,,",
    "4,4,s1,a1,p1,Compile,2024-03-01T10:02:00,+0100,Error,,,,,",
    "5,5,s1,a1,p1,Compile.Error,2024-03-01T10:02:00,+0100,,,SyntaxError,Text:7:3,4,",
    "6,6,s1,a1,p1,Compile.Error,2024-03-01T10:02:00,+0100,,,NameError,Text:9:1,4,",
    "7,7,s1,a1,p1,Compile,2024-03-01T10:03:00,+0100,Success,,,,,",
    "8,8,s1,a1,p1,Run.Program,2024-03-01T10:04:00,+0100,,Timeout,,,,",
    "9,9,s1,a1,p1,Run.Program,2024-03-01T10:05:00,+0100,,Success,,,,",
    "10,10,s1,a1,p1,Compile,2024-03-01T10:06:00,+0100,,,,,,",
    "11,11,s1,a1,p1,Compile.Error,2024-03-01T10:06:00,+0100,,,TypeError,12,10,",
    "12,12,s1,a1,p1,Compile,2024-03-01T10:07:00,+0100,,,,,,",
    "13,13,s1,a1,p1,Submit,2024-03-01T10:08:00,+0100,,,,,,0.75",
    "14,14,s1,a1,p1,Session.End,2024-03-01T10:09:00,+0100,,,,,,",
    "15,15,s1,a1,p1,X-HintRequest,2024-03-01T10:09:30,+0100,,,,,,",
)


def test_every_mapped_event_type() -> None:
    converted = progsnap2(EVERY_TYPE)
    assert events(converted) == [
        {"type": "saved_code", "created_time": "2024-03-01T09:01:00Z", "unit": "p1"},
        {"type": "saved_code", "created_time": "2024-03-01T09:01:30Z", "unit": "p1"},
        # the Compile's first Compile.Error gives its type and line; no extra run
        {
            "type": "run_code",
            "created_time": "2024-03-01T09:02:00Z",
            "unit": "p1",
            "outcome": "error",
            "error_type": "SyntaxError",
            "error_line": 7,
        },
        {"type": "run_code", "created_time": "2024-03-01T09:03:00Z", "unit": "p1", "outcome": "ok"},
        {
            "type": "run_code",
            "created_time": "2024-03-01T09:04:00Z",
            "unit": "p1",
            "outcome": "error",
        },
        {"type": "run_code", "created_time": "2024-03-01T09:05:00Z", "unit": "p1", "outcome": "ok"},
        # no CompileResult: an error because a Compile.Error names it (a bare number: line)
        {
            "type": "run_code",
            "created_time": "2024-03-01T09:06:00Z",
            "unit": "p1",
            "outcome": "error",
            "error_type": "TypeError",
            "error_line": 12,
        },
        # no CompileResult and no Compile.Error: it compiled
        {"type": "run_code", "created_time": "2024-03-01T09:07:00Z", "unit": "p1", "outcome": "ok"},
        {"type": "submission", "created_time": "2024-03-01T09:08:00Z", "unit": "p1", "score": 0.75},
    ]
    assert (converted.students, converted.events, converted.ignored) == (1, 9, 3)
    assert converted.ignored_by == (
        ("EventType Session.End", 1),
        ("EventType Session.Start", 1),
        ("EventType X-HintRequest", 1),
    )


@pytest.mark.parametrize(
    ("stamp", "zone", "utc"),
    [
        ("2024-03-01T10:00:00", "+0100", "2024-03-01T09:00:00Z"),
        ("2024-03-01T10:00:00", "-05:00", "2024-03-01T15:00:00Z"),
        ("2024-03-01T10:00:00", "+05", "2024-03-01T05:00:00Z"),
        ("2024-03-01 10:00:00.250", "0", "2024-03-01T10:00:00.250000Z"),
        ("2024-07-01T10:00:00", "America/New_York", "2024-07-01T14:00:00Z"),  # EDT
        ("2024-01-01T10:00:00", "America/New_York", "2024-01-01T15:00:00Z"),  # EST
        ("2024-03-01T10:00:00+02:00", "-05:00", "2024-03-01T08:00:00Z"),  # its own offset wins
        ("2024-03-01T10:00:00", "", "2024-03-01T10:00:00Z"),  # no zone at all: UTC
    ],
)
def test_time_zones(stamp: str, zone: str, utc: str) -> None:
    converted = progsnap2(table(f"1,1,s1,a1,p1,File.Edit,{stamp},{zone},,,,,,"))
    assert events(converted)[0]["created_time"] == utc


def zipped(main: bytes, metadata: bytes | None = None, folder: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(folder + "MainTable.csv", main)
        if metadata is not None:
            archive.writestr(folder + "DatasetMetadata.csv", metadata)
    return out.getvalue()


METADATA = b"Property,Value\nVersion,6\nIsEventOrderingConsistent,true\nServerTimezone,Asia/Tokyo\n"


def test_a_zip_with_the_dataset_metadata_default_zone() -> None:
    main = table(
        "1,1,s1,a1,p1,File.Edit,2024-03-01T10:00:00,,,,,,,",  # the metadata's zone
        "2,2,s1,a1,p1,File.Edit,2024-03-01T10:00:00,+0100,,,,,,",  # its own zone wins
    )
    converted = progsnap2(zipped(main, METADATA, "Lab5/"), content_type="application/zip")
    assert [e["created_time"] for e in events(converted)] == [
        "2024-03-01T01:00:00Z",
        "2024-03-01T09:00:00Z",
    ]


def test_problem_id_else_assignment_id_is_the_unit() -> None:
    converted = progsnap2(
        table(
            "1,1,s1,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,",
            "2,2,s1,a2,,File.Edit,2024-03-01T10:01:00,0,,,,,,",
        )
    )
    assert [e["unit"] for e in events(converted)] == ["p1", "a2"]
    only_assignment = progsnap2(
        table(
            "1,s1,a7,File.Edit,2024-03-01T10:00:00",
            columns="EventID,SubjectID,AssignmentID,EventType,ServerTimestamp",
        )
    )
    assert events(only_assignment)[0]["unit"] == "a7"


def test_scattered_students_are_grouped_and_sorted_by_order() -> None:
    converted = progsnap2(
        table(
            "1,3,s1,a1,p1,File.Edit,2024-03-01T10:00:02,0,,,,,,",
            "2,1,s2,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,",
            "3,1,s1,a1,p1,Submit,2024-03-01T10:00:02,0,,,,,,1",  # same time, earlier Order
            "4,2,s2,a1,p2,File.Edit,2024-03-01T10:00:01,0,,,,,,",
            "5,0,s1,a1,p3,File.Edit,2024-03-01T10:00:09,0,,,,,,",  # a later time, Order 0
        )
    )
    body = orjson.loads(converted.body)
    assert [s["student_id"] for s in body] == ["s1", "s2"]  # in order of first appearance
    assert [(e["type"], e["unit"]) for e in body[0]["events"]] == [
        ("saved_code", "p3"),
        ("submission", "p1"),
        ("saved_code", "p1"),
    ]
    assert [e["unit"] for e in body[1]["events"]] == ["p1", "p2"]


def test_without_order_events_are_sorted_by_time() -> None:
    converted = progsnap2(
        table(
            "s1,p1,Submit,2024-03-01T10:05:00,1",
            "s1,p1,File.Edit,2024-03-01T10:00:00,",
            columns="SubjectID,ProblemID,EventType,ServerTimestamp,Score",
        )
    )
    assert [e["type"] for e in events(converted)] == ["saved_code", "submission"]


def test_the_mapping_overrides_the_defaults() -> None:
    converted = progsnap2(
        EVERY_TYPE,
        mapping={"types": {"X-HintRequest": "hint", "Submit": None}, "unit": "AssignmentID"},
        namespace="course-7",
    )
    body = orjson.loads(converted.body)
    assert body[0]["namespace"] == "course-7"
    assert [e["type"] for e in body[0]["events"]][-1] == "hint"
    assert "submission" not in [e["type"] for e in body[0]["events"]]
    assert {e["unit"] for e in body[0]["events"]} == {"a1"}
    assert ("EventType Submit", 1) in converted.ignored_by


@pytest.mark.parametrize(
    ("row", "path"),
    [
        ("1,1,s1,a1,p1,File.Edit,yesterday,0,,,,,,", "row 1.ServerTimestamp"),
        ("1,1,s1,a1,p1,File.Edit,2024-13-01T10:00:00,0,,,,,,", "row 1.ServerTimestamp"),
        ("1,1,s1,a1,p1,File.Edit,1800-01-01T10:00:00,0,,,,,,", "row 1.ServerTimestamp"),
        ("1,1,s1,a1,p1,File.Edit,2024-03-01T10:00:00,Mars/Olympus,,,,,,", "row 1.ServerTimezone"),
        ("1,1,s1,a1,p1,File.Edit,2024-03-01T10:00:00,+2500,,,,,,", "row 1.ServerTimezone"),
        ("1,1,,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,", "row 1.SubjectID"),
        ("1,1,s1,,,File.Edit,2024-03-01T10:00:00,0,,,,,,", "row 1.ProblemID"),
        ("1,x,s1,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,", "row 1.Order"),
        ("1,1,s1,a1,p1,Submit,2024-03-01T10:00:00,0,,,,,,1.5", "row 1.Score"),
    ],
)
def test_a_bad_row_is_named_by_its_number_and_column(row: str, path: str) -> None:
    good = "9,9,s1,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,"
    errors = invalid(table(good, row))
    assert list(errors) == [path.replace("row 1", "row 2")]


def test_every_bad_row_is_named() -> None:
    errors = invalid(
        table(
            "1,1,s1,a1,p1,File.Edit,never,0,,,,,,",
            "2,2,s1,a1,p1,Session.Start,never,0,,,,,,",  # ignored: its time is not read
            "3,3,s1,a1,p1,File.Edit,2024-03-01T10:00:00,Nowhere/Land,,,,,,",
        )
    )
    assert list(errors) == ["row 1.ServerTimestamp", "row 3.ServerTimezone"]
    assert "Unknown time zone 'Nowhere/Land'" in errors["row 3.ServerTimezone"][0]


def test_a_missing_required_column() -> None:
    errors = invalid(
        table(
            "1,a1,File.Edit,2024-03-01T10:00:00",
            columns="EventID,AssignmentID,EventType,ServerTimestamp",
        )
    )
    assert errors == {"columns.SubjectID": ["This column is required."]}
    errors = invalid(
        table(
            "1,s1,File.Edit,2024-03-01T10:00:00",
            columns="EventID,SubjectID,EventType,ServerTimestamp",
        )
    )
    assert list(errors) == ["columns.ProblemID"]


def test_a_bad_mapping_is_named() -> None:
    assert list(invalid(EVERY_TYPE, mapping={"types": {"Submit": 3}})) == ["mapping.types.Submit"]
    assert list(invalid(EVERY_TYPE, mapping={"typos": {}})) == ["mapping.typos"]
    assert list(invalid(EVERY_TYPE, mapping="{not json")) == ["mapping"]
    assert list(invalid(EVERY_TYPE, mapping={"unit": "Nope"})) == ["mapping.unit"]
    assert list(invalid(EVERY_TYPE, mapping={"student": "a b"})) == ["mapping.student"]


def test_nothing_mapped_is_a_422_naming_the_format_and_the_first() -> None:
    with pytest.raises(Unprocessable) as caught:
        progsnap2(table("1,1,s1,a1,p1,Session.Start,2024-03-01T10:00:00,0,,,,,,"))
    assert caught.value.status_code == 422
    assert "ProgSnap2" in caught.value.message
    assert "row 1 (EventType Session.Start)" in caught.value.message


def test_zips_checked_before_reading() -> None:
    bomb = zipped(b"EventID," + b"x" * 5_000_000 + b"\n")
    assert len(bomb) < 50_000
    with pytest.raises(PayloadTooLarge) as caught:
        progsnap2(bomb, content_type="application/zip", max_bytes=1_000_000)
    assert caught.value.details["max"] == 1_000_000
    errors = invalid(b"PK\x03\x04 broken", content_type="application/zip")
    assert list(errors) == ["body"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("DatasetMetadata.csv", METADATA)
    assert "No MainTable.csv" in invalid(out.getvalue(), content_type="application/zip")["body"][0]
    with pytest.raises(UnsupportedMediaType):
        progsnap2(EVERY_TYPE, content_type="application/json")


def test_a_zip_that_lies_about_its_size() -> None:
    """zipfile inflates no more than the size the zip's directory declares (the size the
    limit was checked against); the member then fails its CRC: a 400, not a 500."""
    data = zipped(table(*["1,1,s1,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,"] * 20_000))
    real = zipfile.ZipFile(io.BytesIO(data)).infolist()[0].file_size
    lying = data.replace(struct.pack("<I", real), struct.pack("<I", 1000))
    assert zipfile.ZipFile(io.BytesIO(lying)).infolist()[0].file_size == 1000
    errors = invalid(lying, content_type="application/zip", max_bytes=10_000)
    assert "CRC" in errors["body"][0]


def test_not_a_csv_or_not_utf8() -> None:
    assert list(invalid(b"")) == ["body"]
    errors = invalid(
        table("1,1,s1,a1,p1,File.Edit,2024-03-01T10:00:00,0,,,,,,", "\xff,\xfe").replace(
            b"\xc3\xbf", b"\xff"
        )
    )
    assert list(errors) == ["body"]


# --- A 100 MB table ----------------------------------------------------------------------

BIG_KINDS = payloads.PROGSNAP2_KINDS


def write_big_table(path, size: int, students: int = 500) -> int:
    """A MainTable.csv of about ``size`` bytes (``bench.payloads.progsnap2_lines``:
    ``students`` students' events interleaved, every kind of row); the rows it wrote."""
    rows = -1  # the header is not a row
    with open(path, "w", newline="") as out:
        for line in payloads.progsnap2_lines(size, students=students):
            out.write(line)
            rows += 1
    return rows


def converted_memory(path) -> tuple[Converted, int]:
    """The conversion of the table at ``path`` and the peak of memory it allocated."""
    tracemalloc.start()
    try:
        with open(path, "rb") as table_file:
            converted = convert("progsnap2", table_file, content_type="text/csv")
        return converted, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bound(converted: Converted) -> int:
    """The body, plus 64 bytes an event (its columns, its place in a sort, a failed
    compile's EventID), plus 4 MB (the CSV reader's buffers, the tables of texts)."""
    return len(converted.body) + 64 * converted.events + 4 * 2**20


def test_a_table_converts_in_memory_bounded_by_its_body(tmp_path) -> None:
    rows = write_big_table(tmp_path / "MainTable.csv", 5 * 2**20)
    converted, peak = converted_memory(tmp_path / "MainTable.csv")
    assert converted.events + converted.ignored == rows - rows // len(BIG_KINDS)  # no errors
    assert converted.students == 500
    assert peak < bound(converted), (peak, bound(converted))


# A process that converts a table and says how much memory it took beyond its imports.
_CONVERT = """
import json, resource, sys
from reports.inputs import convert
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as table:
    done = convert("progsnap2", table, content_type="text/csv")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps([(peak - base) * 1024, len(done.body), done.events]))
"""


@pytest.mark.slow
def test_a_100_mb_table_converts_in_a_process_bounded_by_its_body(tmp_path) -> None:
    """The whole process's peak (RSS, no tracing: 8 s, not 54), the way the web process
    converts a table: beyond its imports, the body it writes and some bytes an event."""
    path = tmp_path / "MainTable.csv"
    write_big_table(path, 100 * 2**20)
    done = subprocess.run(
        [sys.executable, "-c", _CONVERT, str(path)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        check=True,
        timeout=300,
    )
    grown, body, events = json.loads(done.stdout)
    assert events > 550_000
    assert grown < body + 64 * events + 16 * 2**20, (grown, body, events)
    assert grown < path.stat().st_size  # less than the table itself


# --- Jadud's Error Quotient: our converter + process.py against a public implementation ---
#
# The public implementation compared against: thomaswp/ProgSnap2Analysis, ``eq.py``,
# ``calculate_eq`` (read at commit 00e83eb7b2bd6064a66c3626db9c1da3bdc551a7; no licence file
# in the repository, so what follows is a transcription of its algorithm in plain Python, not
# its code: it uses pandas). Per SubjectID, over the table's ``Compile`` rows in table order
# (it calls ``sort_values(by=['Order'])`` but discards the result), each consecutive pair is
# skipped when SessionID, ProblemID or AssignmentID (those present) differ; a pair scores 8
# when both compiles have at least one ``Compile.Error`` row (by ParentEventID), plus 3 when
# the two sets of their errors' CompileMessageType share one; the EQ is the score / 11 / the
# pairs counted; None with at most one compile or no pair counted.


def public_eq(rows: list[dict[str, str]], subject: str) -> float | None:
    mine = [r for r in rows if r["SubjectID"] == subject]
    compiles = [r for r in mine if r["EventType"] == "Compile"]
    errors = [r for r in mine if r["EventType"] == "Compile.Error"]
    if len(compiles) <= 1:
        return None
    score = pairs = 0
    for first, second in itertools.pairwise(compiles):
        segments = [c for c in ("SessionID", "ProblemID", "AssignmentID") if c in first]
        if any(first[c] != second[c] for c in segments):
            continue
        pairs += 1
        first_types = {
            e["CompileMessageType"] for e in errors if e["ParentEventID"] == first["EventID"]
        }
        second_types = {
            e["CompileMessageType"] for e in errors if e["ParentEventID"] == second["EventID"]
        }
        if first_types and second_types:
            score += 8 + (3 if first_types & second_types else 0)
    return None if pairs == 0 else score / 11 / pairs


def our_eq(data: bytes, subject: str) -> float | None:
    """Ours, pooled as the public one pools: each question's EQ weighted by its pairs."""
    converted = progsnap2(data)
    report = build_report(decode_student_events(converted.body), idle_minutes=30)
    student = next(s for s in report.students if s.student_id == subject)
    weighted = pairs = 0.0
    for question in student.questions:
        outcomes = question.outcomes
        if outcomes.error_quotient is not None:
            weighted += outcomes.error_quotient * (outcomes.runs - 1)
            pairs += outcomes.runs - 1
    return weighted / pairs if pairs else None


EQ_COLUMNS = (
    "EventID,Order,SubjectID,SessionID,ProblemID,EventType,ServerTimestamp,CompileResult,"
    "CompileMessageType,ParentEventID"
)


def eq_table(runs: dict[str, list[tuple[str, str, str]]]) -> bytes:
    """Per subject, its compiles (session, problem, outcome): "ok", or the error types of
    its Compile.Error rows joined by "+"; table order is time order."""
    rows, order = [], 0
    for subject, compiles in runs.items():
        for session, problem, outcome in compiles:
            order += 1
            event_id = order * 10
            stamp = f"2024-03-01T10:{order // 60:02d}:{order % 60:02d}Z"
            who = f"{subject},{session},{problem}"
            result = "Success" if outcome == "ok" else "Error"
            rows.append(f"{event_id},{order},{who},Compile,{stamp},{result},,")
            for n, error in enumerate(outcome.split("+") if outcome != "ok" else []):
                rows.append(
                    f"{event_id + n + 1},{order},{who},Compile.Error,{stamp},,{error},{event_id}"
                )
    return table(*rows, columns=EQ_COLUMNS)


def read_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


# Where both count the same pairs the same way: one session, one problem at a time, one error
# a failed compile. Students A-I are the sessions of tests/test_process.py's JADUD_CASES.
SAME = {
    "A": [("1", "p1", "ok"), ("1", "p1", "ok")],
    "B": [("1", "p1", "x"), ("1", "p1", "ok"), ("1", "p1", "y")],
    "D": [("1", "p1", "x"), ("1", "p1", "y")],
    "E": [("1", "p1", "x"), ("1", "p1", "x")],
    "G": [("1", "p1", "x"), ("1", "p1", "x"), ("1", "p1", "y")],
    "I": [("1", "p1", "x"), ("1", "p1", "y"), ("1", "p1", "z")],
    "long": [("1", "p1", e) for e in "x x y ok y y x ok ok x x x y".split()],
    # two problems one after the other: pairs within each, pooled the same way
    "two": [
        ("1", "p1", "x"),
        ("1", "p1", "x"),
        ("1", "p1", "ok"),
        ("1", "p2", "y"),
        ("1", "p2", "y"),
        ("1", "p2", "z"),
    ],
    "one compile": [("1", "p1", "x")],
}


@pytest.mark.parametrize("subject", SAME)
def test_the_error_quotient_agrees_with_progsnap2analysis(subject: str) -> None:
    data = eq_table(SAME)
    theirs, ours = public_eq(read_rows(data), subject), our_eq(data, subject)
    assert (theirs is None) == (ours is None)
    if theirs is not None:
        assert ours == pytest.approx(theirs, abs=1e-12)


# Where they differ, and why (docs/api.md, "Other input formats", ProgSnap2).
DIFFERENT = {
    # A new session breaks the public pairs; the service has no sessions: the pair counts.
    "sessions": ([("1", "p1", "x"), ("2", "p1", "x")], None, 1.0),
    # Back to a problem: the public one drops the pairs across problems and never pairs
    # p1's two compiles; the service pairs each question's runs in time order.
    "back and forth": ([("1", "p1", "x"), ("1", "p2", "ok"), ("1", "p1", "x")], None, 1.0),
    # Several errors a compile: the public one compares the sets of their types; the service
    # keeps the first Compile.Error's type as the run's error_type.
    "several errors": ([("1", "p1", "x+y"), ("1", "p1", "y")], 1.0, 8 / 11),
}


@pytest.mark.parametrize("subject", DIFFERENT)
def test_where_the_error_quotient_differs_from_progsnap2analysis(subject: str) -> None:
    compiles, theirs, ours = DIFFERENT[subject]
    data = eq_table({subject: compiles})
    assert public_eq(read_rows(data), subject) == theirs
    assert our_eq(data, subject) == pytest.approx(ours)
