"""The same activity written in four formats (the service's JSON, ProgSnap2, xAPI, Caliper)
gives the same body and byte-identical HTML reports.

The activity: two students on two questions; saves, runs that fail with typed errors and
runs that pass, scored submissions, in several time zones (the same instants).
"""

from __future__ import annotations

import hashlib
import io

import orjson

from reports.inputs import convert
from reports.renderers.html import render_html
from reports.report.analysis import build_report
from reports.report.events import decode_student_events

SITE = "https://example.edu"
STUDENTS = [f"{SITE}/users/ada", f"{SITE}/users/bob"]
UNITS = [f"{SITE}/problems/1", f"{SITE}/problems/2"]
# (student, unit, minute, kind, detail): kind save / run / submit; detail an error type
# ("ok" for a run that passed) or a score.
ACTIVITY: list[tuple[int, int, int, str, str | float | None]] = [
    (0, 0, 0, "save", None),
    (0, 0, 1, "run", "SyntaxError"),
    (1, 0, 1, "save", None),
    (0, 0, 2, "run", "SyntaxError"),
    (1, 0, 2, "run", "ok"),
    (0, 0, 3, "run", "NameError"),
    (1, 0, 4, "submit", 1.0),
    (0, 0, 5, "run", "ok"),
    (0, 0, 6, "submit", 0.5),
    (0, 1, 20, "save", None),
    (1, 1, 21, "run", "TypeError"),
    (0, 1, 22, "run", "ok"),
    (1, 1, 23, "run", "TypeError"),
    (0, 1, 24, "submit", 1.0),
    (1, 1, 30, "submit", 0.0),
]
HOUR = "2024-03-01T10"  # 10:MM:00Z; ProgSnap2 writes it in Berlin's and New York's zones


def utc(minute: int) -> str:
    return f"{HOUR}:{minute:02d}:00Z"


def as_json() -> bytes:
    students: list[dict] = [
        {"namespace": "course", "student_id": s, "events": []} for s in STUDENTS
    ]
    for student, unit, minute, kind, detail in ACTIVITY:
        event: dict = {"created_time": utc(minute), "unit": UNITS[unit]}
        if kind == "save":
            event["type"] = "saved_code"
        elif kind == "run":
            event["type"] = "run_code"
            event["outcome"] = "ok" if detail == "ok" else "error"
            if detail != "ok":
                event["error_type"] = detail
        else:
            event["type"], event["score"] = "submission", detail
        students[student]["events"].append(event)
    return orjson.dumps(students)


def as_progsnap2() -> bytes:
    rows = [
        "EventID,Order,SubjectID,ProblemID,EventType,ServerTimestamp,ServerTimezone,"
        "CompileResult,CompileMessageType,ParentEventID,Score"
    ]
    zones = [("11", "Europe/Berlin"), ("05", "-0500")]  # local hour of 10:00Z, zone
    for order, (student, unit, minute, kind, detail) in enumerate(ACTIVITY, 1):
        hour, zone = zones[student]
        when = f"2024-03-01T{hour}:{minute:02d}:00,{zone}"
        who = f"{STUDENTS[student]},{UNITS[unit]}"
        event_id = order * 10
        if kind == "save":
            rows.append(f"{event_id},{order},{who},File.Edit,{when},,,,")
        elif kind == "run":
            result = "Success" if detail == "ok" else "Error"
            rows.append(f"{event_id},{order},{who},Compile,{when},{result},,,")
            if detail != "ok":
                rows.append(
                    f"{event_id + 1},{order},{who},Compile.Error,{when},,{detail},{event_id},"
                )
        else:
            rows.append(f"{event_id},{order},{who},Submit,{when},,,,{detail}")
    rows.insert(1, f"1,0,{STUDENTS[0]},{UNITS[0]},Session.Start,2024-03-01T11:00:00,+01:00,,,,")
    return ("\r\n".join(rows) + "\r\n").encode()


RAN, SAVED = "https://example.edu/xapi/verbs/ran", "http://activitystrea.ms/schema/1.0/save"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


def as_xapi() -> bytes:
    statements = []
    for student, unit, minute, kind, detail in ACTIVITY:
        statement: dict = {
            "id": hashlib.md5(f"{student}{minute}{kind}".encode()).hexdigest(),
            "actor": {"account": {"homePage": SITE, "name": STUDENTS[student]}},
            "verb": {"id": {"save": SAVED, "run": RAN, "submit": ANSWERED}[kind]},
            "object": {"id": UNITS[unit]},
            "timestamp": f"2024-03-01T10:{minute:02d}:00.000+00:00",
        }
        if kind == "run":
            statement["result"] = {"success": detail == "ok"}
            if detail != "ok":
                statement["result"]["response"] = detail
        if kind == "submit":
            statement["result"] = {"score": {"scaled": detail}}
        statements.append(statement)
    return orjson.dumps({"statements": statements, "more": ""})


def as_caliper() -> bytes:
    data = []
    for student, unit, minute, kind, detail in ACTIVITY:
        event: dict = {
            "type": {"save": "ResourceManagementEvent", "run": "ToolUseEvent"}.get(
                kind, "AssessmentEvent"
            ),
            "actor": {"id": STUDENTS[student], "type": "Person"},
            "action": {"save": "Modified", "run": "Used", "submit": "Submitted"}[kind],
            "object": {"id": UNITS[unit]},
            "eventTime": f"2024-03-01T10:{minute:02d}:00.000Z",
        }
        if kind == "run":
            event["extensions"] = {"success": detail == "ok"}
            if detail != "ok":
                event["extensions"]["error_type"] = detail
        if kind == "submit":
            event["generated"] = {"type": "Score", "scoreGiven": detail, "maxScore": 1}
        data.append(event)
    envelope = {"sensor": SITE, "sendTime": utc(59), "dataVersion": "v1p2", "data": data}
    return orjson.dumps(envelope)


def html(body: bytes) -> str:
    return render_html(build_report(decode_student_events(body), idle_minutes=10))


def converted() -> dict[str, bytes]:
    mapping_xapi = {"types": {RAN: "run_code"}}
    mapping_caliper = {"types": {"Modified": "saved_code", "Used": "run_code"}}
    return {
        "progsnap2": convert(
            "progsnap2", io.BytesIO(as_progsnap2()), content_type="text/csv", namespace="course"
        ).body,
        "xapi": convert(
            "xapi",
            io.BytesIO(as_xapi()),
            content_type="application/json",
            mapping=mapping_xapi,
            namespace="course",
        ).body,
        "caliper": convert(
            "caliper",
            io.BytesIO(as_caliper()),
            content_type="application/json",
            mapping=mapping_caliper,
            namespace="course",
        ).body,
    }


def test_the_same_activity_gives_the_same_body_in_every_format() -> None:
    bodies = converted()
    assert bodies["progsnap2"] == bodies["xapi"] == bodies["caliper"]
    assert orjson.loads(bodies["xapi"]) == orjson.loads(as_json())


def test_the_same_activity_gives_byte_identical_reports() -> None:
    expected = html(as_json())
    assert "Error Quotient" in expected  # the outcomes reached the report
    for kind, body in converted().items():
        assert html(body) == expected, kind
