"""Bounded work at submit: each count a report's cost grows with has a limit, refused with
413 naming it before anything is stored (docs/guarantees.md, "Bounded work")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings

from reports.models import ReportJob
from reports.renderers.questions import question_header
from reports.report.contract import decode_students
from reports.report.limits import (
    DEFAULT_LIMITS,
    HEAT_MAP_CELLS,
    QUESTION_COLUMNS,
    LimitExceeded,
    Limits,
    request_shape,
)

START = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
SMALL = Limits(
    events=20, students=4, units=6, units_per_student=3, event_types=3, question_cells=60
)


def student(sid: str, units: list[Any], types: list[str] | None = None) -> dict[str, Any]:
    types = types or ["saved_code"]
    return {
        "namespace": "ns",
        "student_id": sid,
        "events": [
            {
                "type": types[k % len(types)],
                "created_time": (START + timedelta(minutes=k)).isoformat(),
                "unit": unit,
            }
            for k, unit in enumerate(units)
        ],
    }


def shape(payload: Any, limits: Limits = SMALL):
    body = json.dumps(payload).encode()
    return request_shape(decode_students(body), limits, one_object=isinstance(payload, dict))


def refused(payload: Any, limits: Limits = SMALL) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        shape(payload, limits)
    return caught.value


def test_counts_what_the_report_costs() -> None:
    counted = shape([student("a", [1, 2, 2]), student("b", [2, "x"], ["run", "save"])])
    assert (counted.students, counted.events, counted.units) == (2, 5, 3)
    assert counted.question_rows == 4 and counted.event_types == 3
    assert counted.question_cells == 4 * (QUESTION_COLUMNS + 3)


def test_17_and_the_string_17_are_one_unit() -> None:
    assert shape(student("a", [17, "17", 17])).units == 1


@pytest.mark.parametrize(
    ("limit", "at", "over"),
    [
        ("students", [student(f"s{i}", [1]) for i in range(4)], None),
        ("events", [student("a", [1] * 10), student("b", [1] * 10)], None),
        ("units", [student("a", [1, 2, 3]), student("b", [4, 5, 6])], None),
        ("units_per_student", student("a", [1, 2, 3]), None),
        ("event_types", student("a", [1, 1, 1], ["x", "y", "z"]), None),
    ],
)
def test_at_each_limit_is_accepted_and_one_more_is_refused(limit, at, over) -> None:
    shape(at)  # at the limit: accepted
    over = json.loads(json.dumps(at))
    if limit == "students":
        over.append(student("extra", [1]))
    elif limit == "events":
        over[0]["events"].append(over[0]["events"][0])
    elif limit == "units":
        over.append(student("c", [7]))
    elif limit == "units_per_student":
        over["events"].append({**over["events"][0], "unit": 4})
    else:
        over["events"].append({**over["events"][0], "type": "w"})
    error = refused(over)
    assert error.limit == limit
    assert error.maximum == getattr(SMALL, limit)
    assert error.found == getattr(SMALL, limit) + 1


def test_question_cells_are_rows_times_columns() -> None:
    # 3 rows x (7 + 3 types) = 30 cells; with 6 rows, 60: the limit. 7 rows: over.
    at = [student("a", [1, 2, 3], ["x", "y", "z"]), student("b", [1, 2, 3], ["x"])]
    assert shape(at).question_cells == 60
    over = [*at, student("c", [1], ["x"])]
    error = refused(over)
    assert (error.limit, error.maximum, error.found) == ("question_cells", 60, 70)


def test_outcome_columns_count_when_the_events_carry_them() -> None:
    """Runs with an outcome add up to 4 columns to every row: 4 rows x (7 + 1 + 4) = 48."""
    four = [student("a", [1, 2]), student("b", [1, 2])]  # 4 rows x (7 + 1 type) = 32
    limits = Limits(
        events=20, students=4, units=6, units_per_student=3, event_types=3, question_cells=40
    )
    assert shape(four, limits).question_cells == 32
    four[1]["events"][0]["outcome"] = "error"
    error = refused(four, limits)
    assert (error.limit, error.maximum, error.found) == ("question_cells", 40, 48)
    four[1]["events"][0] = {k: v for k, v in four[1]["events"][0].items() if k != "outcome"}
    four[0]["events"][1]["score"] = 1.0
    assert refused(four, limits).found == 48


def test_a_students_own_limit_names_the_student() -> None:
    error = refused([student("a", [1]), student("b", [1, 2, 3, 4])])
    assert error.limit == "units_per_student" and error.path == "[1]"
    assert "student at [1]" in str(error)
    assert refused(student("a", [1, 2, 3, 4])).path == ""


def test_the_fixed_question_columns_are_the_tables_own() -> None:
    assert len(question_header([], ZoneInfo("UTC"))) == QUESTION_COLUMNS


def test_settings_default_to_the_limits_defaults() -> None:
    assert settings.REPORT_MAX_EVENTS == DEFAULT_LIMITS.events
    assert settings.REPORT_MAX_STUDENTS == DEFAULT_LIMITS.students
    assert settings.REPORT_MAX_UNITS == DEFAULT_LIMITS.units
    assert settings.REPORT_MAX_UNITS_PER_STUDENT == DEFAULT_LIMITS.units_per_student
    assert settings.REPORT_MAX_EVENT_TYPES == DEFAULT_LIMITS.event_types
    assert settings.REPORT_MAX_QUESTION_CELLS == DEFAULT_LIMITS.question_cells
    assert settings.REPORT_HEATMAP_MAX_CELLS == HEAT_MAP_CELLS


# --- through the API -----------------------------------------------------------------------


def post(client, payload: Any):
    return client.post("/assignment/html", json.dumps(payload), content_type="application/json")


@pytest.mark.django_db
@override_settings(REPORT_MAX_UNITS_PER_STUDENT=3)
def test_a_body_over_a_limit_is_413_naming_it_and_nothing_is_stored(client) -> None:
    response = post(client, [student("a", [1]), student("b", [1, 2, 3, 4])])
    assert response.status_code == 413
    body = response.json()
    assert body["status"] == "TOO_LARGE"
    assert (body["limit"], body["max"], body["found"], body["path"]) == (
        "units_per_student",
        3,
        4,
        "[1]",
    )
    assert "4 distinct units for one student" in body["message"]
    assert ReportJob.objects.count() == 0
    assert post(client, [student("a", [1]), student("b", [1, 2, 3])]).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "limit", "payload"),
    [
        ("REPORT_MAX_STUDENTS", "students", [student("a", [1]), student("b", [1])]),
        ("REPORT_MAX_EVENTS", "events", student("a", [1, 1])),
        ("REPORT_MAX_UNITS", "units", [student("a", [1]), student("b", [2])]),
        ("REPORT_MAX_EVENT_TYPES", "event_types", student("a", [1, 1], ["x", "y"])),
        ("REPORT_MAX_QUESTION_CELLS", "question_cells", student("a", [1, 2])),
    ],
)
def test_each_limit_is_a_setting(client, setting, limit, payload) -> None:
    maximum = QUESTION_COLUMNS + 1 if limit == "question_cells" else 1
    with override_settings(**{setting: maximum}):
        response = post(client, payload)
    assert response.status_code == 413, response.content
    body = response.json()
    assert (body["limit"], body["max"]) == (limit, maximum)
    assert body["found"] > maximum
    assert ReportJob.objects.count() == 0
    assert post(client, payload).status_code == 202  # the defaults admit it


# --- the heat map's budget -----------------------------------------------------------------


def class_report(heat_map_cells: int):
    from reports.report.analysis import build_report

    body = json.dumps(
        [student("<b>amy</b>", [1, 2, 2]), student("bob", [2, 3]), student("cy", [3])]
    ).encode()
    return build_report(decode_students(body), idle_minutes=30, heat_map_cells=heat_map_cells)


def test_within_its_budget_the_heat_map_is_drawn() -> None:
    from reports.renderers import render

    report = class_report(9)  # 3 students x 3 units: 9 cells
    assert report.class_summary.counts == ((1, 2, 0), (0, 1, 1), (0, 0, 1))
    html = render(report, "html").content.decode()
    assert 'class="heat"' in html and "Events per unit" not in html
    assert json.loads(render(report, "json").content)["class_summary"]["heat_map"] is True


def test_over_its_budget_the_class_overview_lists_the_units_in_every_format() -> None:
    from reports.renderers import render
    from tests.test_renderers import pdf_text

    report = class_report(8)
    summary = report.class_summary
    assert summary.counts is None
    assert summary.units == ("1", "2", "3")
    assert summary.unit_totals == (1, 3, 2) and summary.unit_students == (1, 2, 2)
    assert summary.student_totals == (3, 2, 1)
    html = render(report, "html").content.decode()
    assert 'class="heat"' not in html
    assert "<caption>Events per unit</caption>" in html
    assert "up to 8 cells; this class has 3 students and 3 units, 9 cells" in html
    assert '<th scope="row">2</th>\n<td class="num">2</td>\n<td class="num">3</td>' in html
    assert "&lt;b&gt;amy&lt;/b&gt;" in html and "<b>amy" not in html
    text = pdf_text(render(report, "pdf").content)
    assert "Events per unit" in text and "up to 8 cells" in text
    data = json.loads(render(report, "json").content)["class_summary"]
    assert data["heat_map"] is False
    assert data["unit_students"] == [1, 2, 2] and data["unit_totals"] == [1, 3, 2]
    assert data["rows"][0] == {"student_id": "<b>amy</b>", "events": 3}  # no counts
