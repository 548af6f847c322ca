"""Reads racing a DELETE, in this process, on the configured database (PostgreSQL when
DATABASE_URL is set) and the real local storage: a reader that read the job a moment
before it was erased answers 404, as DELETE documents, never 500."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from reports.jobs import run, submit

READERS = 3


def _finished_job(kind: str, sample: dict) -> str:
    body = json.dumps(sample).encode()
    job = submit.job_create(kind=kind, body=body, student_count=1, event_count=1).job
    assert run.job_run(job_id=str(job.id), holder="test/1") == "SUCCESS"
    return str(job.id)


def _reads(kind: str, task_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every read of a finished job: the status URL's answers (JSON, HTML document, PDF
    attachment), the file and the data as JSON and CSV."""
    status = f"/assignment/{kind}/{task_id}"
    return [
        (status, {}),
        (status, {"HTTP_ACCEPT": "text/html" if kind == "html" else "application/json"}),
        (f"{status}/report", {}),
        (f"{status}/data", {}),
        (f"{status}/data?format=csv", {}),
    ]


@pytest.fixture
def fine_grained_threads() -> Iterator[None]:
    """Threads take turns every microsecond instead of every 5 ms, so a reader is often
    interrupted between reading the job and opening its file: the window a DELETE from
    another process falls into (8 of 960 reads on a running service)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _read_until_gone(kind: str, task_id: str, codes: list[int], start: threading.Event) -> None:
    client = Client(raise_request_exception=False)
    try:
        start.wait()
        for _ in range(200):  # a bound: the job is gone long before
            answers = [
                client.get(url, **headers).status_code for url, headers in _reads(kind, task_id)
            ]
            codes.extend(answers)  # atomic: the threads share the list
            if all(code == 404 for code in answers):
                return
    finally:
        connection.close()


def _delete(kind: str, task_id: str, codes: list[int], start: threading.Event) -> None:
    try:
        start.wait()
        client = Client(raise_request_exception=False)
        codes.append(client.delete(f"/assignment/{kind}/{task_id}").status_code)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_reads_racing_a_delete_answer_404_never_500(
    sample, settings, tmp_path, fine_grained_threads
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers (a DELETE among readers may wait, 503): set DATABASE_URL"
        )
    settings.MEDIA_ROOT = tmp_path
    jobs = [(kind, _finished_job(kind, sample)) for kind in ["html", "pdf"] * 16]
    reads: list[int] = []
    deletes: list[int] = []
    for kind, task_id in jobs:
        start = threading.Event()
        threads = [
            threading.Thread(target=_read_until_gone, args=(kind, task_id, reads, start))
            for _ in range(READERS)
        ]
        threads.append(threading.Thread(target=_delete, args=(kind, task_id, deletes, start)))
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join(timeout=60)
    codes = Counter(reads)
    assert Counter(deletes) == {204: len(jobs)}
    assert not [code for code in codes if code >= 500], codes
    assert set(codes) == {200, 404}, codes


@pytest.mark.django_db
def test_a_report_file_missing_from_the_storage_is_410_gone_not_500(
    client, sample, settings, tmp_path
) -> None:
    """Not a race: the job is still there but its file is not (removed by hand, an S3
    lifecycle rule). The file's answers say so; the JSON answers, which need no file,
    still work."""
    settings.MEDIA_ROOT = tmp_path
    for kind in ("html", "pdf"):
        task_id = _finished_job(kind, sample)
        for stored in tmp_path.rglob(f"*{task_id}*"):
            stored.unlink()
        file_reads = [f"/assignment/{kind}/{task_id}/report"]
        if kind == "pdf":
            file_reads.append(f"/assignment/pdf/{task_id}")  # the PDF attachment
        for url in file_reads:
            response = client.get(url)
            assert response.status_code == 410, (url, response.status_code)
            assert response.json() == {
                "task_id": task_id,
                "status": "GONE",
                "message": "This job's report file is missing from the storage: "
                "submit the request again.",
            }
        json_status = client.get(f"/assignment/{kind}/{task_id}", HTTP_ACCEPT="application/json")
        assert json_status.status_code == 200 and json_status.json()["status"] == "SUCCESS"
        assert client.get(f"/assignment/{kind}/{task_id}/data").status_code == 200
