"""The figures as data and the time zone, end to end on the real stack (PostgreSQL, the
broker, gunicorn and a Celery worker process)."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from tests.stack import HttpResult, Stack, http
from tests.test_data import DST_EVENTS, question_tables

pytestmark = pytest.mark.integration

CLASS = [
    {"namespace": "ns", "student_id": "dst", "events": DST_EVENTS},
    {
        "namespace": "ns",
        "student_id": "=cmd",
        "events": [
            {"type": "run", "created_time": "2026-03-28T23:59:59.5Z", "unit": 7},
            {"type": "run", "created_time": "2026-03-29T00:10:00Z", "unit": "7"},
            {"type": "saved_code", "created_time": "2026-03-29T02:00:00Z", "unit": "x"},
        ],
    },
]


def wait_data(stack: Stack, path: str, timeout: float = 60) -> HttpResult:
    """Poll …/data itself: 202 with the status body until the job is done."""
    deadline = time.monotonic() + timeout
    while True:
        result = stack.get(path)
        if result.status != 202:
            return result
        assert result.json()["status"] in ("PENDING", "STARTED", "RETRY")
        assert time.monotonic() < deadline, result.body
        time.sleep(0.05)


def test_data_json_and_csv_agree_with_the_html_in_the_asked_zone(stack: Stack) -> None:
    accepted = http(
        "POST",
        f"{stack.base_url}/assignment/html?timezone=Europe/Berlin&idle_minutes=120",
        json.dumps(CLASS).encode(),
        {"Content-Type": "application/json"},
    )
    assert accepted.status == 202, accepted.body
    task_id = accepted.json()["task_id"]
    [(zone,)] = stack.sql("select timezone from reports_reportjob where id = %s", task_id)
    assert zone == "Europe/Berlin"

    document = wait_data(stack, f"/assignment/html/{task_id}/data")
    assert document.status == 200, document.body
    assert document.headers["Content-Type"] == "application/json"
    data = document.json()
    assert data["timezone"] == "Europe/Berlin"
    assert [s["first"] for s in data["students"]] == [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T00:59:59.500000+01:00",
    ]
    assert data["students"][0]["active_seconds"] == 3600.0  # an hour, across the change

    table = stack.get(f"/assignment/html/{task_id}/data", {"Accept": "text/csv"})
    assert table.status == 200 and table.headers["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(table.body.decode(), newline="")))
    assert header[-3:] == ["First (Europe/Berlin)", "Last (Europe/Berlin)", "Active time"]
    page = stack.get(f"/assignment/html/{task_id}", {"Accept": "text/html"}).body.decode()
    tables = question_tables(page)
    assert "2026-03-29 01:30:00 CET" in page and "2026-03-29 03:30:00 CEST" in page
    for row in rows:
        section = "s1" if row[1] == "dst" else "s2"
        table_header, *table_rows = tables[section]
        html_row = dict(zip(table_header, next(r for r in table_rows if r[0] == row[2])))
        for column, value in zip(header, row, strict=True):
            if column in html_row:
                assert value == html_row[column], (column, value)
    assert [r[1] for r in rows] == ["dst", "dst", "'=cmd", "'=cmd"]  # neutralised
    assert [r[-3] for r in rows[:2]] == ["2026-03-29 01:30:00 CET", "2026-03-29 03:30:00 CEST"]

    assert http("DELETE", f"{stack.base_url}/assignment/html/{task_id}").status == 204
    assert stack.get(f"/assignment/html/{task_id}/data").status == 404


def test_data_of_a_pdf_job_with_the_zone_in_the_body(stack: Stack, sample: dict) -> None:
    sample["timezone"] = "Asia/Kolkata"
    task_id = stack.post("pdf", sample).json()["task_id"]
    document = wait_data(stack, f"/assignment/pdf/{task_id}/data")
    assert document.status == 200, document.body
    student = document.json()["students"][0]
    assert student["first"] == "2024-07-21T08:34:55.939000+05:30"
    table = stack.get(f"/assignment/pdf/{task_id}/data?format=csv")
    assert (
        table.body.decode()
        .split("\r\n")[1]
        .endswith(",2024-07-21 08:34:55.939 IST,2024-07-21 08:34:55.939 IST,0 s")
    )
    bad = stack.post("pdf", dict(sample, timezone="Asia/Nowhere"))
    assert bad.status == 400 and list(bad.json()["errors"]) == ["timezone"]
