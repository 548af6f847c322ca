"""Nothing lost: each test breaks the running system on purpose (kills workers, flushes or
stops Redis, stops PostgreSQL) and checks that every accepted job still ends exactly once.

The shared PostgreSQL and Redis are never touched: a test that breaks one starts its own.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import integration_urls, make_stack
from tests.stack import OwnPostgres, OwnRedis, Stack

pytestmark = pytest.mark.integration


def wait_for(what: str, predicate: Callable[[], object], timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def job_row(stack: Stack, task_id: str) -> tuple:
    [row] = stack.sql(
        "select status, attempts, published_at, message from reports_reportjob where id = %s",
        task_id,
    )
    return row


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def report_files(stack: Stack) -> list[str]:
    folder = stack.tmp / "var" / "media" / "reports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_done_once(stack: Stack, task_id: str, attempts: int) -> None:
    status, tries, _, message = job_row(stack, task_id)
    assert (status, tries) == ("SUCCESS", attempts), message
    assert stack.sql("select count(*) from reports_report where task_id = %s", task_id) == [(1,)]
    assert [f for f in report_files(stack) if f.startswith(task_id)] == [f"{task_id}.html"]


def sample_for(name: str, sample: dict) -> dict:
    return dict(sample, student_id=f"{name}-{uuid.uuid4().hex[:8]}")


# --- Workers that die -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory, broker: str) -> Iterator[Stack]:
    """Web and the sweeper (every second); each test starts the workers it needs."""
    s = make_stack(tmp_path_factory.mktemp("faults"), broker=broker)
    try:
        s.start("web")
        s.start("beat", REPORT_SWEEP_INTERVAL="1")
        yield s
    finally:
        s.stop_all()
        s.drop_database()


def test_sigkill_of_the_pool_child_mid_job_redelivers_it(fault_stack: Stack, sample) -> None:
    """reject_on_worker_lost puts the message back (flagged redelivered) at once; the claim
    takes the STARTED job over, long before its lease (default: 330 s) would expire."""
    s = fault_stack
    worker = s.start("worker", name="slow", CELERY_CONCURRENCY="1", REPORT_FAULT_SLEEP_SECONDS="2")
    try:
        task_id = s.post("html", sample_for("kill-child", sample)).json()["task_id"]
        wait_for("the job to start", lambda: job_row(s, task_id)[:2] == ("STARTED", 1))
        [child] = wait_for("the pool child", lambda: pool_children(worker.pid))
        killed_at = time.monotonic()
        os.kill(child, signal.SIGKILL)
        done = s.wait_done("html", task_id, timeout=30)
        assert done.status == 200 and done.json()["status"] == "SUCCESS", done.body
        assert time.monotonic() - killed_at < 30  # redelivered, not swept after the lease
        assert_done_once(s, task_id, attempts=2)
        assert "WorkerLostError" in s.log("slow")
    finally:
        s.stop("slow")


def test_sigkill_of_the_whole_worker_is_recovered_by_a_new_worker(
    fault_stack: Stack, sample
) -> None:
    """With the whole worker gone nobody rejects the message (Redis would restore it only
    after the visibility timeout, an hour); the lease expires and the sweeper re-publishes."""
    s = fault_stack
    short = {
        "REPORT_JOB_SOFT_TIME_LIMIT": "3",
        "REPORT_JOB_TIME_LIMIT": "4",
        "REPORT_JOB_LEASE_GRACE": "1",
    }
    s.start("worker", name="doomed", REPORT_FAULT_SLEEP_SECONDS="2", **short)
    try:
        task_id = s.post("html", sample_for("kill-worker", sample)).json()["task_id"]
        wait_for("the job to start", lambda: job_row(s, task_id)[:2] == ("STARTED", 1))
        s.stop("doomed", sig=signal.SIGKILL)
        s.start("worker", name="rescuer", **short)
        done = s.wait_done("html", task_id, timeout=30)
        assert done.status == 200 and done.json()["status"] == "SUCCESS", done.body
        assert_done_once(s, task_id, attempts=2)
    finally:
        s.stop("doomed")
        s.stop("rescuer")


def test_a_job_that_keeps_killing_its_worker_ends_as_failure(fault_stack: Stack, sample) -> None:
    s = fault_stack
    s.start(
        "worker",
        name="killer",
        CELERY_CONCURRENCY="1",
        REPORT_FAULT_KILL_WORKER="1",
        REPORT_JOB_MAX_ATTEMPTS="2",
    )
    try:
        task_id = s.post("html", sample_for("poison", sample)).json()["task_id"]
        done = s.wait_done("html", task_id, timeout=45)
        assert done.status == 200, done.body
        body = done.json()
        assert body["status"] == "FAILURE"
        assert body["message"].startswith("Gave up after 2 attempts")
        assert job_row(s, task_id)[:2] == ("FAILURE", 2)
        assert s.sql("select count(*) from reports_report where task_id = %s", task_id) == [(0,)]
    finally:
        s.stop("killer")


# --- Redis loses the queue, or is down --------------------------------------------------------


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    integration_urls()  # skip (or fail) like every integration test when not configured
    redis = OwnRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


SWEEP_FAST = {"REPORT_SWEEP_INTERVAL": "1", "REPORT_SWEEP_PENDING_AFTER": "2"}


def test_flushall_while_jobs_are_queued_loses_nothing(
    tmp_path: Path, own_redis: OwnRedis, sample
) -> None:
    s = make_stack(tmp_path, redis=own_redis.url, **SWEEP_FAST)
    try:
        s.start("web")
        ids = [s.post("html", sample_for(f"flush{i}", sample)).json()["task_id"] for i in range(5)]
        assert own_redis.cli("llen", f"{s.name}:html") == "5"
        own_redis.cli("flushall")
        assert own_redis.cli("dbsize") == "0"
        s.start("worker")
        s.start("beat")
        for task_id in ids:
            done = s.wait_done("html", task_id, timeout=30)
            assert done.json()["status"] == "SUCCESS", done.body
            assert_done_once(s, task_id, attempts=1)
    finally:
        s.stop_all()
        s.drop_database()


def test_redis_down_at_post_time_answers_202_and_the_sweeper_publishes_later(
    tmp_path: Path, own_redis: OwnRedis, sample
) -> None:
    s = make_stack(tmp_path, redis=own_redis.url, **SWEEP_FAST)
    try:
        s.start("web")
        s.start("worker")
        s.start("beat")
        warm = s.post("html", sample_for("warm", sample)).json()["task_id"]
        assert s.wait_done("html", warm).json()["status"] == "SUCCESS"
        own_redis.stop()
        started = time.monotonic()
        accepted = s.post("html", sample_for("redis-down", sample))
        elapsed = time.monotonic() - started
        assert accepted.status == 202, accepted.body
        assert elapsed < 1.5, f"POST took {elapsed:.1f} s with Redis down"
        task_id = accepted.json()["task_id"]
        status, attempts, published_at, _ = job_row(s, task_id)
        assert (status, attempts, published_at) == ("PENDING", 0, None)
        time.sleep(1)
        own_redis.start()  # back, and empty
        done = s.wait_done("html", task_id, timeout=45)
        assert done.json()["status"] == "SUCCESS", done.body
        assert_done_once(s, task_id, attempts=1)
    finally:
        s.stop_all()
        s.drop_database()


# --- PostgreSQL is down ---------------------------------------------------------------------


def test_postgres_down_answers_503_json_and_recovers_by_itself(tmp_path: Path, sample) -> None:
    integration_urls()
    pg = OwnPostgres()
    pg.init()
    pg.start()
    s = None
    try:
        s = make_stack(tmp_path, postgres=pg.admin_url)
        s.start("web")
        task_id = s.post("html", sample).json()["task_id"]
        assert s.get("/healthz").status == 200
        pg.stop()
        for result in [
            s.post("html", sample),
            s.get(f"/assignment/html/{task_id}"),
            s.get(f"/assignment/pdf/{uuid.uuid4()}"),
        ]:
            assert result.status == 503, result.body
            assert result.headers["Content-Type"] == "application/json"
            assert result.json()["status"] == "UNAVAILABLE"
            assert result.headers["Retry-After"]
        health = s.get("/healthz")
        assert health.status == 503
        assert health.json()["checks"]["database"].startswith("unavailable")
        assert health.json()["checks"]["broker"] == "ok"
        pg.start()
        wait_for("the API to recover", lambda: s.post("html", sample).status == 202, timeout=20)
        assert s.get(f"/assignment/html/{task_id}").status == 202
        assert s.get("/healthz").status == 200
    finally:
        if s is not None:
            s.stop_all()
            s.drop_redis_keys()  # its database goes with pg; its queue is in the shared Redis
        pg.destroy()


# --- Load -------------------------------------------------------------------------------------


def test_1000_posts_at_concurrency_16_all_succeed(stack: Stack, sample) -> None:
    before = stack.sql("select count(*) from reports_reportjob")[0][0]
    payload = sample_for("load", sample)

    def one(_: int) -> tuple[int, str]:
        result = stack.post("html", payload)
        return result.status, result.json().get("task_id", "") if result.status == 202 else ""

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(1000)))
    posted = time.monotonic() - started
    assert [code for code, _ in results if code != 202] == []
    ids = {task_id for _, task_id in results}
    assert len(ids) == 1000
    total = stack.sql("select count(*) from reports_reportjob")[0][0]
    assert total - before == 1000

    def all_succeeded() -> bool:
        [(done,)] = stack.sql(
            "select count(*) from reports_reportjob where id = any(%s) and status = 'SUCCESS'",
            [uuid.UUID(i) for i in ids],
        )
        return done == 1000

    wait_for("1000 jobs to succeed", all_succeeded, timeout=120)
    finished = time.monotonic() - started
    for task_id in list(ids)[:20]:
        assert stack.get(f"/assignment/html/{task_id}").json()["status"] == "SUCCESS"
    print(f"1000 POSTs in {posted:.1f} s; all SUCCESS after {finished:.1f} s")
