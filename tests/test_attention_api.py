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
