"""IMS Caliper envelopes converted to the service's body (reports/inputs/caliper.py). The
events follow Caliper 1.1/1.2 (AssessmentEvent, GradeEvent, NavigationEvent, the envelope)
and Canvas Live Events' Caliper profile (its ``urn:instructure:canvas:...`` ids)."""

from __future__ import annotations

import io
import tracemalloc

import orjson
import pytest

from reports.errors import Unprocessable
from reports.inputs import Converted, convert
from tests.test_inputs_xapi import events, json_input
from tests.test_inputs_xapi import invalid as xapi_invalid

ACTOR = "urn:instructure:canvas:user:21070000000000001"
QUIZ = "urn:instructure:canvas:quiz:21070000000000042"


def event(action: str, **fields) -> dict:
    return {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594",
        "type": "AssessmentEvent",
        "actor": {"id": ACTOR, "type": "Person"},
        "action": action,
        "object": {"id": QUIZ, "type": "Assessment"},
        "eventTime": "2024-03-01T09:00:00.000Z",
        **fields,
    }


def envelope(*events: dict) -> dict:
    return {
        "sensor": "https://example.edu/sensors/1",
        "sendTime": "2024-03-01T09:10:00.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": list(events),
    }


def caliper(data, **kwargs) -> Converted:
    return json_input("caliper", data, **kwargs)


def invalid(data, **kwargs) -> dict[str, list[str]]:
    return xapi_invalid(data, "caliper", **kwargs)


def test_default_actions_and_scores() -> None:
    attempt = {"id": "urn:attempt:1", "type": "Attempt", "assignable": {"id": QUIZ}}
    converted = caliper(
        envelope(
            event("Started"),
            event("Submitted", generated=attempt),
            event(
                "Graded",
                type="GradeEvent",
                object=attempt,  # the unit is the assessment the attempt is of
                generated={"type": "Score", "scoreGiven": 3, "maxScore": 4},
            ),
            event("Submitted", generated={"type": "Result", "resultScore": 1, "maxResultScore": 2}),
            event("NavigatedTo", type="NavigationEvent"),
            event("Viewed", type="ViewEvent"),
            {"id": QUIZ, "type": "Assessment", "name": "described entity"},
        ),
        namespace="canvas",
    )
    found = events(converted)
    assert [(e["type"], e.get("score")) for e in found] == [
        ("started", None),
        ("submission", None),
        ("submission", 0.75),
        ("submission", 0.5),
        ("viewed", None),
    ]
    assert {e["unit"] for e in found} == {QUIZ}
    body = orjson.loads(converted.body)
    assert (body[0]["namespace"], body[0]["student_id"]) == ("canvas", ACTOR)
    assert converted.ignored_by == (("action NavigatedTo", 1), ("type Assessment", 1))


def test_a_list_of_envelopes_and_actor_as_a_string() -> None:
    converted = caliper([envelope(event("Started", actor=ACTOR)), envelope(event("Submitted"))])
    assert [e["type"] for e in events(converted)] == ["started", "submission"]
    assert orjson.loads(converted.body)[0]["namespace"] == "caliper"


def test_the_mapping_adds_runs() -> None:
    converted = caliper(
        envelope(
            event("Used", extensions={"success": False, "error_type": "SyntaxError"}),
            event("Used", extensions={"success": True}),
            event("Used"),  # no outcome given: a run without one
        ),
        mapping={"types": {"Used": "run_code"}, "student": "actor.id"},
    )
    assert [(e["type"], e.get("outcome"), e.get("error_type")) for e in events(converted)] == [
        ("run_code", "error", "SyntaxError"),
        ("run_code", "ok", None),
        ("run_code", None, None),
    ]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"eventTime": "last tuesday"}, "data[1].eventTime"),
        ({"eventTime": None}, "data[1].eventTime"),
        ({"actor": {"type": "Person"}}, "data[1].actor.id"),
        ({"object": None}, "data[1].object.id"),
        ({"generated": {"scoreGiven": 5, "maxScore": 4}}, "data[1].generated"),
    ],
)
def test_a_bad_event_is_named_by_its_index_and_field(change: dict, path: str) -> None:
    errors = invalid(envelope(event("Submitted"), {**event("Submitted"), **change}))
    assert list(errors) == [path]


def test_bad_envelopes() -> None:
    assert list(invalid(b"{")) == ["body"]
    assert list(invalid({"sensor": "x"})) == ["data"]
    assert list(invalid([envelope(event("Started")), {"data": 3}])) == ["[1].data"]
    assert list(invalid({**envelope(), "data": [7]})) == ["data[0]"]


def test_nothing_mapped_is_a_422() -> None:
    with pytest.raises(Unprocessable) as caught:
        caliper(envelope(event("NavigatedTo", type="NavigationEvent")))
    assert "Caliper" in caught.value.message
    assert "data[0] (action NavigatedTo)" in caught.value.message


def test_a_big_envelope_is_decoded_an_event_at_a_time() -> None:
    one = event("Submitted", generated={"type": "Score", "scoreGiven": 1, "maxScore": 2})
    one["object"]["description"] = "x" * 200
    body = orjson.dumps(envelope(*[one] * 12_000))
    tracemalloc.start()
    try:
        converted = convert("caliper", io.BytesIO(body), content_type="application/json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert converted.events == 12_000
    assert peak < len(converted.body) + 64 * converted.events + 2**20, peak
