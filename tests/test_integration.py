"""End to end on real PostgreSQL, Redis, gunicorn and a Celery worker process."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.stack import Stack

pytestmark = pytest.mark.integration


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_healthz(stack: Stack) -> None:
    result = stack.get("/healthz")
    assert result.status == 200, result.body
    assert result.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_seed_sample_html_end_to_end(stack: Stack, sample: dict) -> None:
    accepted = stack.post("html", sample)
    assert accepted.status == 202, accepted.body
    task_id = accepted.json()["task_id"]
    done = stack.wait_done("html", task_id)
    assert done.status == 200, done.body
    body = done.json()
    assert body["status"] == "SUCCESS"
    assert body["data"]["student_id"] == sample["student_id"]
    assert "Event Order: Q1" in body["data"]["report"]
    assert f"Student ID: {sample['student_id']}" in body["data"]["report"]
    file = stack.get(body["data"]["report_url"].removeprefix(stack.base_url))
    assert file.status == 200 and file.body.decode() == body["data"]["report"]
    [(attempts, status)] = stack.sql(
        "select attempts, status from reports_reportjob where id = %s", task_id
    )
    assert (attempts, status) == (1, "SUCCESS")


def test_seed_sample_pdf_end_to_end(stack: Stack, sample: dict) -> None:
    task_id = stack.post("pdf", sample).json()["task_id"]
    done = stack.wait_done("pdf", task_id)
    assert done.status == 200, done.body
    assert done.headers["Content-Type"] == "application/pdf"
    assert done.headers["Content-Disposition"] == (
        f'attachment; filename="report-{sample["student_id"]}.pdf"'
    )
    text = pdf_text(done.body)
    assert f"Student ID: {sample['student_id']}" in text
    assert "Event Order: Q1" in text


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_a_class_list_end_to_end(stack: Stack, sample: dict, kind: str) -> None:
    students = []
    for i in range(5):
        events = [
            {"type": "run", "created_time": f"2024-07-21T0{k}:00:00Z", "unit": 10 - k}
            for k in range(i + 1)
        ]
        students.append({"namespace": "ns", "student_id": f"student-{i}", "events": events})
    task_id = stack.post(kind, students).json()["task_id"]
    done = stack.wait_done(kind, task_id)
    assert done.status == 200
    text = done.json()["data"]["report"] if kind == "html" else pdf_text(done.body)
    for i in range(5):
        assert f"Student ID: student-{i}" in text
    assert "Event Order: Q5 -> Q4 -> Q3 -> Q2 -> Q1" in text
    if kind == "html":
        assert done.json()["data"]["student_ids"] == [f"student-{i}" for i in range(5)]
        assert done.json()["data"]["student_id"] is None


def test_accept_text_html_exactly_gets_the_report_or_json(stack: Stack, sample: dict) -> None:
    """What `curl -H 'Accept: text/html'` sends: the HTML document once finished, JSON
    before that and for unknown ids, never a 406 (docs/api.md, "Content negotiation")."""
    html = {"Accept": "text/html"}
    unknown = stack.get("/assignment/html/00000000-0000-4000-8000-000000000000", html)
    assert unknown.status == 404 and unknown.json()["status"] == "NOT_FOUND"
    task_id = stack.post("html", sample, headers=html).json()["task_id"]
    stack.wait_done("html", task_id, headers=html)
    page = stack.get(f"/assignment/html/{task_id}", html)
    assert page.status == 200, page.body
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.body.startswith(b"<!DOCTYPE html>")
    assert f"Student ID: {sample['student_id']}" in page.body.decode()
    pdf_id = stack.post("pdf", sample).json()["task_id"]
    stack.wait_done("pdf", pdf_id)
    status = stack.get(f"/assignment/pdf/{pdf_id}", html)
    assert status.status == 200 and status.json()["status"] == "SUCCESS"
