"""The ``report-task`` console script, run as installed (``.venv/bin/report-task``)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypdf
import pytest

from tests.stack import ROOT, Stack

pytestmark = pytest.mark.slow  # make test-fast leaves it out (pyproject.toml)

SCRIPT = Path(sys.executable).parent / "report-task"

TWO_EVENTS: dict[str, Any] = {
    "namespace": "ns",
    "student_id": "Zoë Ångström",
    "events": [
        {"type": "run", "created_time": "2024-07-21T10:00:00Z", "unit": 3},
        {"type": "saved_code", "created_time": "2024-07-21T10:10:30Z", "unit": "1"},
    ],
}


def offline_env() -> dict[str, str]:
    """Django pointed at a database that does not exist and with no secret key: any use
    of Django settings would fail, so the offline renderer must not touch them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORT_", "SECRET"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nowhere",
        CELERY_BROKER_URL="redis://127.0.0.1:9/0",
    )
    return env


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        cwd="/",  # not the project folder: the installed script must stand alone
        env=env or offline_env(),
        timeout=60,
    )


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists(), "run `make install`"
    result = run("--help")
    assert result.returncode == 0 and b"render" in result.stdout and b"submit" in result.stdout


def test_render_html_offline(tmp_path, sample) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps(sample))
    out = tmp_path / "out.html"
    result = run("render", str(events), "--format", "html", "-o", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert f"Student ID: {sample['student_id']}" in html and "Event Order: Q1" in html


def test_render_pdf_offline_from_stdin(tmp_path) -> None:
    out = tmp_path / "out.pdf"
    result = run(
        "render", "-", "--format", "pdf", "-o", str(out), stdin=json.dumps(TWO_EVENTS).encode()
    )
    assert result.returncode == 0, result.stderr
    text = pdf_text(out.read_bytes())
    assert "Student ID: Zoë Ångström" in text
    assert "Event Order: Q2 -> Q1" in text  # unit 3 first, then unit "1"


def test_render_writes_to_stdout_and_honours_idle_minutes() -> None:
    body = json.dumps(TWO_EVENTS).encode()
    active = run("render", "-", "--idle-minutes", "30", stdin=body)
    idle = run("render", "-", "--idle-minutes", "5", stdin=body)
    assert active.returncode == idle.returncode == 0
    # the 10.5-minute gap counts as active time unless the idle threshold is shorter
    assert b"<dt>Active time</dt><dd>10 min 30 s</dd>" in active.stdout
    assert b"<dt>Active time</dt><dd>0 s</dd>" in idle.stdout


def test_render_does_not_import_django() -> None:
    code = (
        "import sys; from reports.cli import main; "
        "rc = main(['render', '-', '-o', '/dev/null']); "
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(TWO_EVENTS).encode(),
        capture_output=True,
        env=offline_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert result.stdout.decode().split(" ", 1) == ["0", "[]\n"], result.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"namespace": "n", "student_id": "s", "events": [{"type": "x", '
            b'"created_time": "yesterday", "unit": 1}]}',
            b"events[0].created_time",
        ),
        (
            b'{"namespace": "n", "student_id": "s", "events": [{"type": "run_code", '
            b'"created_time": "2024-07-21T10:00:00Z", "unit": 1, "outcome": "crashed"}]}',
            b"events[0].outcome",
        ),
        (b"{not json", b"not valid JSON"),
        (b"[]", b"body"),
    ],
)
def test_render_invalid_input_exits_2_naming_the_field(body, expected) -> None:
    result = run("render", "-", stdin=body)
    assert result.returncode == 2
    assert expected in result.stderr and result.stdout == b""


def test_render_refuses_what_the_service_would_refuse_over_a_limit() -> None:
    """The service's default limits hold offline too (reports/report/limits.py): 17 event
    types, one over REPORT_MAX_EVENT_TYPES' default, is refused before any report is built."""
    first = TWO_EVENTS["events"][0]
    events = [dict(first, type=f"type-{k}") for k in range(17)]
    result = run("render", "-", stdin=json.dumps(dict(TWO_EVENTS, events=events)).encode())
    assert result.returncode == 2, result.stderr
    assert b"17 distinct event types; at most 16" in result.stderr and result.stdout == b""


def test_render_json_and_csv_in_a_time_zone() -> None:
    """The figures as data, offline: the same document the service's …/data answers."""
    from reports.renderers.data import report_json
    from reports.report.analysis import build_report
    from reports.report.contract import decode_students

    body = json.dumps(TWO_EVENTS).encode()
    as_json = run("render", "-", "--format", "json", "--timezone", "Asia/Kolkata", stdin=body)
    assert as_json.returncode == 0, as_json.stderr
    model = build_report(decode_students(body), idle_minutes=30, timezone="Asia/Kolkata")
    assert json.loads(as_json.stdout) == json.loads(report_json(model))
    assert json.loads(as_json.stdout)["students"][0]["first"] == "2024-07-21T15:30:00+05:30"
    as_csv = run("render", "-", "-f", "csv", "--timezone", "Asia/Kolkata", stdin=body)
    assert as_csv.returncode == 0, as_csv.stderr
    lines = as_csv.stdout.decode().split("\r\n")
    assert lines[0].endswith("First (Asia/Kolkata),Last (Asia/Kolkata),Active time")
    assert lines[1] == (
        "ns,Zoë Ångström,Q1,1,1,0,1,1,2024-07-21 15:40:30 IST,2024-07-21 15:40:30 IST,0 s"
    )
    unknown = run("render", "-", "-f", "csv", "--timezone", "Mars/Olympus", stdin=body)
    assert unknown.returncode == 2 and b"--timezone" in unknown.stderr


def test_render_missing_file_exits_2() -> None:
    result = run("render", "/nonexistent/events.json")
    assert result.returncode == 2 and b"cannot read" in result.stderr


# --- submit: against the real stack ---------------------------------------------------------


@pytest.mark.integration
def test_submit_html_and_wait(stack: Stack, sample, tmp_path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps(sample))
    out = tmp_path / "report.html"
    result = run(
        "submit",
        str(events),
        "--url",
        stack.base_url,
        "--format",
        "html",
        "--wait",
        "-o",
        str(out),
        "--api-key",
        "unused-key",
    )
    assert result.returncode == 0, result.stderr
    assert "Event Order: Q1" in out.read_text()
    assert b"] SUCCESS" in result.stderr  # the progress bar reached the end


@pytest.mark.integration
def test_submit_a_class_list_as_pdf_shows_progress(stack: Stack, tmp_path) -> None:
    events = [
        {"type": "run", "created_time": f"2024-07-21T10:{k // 60:02d}:{k % 60:02d}Z", "unit": k % 9}
        for k in range(150)
    ]  # big enough that the job is still running when the first poll arrives
    students = [
        {"namespace": "ns", "student_id": f"student-{i}", "events": events} for i in range(20)
    ]
    out = tmp_path / "report.pdf"
    result = run(
        "submit",
        "-",
        "--url",
        stack.base_url,
        "--format",
        "pdf",
        "--wait",
        "-o",
        str(out),
        "--interval",
        "0.05",
        stdin=json.dumps(students).encode(),
    )
    assert result.returncode == 0, result.stderr
    assert b"/20 " in result.stderr  # done/total while it ran
    text = pdf_text(out.read_bytes())
    assert "Student ID: student-0" in text and "Student ID: student-19" in text


@pytest.mark.integration
def test_submit_without_wait_prints_the_task(stack: Stack, sample) -> None:
    result = run("submit", "-", "--url", stack.base_url, stdin=json.dumps(sample).encode())
    assert result.returncode == 0, result.stderr
    accepted = json.loads(result.stdout)
    assert accepted["status"] == "PENDING"
    assert stack.wait_done("html", accepted["task_id"]).status == 200


@pytest.mark.integration
def test_submit_invalid_input_prints_the_servers_errors(stack: Stack, sample) -> None:
    sample["events"][0]["unit"] = ""
    del sample["events"][0]["created_time"]
    result = run(
        "submit", "-", "--url", stack.base_url, "--wait", stdin=json.dumps(sample).encode()
    )
    assert result.returncode == 2
    assert b"HTTP 400" in result.stderr
    assert b"events[0].created_time: This field is required." in result.stderr
    assert b"events[0].unit:" in result.stderr


def test_submit_to_nowhere_exits_1() -> None:
    result = run("submit", "-", "--url", "http://127.0.0.1:9", stdin=b"{}")
    assert result.returncode == 1 and b"cannot reach" in result.stderr


def test_render_shows_the_outcome_figures_and_the_stuck_in_errors_flag() -> None:
    """The offline report draws the same model: the outcome columns, the rule's flag."""
    runs = [
        {
            "type": "run_code",
            "created_time": f"2024-07-21T10:0{k}:00Z",
            "unit": 3,
            "outcome": "error",
            "error_type": "NameError",
        }
        for k in range(5)
    ]
    body = json.dumps(dict(TWO_EVENTS, events=runs)).encode()
    as_csv = run("render", "-", "-f", "csv", stdin=body)
    assert as_csv.returncode == 0, as_csv.stderr
    lines = as_csv.stdout.decode().split("\r\n")
    assert lines[0].endswith("Active time,Error Quotient,Repeated error density")
    assert lines[1].endswith(",1.00,3.20")  # five NameErrors: EQ 1, RED 4^2/5
    as_json = json.loads(run("render", "-", "-f", "json", stdin=body).stdout)
    assert [f["rule"] for f in as_json["students"][0]["attention"]] == ["stuck_in_errors"]


def test_render_other_formats_offline(tmp_path) -> None:
    """``--input``: the file converted as the service converts it; what was ignored said."""
    from tests.test_inputs_api import BAD_ROW
    from tests.test_inputs_same import as_json, as_progsnap2

    table = tmp_path / "MainTable.csv"
    table.write_bytes(as_progsnap2())
    result = run("render", "--input", "progsnap2", str(table), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert b"1 event ignored: 1 with EventType Session.Start" in result.stderr
    own = tmp_path / "events.json"
    own.write_bytes(as_json())
    assert result.stdout == run("render", str(own), "--format", "csv").stdout.replace(
        b"course,", b"progsnap2,"
    )  # the same figures; the namespace is the format's default
    table.write_bytes(BAD_ROW)
    bad = run("render", "--input", "progsnap2", str(table))
    assert bad.returncode == 2
    assert b"row 2.ServerTimestamp" in bad.stderr, bad.stderr


@pytest.mark.integration
def test_submit_a_progsnap2_table(stack: Stack, tmp_path) -> None:
    from tests.test_inputs_same import as_progsnap2

    table = tmp_path / "MainTable.csv"
    table.write_bytes(as_progsnap2())
    out = tmp_path / "report.html"
    result = run(
        "submit", str(table), "--input", "progsnap2", "--url", stack.base_url, "--wait",
        "-o", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "https://example.edu/users/ada" in out.read_text()
