"""A big job's memory in the worker (issue 10: a 55 MB body in under 300 MB).

The worker decodes the stored body a slice of events at a time into compact columns,
frees the body once it is decoded, and each student's events once that student's report
is built. Measured with tracemalloc over ``job_run`` (claim, decode, build, render, store):
the body is read from the database inside the measurement, so it counts too.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
from django.db import connection

from bench import payloads
from reports.jobs import run, submit
from reports.models import JobStatus
from reports.renderers import render
from reports.report.analysis import build_report
from reports.report.contract import decode_students

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EVENTS = 60_000  # a 5.5 MB body


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_a_big_jobs_peak_memory_is_a_small_multiple_of_its_body(media, kind) -> None:
    body = payloads.student_body(EVENTS)
    size = len(body)
    job = submit.job_create(
        kind=kind, body=body, student_count=1, event_count=EVENTS, owner="", callback=None
    ).job
    del body
    # What a process loads once (templates, fonts) is not the job's: load it first.
    render(build_report(decode_students(payloads.sample_body()), idle_minutes=30), kind)
    gc.collect()
    tracemalloc.start()
    try:
        assert run.job_run(job_id=job.id, holder="a/1") == JobStatus.SUCCESS
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The body once, the events as columns (their times, a reference each to a shared unit
    # and type text) and the model: about 2.4 times the body (2.42 html, 2.35 pdf). The
    # figures as data (…/data) are written student by student and add nothing to the peak;
    # built as one document of Python objects they took it to 5.0. Decoded all at once as
    # structs, and kept with the body while the model was built, it was 5.7 times; keeping
    # the body alone adds about 1.
    print(f"{kind}: peak {peak / size:.2f} x the body ({size} bytes)")
    assert peak < 3.0 * size


@pytest.mark.skipif(connection.vendor != "postgresql", reason="libpq's buffers: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_after_a_big_body_the_worker_opens_a_new_connection(media, monkeypatch) -> None:
    """libpq keeps a buffer as large as the body for the connection's life: the run closes
    it after the claim (the store then opens a new one), only for big bodies."""
    monkeypatch.setattr(run, "BIG_BODY", 1000)
    opened = []
    for events in (2, 200):  # about 300 bytes, then 18 kB
        body = payloads.student_body(events)
        job = submit.job_create(
            kind="html", body=body, student_count=1, event_count=events, owner="", callback=None
        ).job
        connection.ensure_connection()
        before = connection.connection
        assert run.job_run(job_id=job.id, holder="a/1") == JobStatus.SUCCESS
        opened.append(connection.connection is not before)
    assert opened == [False, True]
