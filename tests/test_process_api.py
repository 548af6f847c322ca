"""The outcome fields through the API: validated (400 naming each bad field), optional
(a body without them is as before), the stuck-in-errors threshold per request, and the
schema describing them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reports.models import ReportJob
from tests.test_attention_api import rules_fired

RUNS: dict[str, Any] = {  # six runs on one question, each a NameError at line 4
    "namespace": "ns",
    "student_id": "s",
    "events": [
        {
            "type": "run_code",
            "created_time": f"2024-01-01T10:{k:02d}:00Z",
            "unit": 1,
            "outcome": "error",
            "error_type": "NameError",
            "error_line": 4,
        }
        for k in range(6)
    ],
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def with_event(index: int, **fields: Any) -> dict[str, Any]:
    events = [dict(e) for e in RUNS["events"]]
    events[index].update(fields)
    return dict(RUNS, events=events)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (with_event(0, outcome="failed"), {"events[0].outcome"}),
        (with_event(1, outcome=None, score=1.5), {"events[1].score"}),
        (with_event(2, error_line=0), {"events[2].error_line"}),
        (with_event(3, error_line="4"), {"events[3].error_line"}),
        (with_event(4, error_type=""), {"events[4].error_type"}),
        (with_event(5, error_type="x" * 256), {"events[5].error_type"}),
        (with_event(0, type="submission", score=-0.1), {"events[0].score"}),
        (
            dict(RUNS, events=[{**RUNS["events"][0], "outcome": 1, "score": "1"}]),
            {"events[0].outcome", "events[0].score"},  # every bad field named
        ),
    ],
)
def test_a_bad_outcome_field_is_a_400_naming_it(client, body: dict, errors: set[str]) -> None:
    response = client.post("/assignment/html", json.dumps(body), "application/json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == errors
    assert ReportJob.objects.count() == 0


@pytest.mark.django_db
def test_the_fields_are_optional_and_the_threshold_is_per_request(client) -> None:
    assert rules_fired(client, RUNS) == ["stuck_in_errors"]
    assert rules_fired(client, dict(RUNS, attention={"stuck_errors": 7})) == []
    plain = [{k: e[k] for k in ("type", "created_time", "unit")} for e in RUNS["events"]]
    assert rules_fired(client, dict(RUNS, events=plain)) == []
    response = client.post(
        "/assignment/html",
        json.dumps(dict(RUNS, attention={"stuck_errors": 0})),
        "application/json",
    )
    assert response.status_code == 400
    assert "attention.stuck_errors" in response.json()["errors"]
