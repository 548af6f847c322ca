"""Faults for the fault tests, loaded only into the workers they start
(``python -m config.serve worker --include tests.fault_hooks``); nothing in the shipped code
can make a job sleep or kill its worker.

A job's input says which fault it carries, in its student id:

- ``slow<N>-…``: the first attempt sleeps N seconds after its claim (a slow run);
- ``poison-…``: every attempt kills the pool process running it (SIGKILL), after adding a
  line to ``$FAULT_GATES/<job id>.kills`` when ``FAULT_GATES`` is set (the test counts them);
- ``hog-…``: every attempt allocates memory, 1 MiB at a time, until it gets ``MemoryError``
  (the job's ceiling), or at most four times ``REPORT_JOB_MEMORY_MB`` (no ceiling: the job
  then goes on, and succeeds);
- ``leak-…``: every attempt raises ``MemoryError``, and so does failing the job afterwards
  in that process (memory that was not freed): the ``MemoryError`` escapes the task;
- ``gated-…``: attempt N, once claimed, waits until the test creates the file
  ``$FAULT_GATES/<job id>.<N>`` (at most 300 s), so the test decides when each run goes on.

Every HTML report these workers render ends with ``<!-- fence N -->``, the fencing token of the
run that rendered it, so a test can tell which run's report was kept.
"""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from reports.jobs import run, states
from reports.renderers import Rendered
from reports.report.model import Report

_FAULT = re.compile(
    rb'"student_id"\s*:\s*"(?:slow(?P<seconds>\d+)|(?P<poison>poison)|(?P<gated>gated)|(?P<hog>hog)|(?P<leak>leak))-'
)
_build = run.job_build
_fail = states.job_fail
_leaking: set[str] = set()  # jobs of leak- in this process


def job_build(*, claim: states.Claim, body: bytes) -> tuple[Report, Rendered]:
    fault = _FAULT.search(body)
    if fault and fault["poison"]:
        if os.environ.get("FAULT_GATES"):
            with open(Path(os.environ["FAULT_GATES"]) / f"{claim.job_id}.kills", "a") as kills:
                kills.write(f"{os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)
    if fault and fault["hog"]:
        _hog(4 * settings.REPORT_JOB_MEMORY_MB)
    if fault and fault["leak"]:
        _leaking.add(str(claim.job_id))
        raise MemoryError
    if fault and fault["seconds"] and claim.attempt == 1:
        time.sleep(int(fault["seconds"]))
    if fault and fault["gated"]:
        _wait_for_gate(Path(os.environ["FAULT_GATES"]) / f"{claim.job_id}.{claim.attempt}")
    report, rendered = _build(claim=claim, body=body)
    if rendered.extension != "html":
        return report, rendered
    marker = f"<!-- fence {claim.fence} -->".encode()
    return report, Rendered(rendered.extension, rendered.content_type, rendered.content + marker)


def job_fail(*, job_id: uuid.UUID | str, message: str, **fenced: Any) -> bool:
    if str(job_id) in _leaking:
        raise MemoryError
    return _fail(job_id=job_id, message=message, **fenced)


def _hog(most_mb: int) -> None:
    held = []
    for _ in range(most_mb):
        held.append(b"x" * (1 << 20))  # written, so resident: as a real job's data is


def _wait_for_gate(gate: Path) -> None:
    deadline = time.monotonic() + 300
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


run.job_build = job_build
states.job_fail = job_fail
