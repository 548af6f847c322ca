"""The schema is the truth, checked by an outside tool: schemathesis's command line, with
every check (``-c all``) and schemathesis.toml as a person would run it, against a real
service (gunicorn and a Celery worker, tests/stack.py). Its stateful phase follows the
schema's links from each created job to the operations on it (status, DELETE, the report
file, …/data). On Redis only: the schema does not depend on the broker."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import running_stack
from tests.schemathesis_hooks import RECEIVER
from tests.stack import ROOT, Stack

pytestmark = pytest.mark.integration

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Signs callbacks and accepts the hooks' loopback receiver (tests/schemathesis_hooks.py),
    as schemathesis.toml says the service under test must."""
    with running_stack(
        tmp_path_factory.mktemp("schemathesis"),
        REPORT_WEBHOOK_SECRET="schemathesis-test-secret",
        REPORT_WEBHOOK_ALLOW_HOSTS=RECEIVER.split("/")[2].split(":")[0],
    ) as s:
        yield s


def test_schemathesis_finds_no_failure_against_the_live_service(service: Stack) -> None:
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{service.base_url}/api/schema/",
            "-c",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "18",
            "--no-color",
        ],
        cwd=ROOT,  # where schemathesis.toml is
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert "Stateful" in run.stdout and "API Links" in run.stdout, report
