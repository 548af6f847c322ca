"""What each broker must do for the job lifecycle: retries after a countdown on the job's own
queue (both brokers), and on RabbitMQ quorum queues, publisher confirms, immediate
redelivery of a dead worker's job (taken over once its lease ends), and a POST that
neither hangs nor loses its job when the broker is gone or stops answering.

Each RabbitMQ-backed stack has a virtual host of its own (tests/stack.py), so policies set
here never reach the shared broker's other users.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tests.conftest import make_stack
from tests.relay import Relay
from tests.stack import Stack, http, rabbitmqctl

pytestmark = pytest.mark.integration
rabbitmq_only = pytest.mark.parametrize("broker", ["rabbitmq"], indirect=True)


T = TypeVar("T")


def wait_for(what: str, predicate: Callable[[], T], timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return value


def job(s: Stack, task_id: str) -> tuple:
    [row] = s.sql(
        "select status, attempts, published_at, message from reports_reportjob where id = %s",
        task_id,
    )
    return row


def ends_in_success(s: Stack, task_id: str, timeout: float = 60) -> tuple[int, str]:
    """Waits for SUCCESS; returns the attempts it took, and the job's message."""
    wait_for(f"job {task_id} to succeed", lambda: job(s, task_id)[0] == "SUCCESS", timeout)
    _, attempts, _, message = job(s, task_id)
    return attempts, message


def one_student(name: str, sample: dict) -> dict:
    return dict(sample, student_id=f"{name}-{uuid.uuid4().hex[:8]}")


def list_queues(s: Stack) -> dict[str, dict]:
    out = rabbitmqctl("list_queues", "-p", s.name, "name", "type", "durable", "--formatter=json")
    return {q["name"]: q for q in json.loads(out)}


def start_web(s: Stack, **env: str) -> None:
    """One gunicorn process, loaded before the test times anything: the first request
    imports the whole application, which takes far longer than a POST on a busy machine."""
    s.start("web", WEB_CONCURRENCY="1", COLLECTSTATIC_ON_START="0", overrides=env)
    assert http("GET", f"{s.base_url}/healthz", timeout=120).status == 200


def start_worker(s: Stack, name: str, *, faults: bool = False, **env: str) -> None:
    """A worker, once it is consuming (Celery logs "ready" at INFO)."""
    s.start("worker", name=name, faults=faults, LOG_LEVEL="INFO", overrides=env)
    wait_for(f"worker {name} to be ready", lambda: " ready." in s.log(name), timeout=120)


@pytest.fixture(scope="module")
def broker_stack(tmp_path_factory: pytest.TempPathFactory, broker: str) -> Iterator[Stack]:
    """The web server; each test starts the workers (and the sweeper) it needs."""
    tmp = tmp_path_factory.mktemp(f"brokers-{broker}")
    s = make_stack(tmp, broker=broker, MEDIA_ROOT=str(tmp / "media"))
    try:
        start_web(s)
        yield s
    finally:
        s.stop_all()
        s.drop_database()


def test_a_transient_failure_is_retried_after_a_countdown_on_the_jobs_own_queue(
    broker_stack: Stack, sample
) -> None:
    """The report folder cannot be written (a file stands in its way): the attempt fails with
    an OSError, the job goes to RETRY and comes back after its countdown (1 s) through
    ``self.retry``, on RabbitMQ by native delayed delivery. The worker consumes only ``pdf``,
    so a retry published to any other queue would never come back; there is no sweeper."""
    s = broker_stack
    reports = s.tmp / "media" / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.parent.mkdir(parents=True, exist_ok=True)
    reports.write_text("not a folder")
    start_worker(s, "pdf-only", CELERY_WORKER_QUEUES="pdf")
    try:
        task_id = s.post("pdf", one_student("retry", sample)).json()["task_id"]
        wait_for("the first attempt to fail", lambda: job(s, task_id)[0] == "RETRY")
        assert "could not write the report file" in job(s, task_id)[3]
        reports.unlink()
        attempts, message = ends_in_success(s, task_id)
        assert attempts >= 2, message
        assert s.sql("select count(*) from reports_report where task_id = %s", task_id) == [(1,)]
        assert "retrying in" in s.log("pdf-only")
    finally:
        s.stop("pdf-only")
        if reports.is_file():
            reports.unlink()
    if s.rabbitmq_url:
        # Durable quorum queues, the delay levels too; the worker bound the queues it knows
        # (those it consumes) to the delay exchanges without a failure.
        queues = list_queues(s)
        for name in ("pdf", "celery_delayed_0", "celery_delayed_27"):
            assert (queues[name]["type"], queues[name]["durable"]) == ("quorum", True), queues
        assert "delayed delivery" not in s.log("pdf-only").lower(), s.log("pdf-only")


@rabbitmq_only
def test_rabbitmq_hands_a_killed_workers_job_over_and_the_lease_decides_who_runs_it(
    broker_stack: Stack,
) -> None:
    """RabbitMQ requeues a connection's unacknowledged messages as soon as it closes. That
    alone does not prove the run is dead (a worker cut off from the broker runs on), so the
    redelivered message takes the job over only once the run's lease has expired; the
    sweeper publishes it again then. The job ends once, on its second attempt."""
    s = broker_stack
    short = {
        "REPORT_JOB_SOFT_TIME_LIMIT": "3",
        "REPORT_JOB_TIME_LIMIT": "4",
    }
    start_worker(s, "doomed", faults=True, **short)
    try:
        student = {"namespace": "ns", "student_id": f"slow5-{uuid.uuid4().hex[:8]}"}
        events = [{"type": "run", "created_time": "2024-07-21 03:04:55+00:00", "unit": 1}]
        task_id = s.post("html", {**student, "events": events}).json()["task_id"]
        wait_for("the job to start", lambda: job(s, task_id)[:2] == ("STARTED", 1))
        s.stop("doomed", sig=signal.SIGKILL)
        start_worker(s, "rescuer", faults=True, **short)
        s.start("beat", REPORT_SWEEP_INTERVAL="1", overrides=short)
        attempts, message = ends_in_success(s, task_id)
        assert attempts == 2, message
        [(fence, worker)] = s.sql(
            "select fence, worker from reports_reportjob where id = %s", task_id
        )
        assert fence == 2 and worker.startswith("rescuer-")
    finally:
        s.stop("doomed")
        s.stop("rescuer")
        s.stop("beat")
    queues = list_queues(s)  # as declared by a worker of every queue
    for name in ("html", "pdf", "maintenance"):
        assert (queues[name]["type"], queues[name]["durable"]) == ("quorum", True), queues


@rabbitmq_only
def test_a_publish_that_fails_answers_202_in_bounded_time_and_the_sweeper_publishes_it(
    broker_stack: Stack, sample, tmp_path
) -> None:
    """Three ways a POST's publish fails on RabbitMQ: the broker refuses the message (a full
    queue nacks it: publisher confirms), the broker is gone (the publish fails at once), or
    it stops answering (5 s for the confirm, then 5 s each to close the channel and the
    connection: SOCKET_TIMEOUT in config/broker.py; a hang would meet the client's 30 s).
    Each time the POST answers 202 and leaves its job unpublished, and the sweeper
    publishes it. A web server of its own reaches RabbitMQ through a relay that the test
    cuts or stalls; the worker and the sweeper reach RabbitMQ directly."""
    s = broker_stack
    port = int(s.broker_url.rsplit(":", 1)[1].split("/", 1)[0])
    relay = Relay(target_port=port)
    relay.start()
    behind = Stack(
        postgres_admin_url=s.postgres_admin_url,
        redis_url=s.redis_url,
        tmp=tmp_path,
        env_overrides=dict(s.env_overrides),
        rabbitmq_url=s.rabbitmq_url,
        name=s.name,  # the same database and virtual host
    )
    relayed_url = behind.broker_url.replace(f":{port}/", f":{relay.port}/")

    def refuse() -> None:
        rabbitmqctl(
            "set_policy", "-p", s.name, "--apply-to", "queues", "full", "^html$",
            '{"max-length": 0, "overflow": "reject-publish"}',
        )  # fmt: skip
        wait_for("the policy", lambda: "full" in rabbitmqctl("list_queues", "-p", s.name, "policy"))

    def accept() -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # no policy set
            rabbitmqctl("clear_policy", "-p", s.name, "full")
        relay.down()  # cuts a stalled connection too: the next POST connects anew
        relay.up()

    try:
        start_web(behind, CELERY_BROKER_URL=relayed_url)
        published, unpublished = [], []
        for failure, limit in ((refuse, 1.5), (relay.down, 1.5), (relay.stall, 25.0)):
            # First a publish that goes through: the failure then meets a live connection
            # (after the last one, the web server has reconnected by itself).
            fine = behind.post("html", one_student("fine", sample)).json()["task_id"]
            assert job(s, fine)[2] is not None, failure.__name__
            published.append(fine)
            failure()
            started = time.monotonic()
            accepted = behind.post("html", one_student(failure.__name__, sample))
            elapsed = time.monotonic() - started
            accept()
            assert accepted.status == 202, accepted.body
            assert elapsed < limit, f"POST took {elapsed:.1f} s after {failure.__name__}"
            unpublished.append(accepted.json()["task_id"])
            assert job(s, unpublished[-1])[:3] == ("PENDING", 0, None), failure.__name__
        again = behind.post("html", one_student("again", sample)).json()["task_id"]
        assert job(s, again)[2] is not None  # the web server reconnected by itself
        start_worker(s, "after-failures")
        s.start("beat", name="sweeper", REPORT_SWEEP_INTERVAL="1", REPORT_SWEEP_PENDING_AFTER="2")
        for task_id in (*published, *unpublished, again):
            assert ends_in_success(s, task_id)[0] == 1
    finally:
        behind.stop_all()  # first: nothing below may leave a web server running
        accept()
        s.stop("after-failures")
        s.stop("sweeper")
        relay.close()
