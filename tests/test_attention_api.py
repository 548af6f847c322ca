"""A request's own attention thresholds: accepted on a one-object body, validated (400
naming the field), and used by the worker's build."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reports.models import ReportJob
from tests.test_data import finished

STUCK: dict[
    str, Any
] = {  # twelve runs on one question, no submission: stuck in runs at 10, not at 13
    "namespace": "ns",
    "student_id": "s",
    "events": [
        {"type": "run_code", "created_time": f"2024-01-01T10:{k:02d}:00Z", "unit": 1}
        for k in range(12)
    ],
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def rules_fired(client, body: dict) -> list[str]:
    task_id = finished(client, "html", body)
    data = client.get(f"/assignment/html/{task_id}/data").json()
    return [flag["rule"] for flag in data["students"][0]["attention"]]


@pytest.mark.django_db
def test_the_bodys_threshold_changes_the_flags(client) -> None:
    assert rules_fired(client, STUCK) == ["stuck_in_runs"]
    assert rules_fired(client, dict(STUCK, attention={"stuck_runs": 12})) == ["stuck_in_runs"]
    assert rules_fired(client, dict(STUCK, attention={"stuck_runs": 13})) == []
    submitted = [*STUCK["events"][:6], dict(STUCK["events"][5], type="submission")]
    resumed = [*submitted, *STUCK["events"][6:]]  # 6 runs, a submission, 6 runs
    assert rules_fired(client, dict(STUCK, events=resumed, attention={"stuck_runs": 7})) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attention", "path"),
    [
        ({"stuck_runs": 0}, "attention.stuck_runs"),
        ({"late_burst_share": 1.5}, "attention.late_burst_share"),
        ({"struggling_percentile": "high"}, "attention.struggling_percentile"),
        ({"stuck_run": 3}, "attention"),  # "Object contains unknown field `stuck_run`"
    ],
)
def test_a_threshold_out_of_range_is_a_400_naming_it(client, attention: dict, path: str) -> None:
    response = client.post(
        "/assignment/html", json.dumps(dict(STUCK, attention=attention)), "application/json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert path in errors, errors
    if path == "attention":
        assert "stuck_run" in errors[path][0]
    assert ReportJob.objects.count() == 0


def class_rules_fired(client, body: list[dict], query: str = "") -> list[list[str]]:
    task_id = finished(client, "html", body, query)
    data = client.get(f"/assignment/html/{task_id}/data").json()
    return [
        [flag["rule"] for flag in s["attention"] if flag["rule"] == "stuck_in_runs"]
        for s in data["students"]
    ]


@pytest.mark.django_db
def test_the_querys_thresholds_work_for_a_class_list_and_win_over_the_body(client) -> None:
    """A class list has no object to carry ``attention``: ?attention[<name>]= does."""
    few = dict(STUCK, student_id="few", events=STUCK["events"][:5])  # 5 runs
    klass = [STUCK, few]
    assert class_rules_fired(client, klass) == [["stuck_in_runs"], []]
    assert class_rules_fired(client, klass, "?attention[stuck_runs]=5") == [
        ["stuck_in_runs"],
        ["stuck_in_runs"],
    ]
    assert class_rules_fired(client, klass, "?attention[stuck_runs]=13") == [[], []]
    # On a one-object body the query wins over the body's own.
    own = dict(STUCK, attention={"stuck_runs": 13})
    assert rules_fired(client, own) == []
    task_id = finished(client, "html", own, "?attention[stuck_runs]=12")
    data = client.get(f"/assignment/html/{task_id}/data").json()
    assert [f["rule"] for f in data["students"][0]["attention"]] == ["stuck_in_runs"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("attention[stuck_runs]=0", "attention.stuck_runs"),
        ("attention[late_burst_share]=1.5", "attention.late_burst_share"),
        ("attention[struggling_percentile]=high", "attention.struggling_percentile"),
        ("attention[stuck_run]=3", "attention.stuck_run"),
        ("attention=5", "attention"),
    ],
)
def test_a_bad_query_threshold_is_a_400_naming_it(client, query: str, path: str) -> None:
    response = client.post(f"/assignment/html?{query}", json.dumps([STUCK]), "application/json")
    assert response.status_code == 400, response.content
    assert path in response.json()["errors"], response.json()
    assert ReportJob.objects.count() == 0


@pytest.mark.django_db
def test_the_querys_thresholds_are_part_of_the_idempotency_fingerprint(client) -> None:
    def post(query: str) -> Any:
        return client.post(
            f"/assignment/html{query}",
            json.dumps([STUCK]),
            "application/json",
            headers={"Idempotency-Key": "k-attention"},
        )

    first = post("?attention[stuck_runs]=5")
    assert first.status_code == 202
    assert post("?attention[stuck_runs]=5").json()["task_id"] == first.json()["task_id"]
    assert post("?attention[stuck_runs]=6").status_code == 422
    assert post("").status_code == 422
