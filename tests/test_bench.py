"""Smoke tests of the benchmark suite, so it cannot rot. No timing is asserted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bench import micro, payloads, report
from reports.report.contract import decode_students


def test_payloads_are_deterministic_and_valid() -> None:
    body = payloads.student_body(50, seed=1)
    assert body == payloads.student_body(50, seed=1)
    assert body != payloads.student_body(50, seed=2)
    (student,) = decode_students(body)
    assert len(student.events) == 50 == payloads.event_count(body)

    klass = decode_students(payloads.class_body(3, 4, seed=1))
    assert [len(s.events) for s in klass] == [4, 4, 4]
    assert len({s.student_id for s in klass}) == 3

    (sample,) = decode_students(payloads.sample_body())
    assert sample.student_id == "00a9a76518624b02b0ed57263606fc26"


def test_the_progsnap2_table_converts_with_its_session_rows_ignored() -> None:
    import io

    from reports.inputs import convert

    table = payloads.progsnap2_table(1)
    assert 2**20 <= len(table) < 2**20 + 200
    done = convert("progsnap2", io.BytesIO(table), content_type="text/csv")
    assert done.students == 500
    assert dict(done.ignored_by) == {"EventType Session.Start": done.ignored}
    assert done.events + done.ignored > 5000


def test_micro_benchmarks_run_on_tiny_sizes() -> None:
    rows = micro.run(sizes=(200,), repeat=1, pdf=True)
    names = [r["name"] for r in rows]
    assert names == [
        "validate (decode_students)",
        "report model (build_report)",
        "render html",
        "render pdf",
    ]
    assert all(r["rate"] and r["rate"] > 0 for r in rows)
    assert rows[-1]["pages"] >= 1
    assert "render pdf" in micro.format_rows(rows)


def test_table_compares_with_targets() -> None:
    results: dict[str, Any] = {
        "scenarios": {
            "latency": {
                "html": {"post_s": {"median": 0.002}, "end_to_end_s": {"median": 0.050}},
                "pdf": {"post_s": {"median": 0.004}, "end_to_end_s": None},
            }
        }
    }
    table = report.rows(results)
    post, e2e = table
    assert post[:5] == ["1. seed: POST", "ms", "2.00", "≤ 2.00", "ok"]
    assert post[6:9] == ["4.00", "≤ 2.00", "MISS"]
    assert e2e[4] == "MISS" and e2e[6] == "-"
    assert "1. seed: end-to-end" in report.format_table(table)

    many = {"median": 0.010, "p95": 0.020, "n": 20}
    results["scenarios"]["latency"]["html"]["end_to_end_s"] = many
    assert report.rows(results)[1][2:5] == ["10.0 (p95 20.0)", "≤ 10.0", "ok"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_rss_is_read_from_proc() -> None:
    from bench.procs import status_kb

    assert (status_kb(os.getpid(), "VmRSS") or 0) > 0
    assert (status_kb(os.getpid(), "VmHWM") or 0) > 0


@pytest.mark.integration
def test_the_minimal_stack_serves_its_three_views_and_its_worker_finishes_every_job(
    tmp_path: Path,
) -> None:
    """``python -m bench minimal``'s minimal service starts with the service's own gunicorn
    and Celery commands, answers, and its worker finishes every posted job (the
    measurement raises when one is left unfinished); each figure is a CPU time."""
    import psycopg

    from bench.minimal import run
    from tests.conftest import integration_urls

    with run.minimal_scratch(*integration_urls()) as scratch:
        out = run.measure_minimal(scratch, 10, tmp_path, job_timeout=20)
        with psycopg.connect(scratch.database_url) as conn:
            row = conn.execute("SELECT count(*), count(output) FROM minimal_job").fetchone()
    assert row == (11, 11)  # ten posts and the warm-up, each claimed and finished
    assert set(out) == {"plain", "hello", "post", "job", "status_read"}
    assert out["job"]["worker pool"] > 0
    assert all(costs["web"] >= 0 for costs in out.values())


@pytest.mark.integration
def test_the_slow_client_scenario_runs_against_a_live_service(stack: Any) -> None:
    """Scenario 6 (bench/slow.py) on the tests' stack, with 20 polls: every poll is held
    and then answered, and each figure the table reads is there."""
    from bench import slow
    from bench.client import Client

    def seed_e2e() -> float:
        result = Client(stack.base_url).run_job("html", payloads.sample_body(), timeout=60)
        assert result.ok and result.end_to_end_seconds is not None
        return result.end_to_end_seconds

    out = slow.run(stack.base_url, stack.database_url, seed_e2e, lambda: [], 20)
    assert out["undisturbed"]["ok"] == 100 and out["disturbed"]["ok"] == 100
    assert out["disturbed"]["polls_still_open"] == 100  # held while the others were served
    assert out["disturbed"]["polls_answered_200"] == 100
    capacity = out["capacity"]
    assert capacity["polls_held"] == capacity["polls_opened"] == 20
    assert capacity["answered_200"] == 20
    results = {"scenarios": {"slow": {"html": out}}}
    labels = [row[0] for row in report.rows(results)]
    assert "6. long polls held at once per web process" in labels
