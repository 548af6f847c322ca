"""xAPI statements converted to the service's body (reports/inputs/xapi.py). The statements
follow xAPI 1.0.3 / 2.0 (Part 2, "Statements"): actor IFIs, verb IRIs, result, timestamp."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

import orjson
import pytest

from reports.errors import InvalidInput, Unprocessable
from reports.inputs import Converted, Kind, convert
from reports.report.contract import decode_students

ADL = "http://adlnet.gov/expapi/verbs/"
HOME = "https://lms.example.edu"


def statement(verb: str, *, actor: dict | None = None, **fields) -> dict:
    return {
        "actor": actor or {"objectType": "Agent", "account": {"homePage": HOME, "name": "s1"}},
        "verb": {"id": verb if "://" in verb else ADL + verb, "display": {"en-US": verb}},
        "object": {"id": "https://lms.example.edu/problems/p1", "objectType": "Activity"},
        "timestamp": "2024-03-01T10:00:00+01:00",
        **fields,
    }


def json_input(kind: Kind, data, **kwargs) -> Converted:
    """``data`` (bytes, or JSON to encode) converted as ``kind``; its body must decode."""
    raw = data if isinstance(data, bytes) else orjson.dumps(data)
    converted = convert(kind, io.BytesIO(raw), content_type="application/json", **kwargs)
    decode_students(converted.body)
    return converted


def xapi(data, **kwargs) -> Converted:
    return json_input("xapi", data, **kwargs)


def events(converted: Converted) -> list[dict]:
    return orjson.loads(converted.body)[0]["events"]


def invalid(data, kind: Kind = "xapi", **kwargs) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        json_input(kind, data, **kwargs)
    assert caught.value.errors
    return caught.value.errors


def test_default_verbs_and_scores() -> None:
    converted = xapi(
        [
            statement("answered", result={"success": True}),  # Open edX problem_check
            statement("answered", result={"success": False}),
            statement("passed", result={"score": {"scaled": 0.8}, "success": True}),  # cmi5
            statement("failed", result={"score": {"raw": 3, "min": 1, "max": 5}}),
            statement("https://w3id.org/xapi/dod-isd/verbs/submitted"),  # no result: no score
            statement("attempted"),
            statement("completed"),
            statement("http://activitystrea.ms/schema/1.0/save"),
            statement("terminated"),
            statement("https://example.org/verbs/unknown"),
            statement("terminated"),
        ]
    )
    found = events(converted)
    assert [(e["type"], e.get("score")) for e in found] == [
        ("submission", 1.0),
        ("submission", 0.0),
        ("submission", 0.8),
        ("submission", 0.5),
        ("submission", None),
        ("attempted", None),
        ("completed", None),
        ("saved_code", None),
    ]
    assert found[0]["created_time"] == "2024-03-01T09:00:00Z"
    assert found[0]["unit"] == "https://lms.example.edu/problems/p1"  # object.id, as it is
    assert orjson.loads(converted.body)[0]["namespace"] == HOME
    assert converted.ignored_by == (
        (f"verb {ADL}terminated", 2),
        ("verb https://example.org/verbs/unknown", 1),
    )
    assert converted.ignored == 3


def test_actors_hashed_or_kept() -> None:
    mbox = {"objectType": "Agent", "mbox": "mailto:ada@example.edu"}
    sha = {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}
    openid = {"openid": "https://id.example.edu/ada"}
    converted = xapi(
        [statement("answered", actor=a) for a in (mbox, sha, openid)], namespace="course"
    )
    students = [s["student_id"] for s in orjson.loads(converted.body)]
    expected = hashlib.sha1(b"mailto:ada@example.edu").hexdigest()
    assert students == [expected, sha["mbox_sha1sum"], openid["openid"]]
    assert b"ada@example.edu" not in converted.body  # never the address in clear
    assert {s["namespace"] for s in orjson.loads(converted.body)} == {"course"}


def test_the_three_shapes_of_a_body() -> None:
    one = statement("answered", result={"success": True})
    bodies = [[one], one, {"statements": [one], "more": ""}]
    assert len({xapi(b).body for b in bodies}) == 1


def test_a_timestamp_without_zone_is_utc_and_stored_stands_in() -> None:
    found = events(
        xapi(
            [
                statement("answered", timestamp="2024-03-01T10:00:00"),
                {
                    **{k: v for k, v in statement("answered").items() if k != "timestamp"},
                    "stored": "2024-03-01T11:00:00.5Z",
                },
            ]
        )
    )
    assert [e["created_time"] for e in found] == [
        "2024-03-01T10:00:00Z",
        "2024-03-01T11:00:00.500000Z",
    ]


def test_the_mapping_adds_runs_and_reads_other_fields() -> None:
    ran = "https://example.org/verbs/ran"
    converted = xapi(
        [
            statement(ran, result={"success": False, "response": "SyntaxError"}),
            statement(ran, result={"success": True}),
            statement("answered", context={"contextActivities": {"parent": [{"id": "unit-9"}]}}),
        ],
        mapping={
            "types": {ran: "run_code", ADL + "answered": None},
            "unit": "object.id",
            "student": "actor.account.name",
        },
    )
    assert [(e["type"], e.get("outcome"), e.get("error_type")) for e in events(converted)] == [
        ("run_code", "error", "SyntaxError"),
        ("run_code", "ok", None),
    ]
    assert converted.ignored_by == ((f"verb {ADL}answered", 1),)
    by_parent = xapi(
        [statement("answered", context={"contextActivities": {"parent": [{"id": "unit-9"}]}})],
        mapping={"unit": "context.contextActivities.parent.0.id"},
    )
    assert events(by_parent)[0]["unit"] == "unit-9"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"timestamp": "soon"}, "[1].timestamp"),
        ({"timestamp": None}, "[1].timestamp"),
        ({"timestamp": "1066-10-14T09:00:00Z"}, "[1].timestamp"),
        ({"actor": {"name": "Anonymous"}}, "[1].actor"),
        ({"actor": {"mbox": "ada@example.edu"}}, "[1].actor"),
        ({"verb": {}}, "[1].verb.id"),
        ({"object": {"objectType": "Agent"}}, "[1].object.id"),
        ({"result": {"score": {"scaled": 2}}}, "[1].result"),
    ],
)
def test_a_bad_statement_is_named_by_its_index_and_field(change: dict, path: str) -> None:
    errors = invalid([statement("answered"), {**statement("answered"), **change}])
    assert list(errors) == [path]


def test_bad_bodies_and_mappings() -> None:
    assert list(invalid(b"[")) == ["body"]
    assert list(invalid([])) == ["body"]
    assert list(invalid([1])) == ["[0]"]
    mapping = {"types": {ADL + "answered": ""}}
    assert list(invalid([statement("answered")], mapping=mapping)) == [
        f"mapping.types.{ADL}answered"
    ]


def test_nothing_mapped_is_a_422() -> None:
    with pytest.raises(Unprocessable) as caught:
        xapi([statement("terminated"), statement("voided")])
    assert "xAPI" in caught.value.message
    assert f"[0] (verb {ADL}terminated)" in caught.value.message


def test_unmapped_reasons_are_bounded() -> None:
    statements = [statement(f"https://example.org/verbs/v{n}") for n in range(150)]
    statements += [statement("https://example.org/verbs/" + "x" * 400), statement("answered")]
    converted = xapi(statements)
    assert converted.ignored == 151
    assert len(converted.ignored_by) == 101
    assert converted.ignored_by[0] == ("other reasons (beyond 100)", 51)
    assert all(len(reason) <= 256 for reason, _ in converted.ignored_by)


def test_a_big_body_is_decoded_a_statement_at_a_time() -> None:
    """Decoded whole, a 64 MB body of statements held 1.1 GB of Python objects; one at a
    time, it holds the body written and the columns (tracemalloc, beyond the input)."""
    one = statement("answered", result={"score": {"scaled": 0.5}, "success": False})
    one["object"]["definition"] = {"name": {"en-US": "A problem"}, "description": {"en": "x" * 200}}
    body = orjson.dumps([one] * 12_000)
    assert len(body) > 5 * 2**20
    tracemalloc.start()
    try:
        converted = convert("xapi", io.BytesIO(body), content_type="application/json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert converted.events == 12_000
    assert peak < len(converted.body) + 64 * converted.events + 2**20, peak
