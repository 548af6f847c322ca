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
from typing import TypeVar

import pytest

from tests.conftest import integration_urls, make_stack
from tests.stack import OwnPostgres, OwnRedis, Stack

pytestmark = pytest.mark.integration


T = TypeVar("T")


def wait_for(what: str, predicate: Callable[[], T], timeout: float = 30) -> T:
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


def fence_of(stack: Stack, task_id: str) -> tuple[str, int, str]:
    [row] = stack.sql("select status, fence, worker from reports_reportjob where id = %s", task_id)
    return row


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def report_files(stack: Stack) -> list[str]:
    folder = stack.tmp / "var" / "media" / "reports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# Three events on two questions: the finished report must show all of them, in order.
EVENTS = [
    {"type": "saved_code", "created_time": "2024-07-21 03:04:55+00:00", "unit": "17"},
    {"type": "run", "created_time": "2024-07-21 03:05:55+00:00", "unit": 4},
    {"type": "submit", "created_time": "2024-07-21 03:06:55+00:00", "unit": "17"},
]
EVENT_ORDER = "Event Order: Q2 -> Q1 -> Q2"


def job_for(name: str) -> dict:
    """A job whose student id starts with ``name`` (``slow<N>-…`` and ``poison-…`` carry a
    fault for workers started with ``faults=True``: see tests/fault_hooks.py)."""
    return {"namespace": "ns", "student_id": f"{name}-{uuid.uuid4().hex[:8]}", "events": EVENTS}


def assert_done_once(stack: Stack, task_id: str, attempts: int) -> str:
    """SUCCESS after ``attempts`` runs, one report row, one file, and the report is complete.
    Returns the stored HTML."""
    status, tries, _, message = job_row(stack, task_id)
    assert (status, tries) == ("SUCCESS", attempts), message
    [(html, name)] = stack.sql("select html, file from reports_report where task_id = %s", task_id)
    files = [f for f in report_files(stack) if f.startswith(task_id)]
    assert [f"reports/{f}" for f in files] == [name]
    assert EVENT_ORDER in html
    assert (stack.tmp / "var" / "media" / name).read_text() == html
    return html


# --- Workers that die, or only seem to ---------------------------------------------------


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


def test_sigkill_of_the_pool_child_mid_job_redelivers_it(fault_stack: Stack) -> None:
    """The worker's main process sees its pool process die: it releases the job (the dead
    run's name is in the row) and Celery requeues the message (reject_on_worker_lost), so
    the next run takes the job over at once, long before its lease (330 s) would expire."""
    s = fault_stack
    worker = s.start("worker", name="slow", faults=True, CELERY_CONCURRENCY="1")
    try:
        task_id = s.post("html", job_for("slow3")).json()["task_id"]
        wait_for("the job to start", lambda: job_row(s, task_id)[:2] == ("STARTED", 1))
        [child] = wait_for("the pool child", lambda: pool_children(worker.pid))
        assert fence_of(s, task_id)[2].endswith(f"/{child}")
        killed_at = time.monotonic()
        os.kill(child, signal.SIGKILL)
        done = s.wait_done("html", task_id, timeout=30)
        assert done.status == 200 and done.json()["status"] == "SUCCESS", done.body
        assert time.monotonic() - killed_at < 30  # redelivered, not swept after the lease
        assert_done_once(s, task_id, attempts=2)
        assert "WorkerLostError" in s.log("slow")
        assert "released for another run" in s.log("slow")
    finally:
        s.stop("slow")


def test_sigkill_of_the_whole_worker_mid_job_is_recovered_by_a_new_worker_within_30_s(
    fault_stack: Stack, tmp_path: Path
) -> None:
    """With the whole worker gone nobody releases the job or rejects its message (Redis
    would restore it only after the visibility timeout, an hour): its run's heartbeat stops,
    its lease (3 beats of the default 5 s) runs out, and the sweeper publishes it again for
    the new worker. The takeover counts the dead run's crash."""
    s = fault_stack
    gates = tmp_path / "gates"
    gates.mkdir()
    s.start("worker", name="doomed", faults=True, FAULT_GATES=str(gates))
    try:
        task_id = s.post("html", job_for("gated")).json()["task_id"]
        wait_for("the job to start", lambda: job_row(s, task_id)[:2] == ("STARTED", 1))
        (gates / f"{task_id}.2").touch()  # the next run goes straight on
        s.stop("doomed", sig=signal.SIGKILL)
        killed_at = time.monotonic()
        s.start("worker", name="rescuer", faults=True, FAULT_GATES=str(gates))
        done = s.wait_done("html", task_id, timeout=30)
        recovered = time.monotonic() - killed_at
        assert done.status == 200 and done.json()["status"] == "SUCCESS", done.body
        assert recovered < 30
        assert_done_once(s, task_id, attempts=2)
        assert s.sql("select crashes from reports_reportjob where id = %s", task_id) == [(1,)]
        print(f"kill -9 of the whole worker to SUCCESS on a new one: {recovered:.1f} s")
    finally:
        s.stop("doomed")
        s.stop("rescuer")


def test_a_job_that_keeps_killing_its_worker_is_quarantined_after_max_crashes(
    fault_stack: Stack, tmp_path: Path
) -> None:
    """Every run of a poison job kills its pool process. Celery redelivers the message each
    time (reject_on_worker_lost) and the sweeper (every second here) publishes the job
    again too, yet the pool is killed exactly REPORT_JOB_MAX_CRASHES (2) times: then the job
    ends as FAILURE, and the worker's main process was never lost."""
    s = fault_stack
    gates = tmp_path / "gates"
    gates.mkdir()
    worker = s.start(
        "worker", name="killer", faults=True, CELERY_CONCURRENCY="1", FAULT_GATES=str(gates)
    )
    try:
        task_id = s.post("html", job_for("poison")).json()["task_id"]
        done = s.wait_done("html", task_id, timeout=45)
        assert done.status == 200, done.body
        body = done.json()
        assert body["status"] == "FAILURE"
        assert body["message"].startswith("The job stopped its worker 2 times"), body
        time.sleep(3)  # redeliveries and sweeps still under way find the job ended
        kills = (gates / f"{task_id}.kills").read_text().split()
        assert len(kills) == 2, kills
        [(status, crashes)] = s.sql(
            "select status, crashes from reports_reportjob where id = %s", task_id
        )
        assert (status, crashes) == ("FAILURE", 2)
        assert s.sql("select count(*) from reports_report where task_id = %s", task_id) == [(0,)]
        assert worker.poll() is None  # the main process: the same one, still running
        after = s.post("html", job_for("after-poison")).json()["task_id"]
        assert s.wait_done("html", after, timeout=15).json()["status"] == "SUCCESS"
    finally:
        s.stop("killer")


def test_a_job_over_its_memory_ceiling_fails_and_its_worker_carries_on(fault_stack: Stack) -> None:
    """The job allocates until its ceiling (REPORT_JOB_MEMORY_MB, 256 MB here) says no:
    FAILURE with the reason, the worker's main process is the same, its pool process is
    replaced (its peak was past the budget), and the next job succeeds at once."""
    s = fault_stack
    worker = s.start(
        "worker", name="hog", faults=True, CELERY_CONCURRENCY="1", REPORT_JOB_MEMORY_MB="256"
    )
    try:
        warm = s.post("html", job_for("warm")).json()["task_id"]
        assert s.wait_done("html", warm, timeout=60).json()["status"] == "SUCCESS"
        [child] = pool_children(worker.pid)
        assert Path(f"/proc/{child}/oom_score_adj").read_text().strip() == "800"
        assert Path(f"/proc/{worker.pid}/oom_score_adj").read_text().strip() != "800"
        task_id = s.post("html", job_for("hog")).json()["task_id"]
        done = s.wait_done("html", task_id, timeout=60)
        assert done.status == 200, done.body
        assert done.json()["status"] == "FAILURE", done.body
        assert done.json()["message"].startswith("The report needs more than 256 MB of memory")
        started = time.monotonic()
        after = s.post("html", job_for("after-hog")).json()["task_id"]
        assert s.wait_done("html", after, timeout=10).json()["status"] == "SUCCESS"
        print(f"the next job SUCCESS after {time.monotonic() - started:.2f} s")
        assert worker.poll() is None
        [replaced] = wait_for("the pool process", lambda: pool_children(worker.pid))
        assert replaced != child
        # A MemoryError that escapes the task (it struck again while the job was being
        # failed) fails the job in the worker's main process, which goes on.
        leak = s.post("html", job_for("leak")).json()["task_id"]
        done = s.wait_done("html", leak, timeout=30)
        assert done.json()["status"] == "FAILURE", done.body
        assert done.json()["message"].startswith("The report needs more than 256 MB of memory")
        after = s.post("html", job_for("after-leak")).json()["task_id"]
        assert s.wait_done("html", after, timeout=10).json()["status"] == "SUCCESS"
        assert worker.poll() is None
        assert "Unrecoverable" not in s.log("hog")
    finally:
        s.stop("hog")


def test_a_run_that_outlives_its_lease_cannot_overwrite_the_run_that_took_over(
    fault_stack: Stack, tmp_path: Path
) -> None:
    """Two workers get the same job: a duplicate message while the first run holds a valid
    lease does nothing; once the lease has expired the sweeper re-publishes and the second
    worker takes over; when the first run finally ends, its report is dropped, not stored
    over the second's.

    A living run keeps its lease with its heartbeat (every second here: a lease of 3 s), so
    the first run's pool process is paused (SIGSTOP, heartbeat thread and all), as a paused
    VM would be, and let go on (SIGCONT) once the second run has stored its report: the
    situation fencing exists for."""
    from reports.jobs.publish import RedisPublisher

    s = fault_stack
    if s.rabbitmq_url:
        pytest.skip(
            "the duplicate is written straight into the Redis queue; fencing itself does not "
            "depend on the broker (tests/test_jobs.py, and this test on Redis)"
        )
    gates = tmp_path / "gates"
    gates.mkdir()
    short = {
        "REPORT_JOB_HEARTBEAT_SECONDS": "1",
        "CELERY_CONCURRENCY": "1",
        "FAULT_GATES": str(gates),
    }
    names = ("fence-1", "fence-2")
    workers = {
        name: s.start("worker", name=name, faults=True, LOG_LEVEL="INFO", overrides=short)
        for name in names
    }
    paused = None
    try:
        for name in names:
            wait_for(f"{name} to be ready", lambda: " ready." in s.log(name), 60)  # now
        task_id = s.post("html", job_for("gated")).json()["task_id"]
        wait_for("run 1 to start", lambda: fence_of(s, task_id)[:2] == ("STARTED", 1))
        holder_a = fence_of(s, task_id)[2]
        slow, other = names if holder_a.startswith(names[0]) else names[::-1]
        # The same job again, now: the busy worker has no room, the other one takes it.
        duplicate = RedisPublisher(s.redis_url, key_prefix=f"{s.name}:", time_limits=(300, 240))
        duplicate.publish(task_id=task_id, queue="html")
        redis = duplicate.client
        wait_for("the duplicate to be taken", lambda: redis.llen(f"{s.name}:html") == 0)
        time.sleep(4)  # more than the lease: the heartbeat keeps it
        assert fence_of(s, task_id) == ("STARTED", 1, holder_a)
        [paused] = pool_children(workers[slow].pid)
        os.kill(paused, signal.SIGSTOP)
        for attempt in (1, 2):
            (gates / f"{task_id}.{attempt}").touch()
        done = s.wait_done("html", task_id, timeout=30)
        assert done.json()["status"] == "SUCCESS", done.body
        _, fence, holder_b = fence_of(s, task_id)
        assert fence == 2 and holder_b.startswith(f"{other}-")
        os.kill(paused, signal.SIGCONT)
        paused = None
        wait_for("run 1 to end", lambda: "lost the job to a newer run" in s.log(slow), 30)
        html = assert_done_once(s, task_id, attempts=2)
        assert html.endswith("<!-- fence 2 -->")
        assert fence_of(s, task_id) == ("SUCCESS", 2, holder_b)
    finally:
        if paused is not None:
            os.kill(paused, signal.SIGCONT)
        for name in names:
            s.stop(name)


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


def test_flushall_while_jobs_are_queued_loses_nothing(tmp_path: Path, own_redis: OwnRedis) -> None:
    s = make_stack(tmp_path, redis=own_redis.url, **SWEEP_FAST)
    try:
        s.start("web")
        ids = [s.post("html", job_for(f"flush{i}")).json()["task_id"] for i in range(5)]
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
    tmp_path: Path, own_redis: OwnRedis
) -> None:
    s = make_stack(tmp_path, redis=own_redis.url, **SWEEP_FAST)
    try:
        s.start("web")
        s.start("worker")
        s.start("beat")
        warm = s.post("html", job_for("warm")).json()["task_id"]
        assert s.wait_done("html", warm).json()["status"] == "SUCCESS"
        own_redis.stop()
        started = time.monotonic()
        accepted = s.post("html", job_for("redis-down"))
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


def test_redis_killed_while_a_job_runs_the_job_ends_once_and_the_worker_carries_on(
    tmp_path: Path, own_redis: OwnRedis
) -> None:
    """No sweeper here: the running job must finish on its own, and the same worker process
    must reconnect and take new jobs without a restart."""
    s = make_stack(tmp_path, redis=own_redis.url)
    try:
        s.start("web")
        worker = s.start("worker", faults=True)
        task_id = s.post("html", job_for("slow3")).json()["task_id"]
        wait_for("the job to start", lambda: job_row(s, task_id)[0] == "STARTED")
        own_redis.stop()
        time.sleep(1)
        own_redis.start()  # back, and empty
        done = s.wait_done("html", task_id, timeout=30)
        assert done.json()["status"] == "SUCCESS", done.body
        assert_done_once(s, task_id, attempts=1)
        after = s.post("html", job_for("after-redis"))
        assert after.status == 202, after.body
        later = s.wait_done("html", after.json()["task_id"], timeout=60)
        assert later.json()["status"] == "SUCCESS", later.body
        assert_done_once(s, after.json()["task_id"], attempts=1)
        assert worker.poll() is None  # the same worker process
    finally:
        s.stop_all()
        s.drop_database()


# --- PostgreSQL is down ---------------------------------------------------------------------


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    integration_urls()
    pg = OwnPostgres()
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()


def test_postgres_down_answers_503_json_and_recovers_by_itself(
    tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    """Every answer is a 503 JSON while PostgreSQL is down; once it is back, the API and the
    worker recover by themselves and a job accepted before the outage ends complete."""
    pg = own_postgres
    s = make_stack(tmp_path, postgres=pg.admin_url)
    try:
        s.start("web")
        task_id = s.post("html", job_for("before")).json()["task_id"]
        assert s.get("/healthz").status == 200
        pg.stop()
        for result in [
            s.post("html", job_for("during")),
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
        s.start("worker")  # starts while the database is down
        pg.start()
        wait_for("the API to recover", lambda: s.get("/healthz").status == 200, timeout=20)
        done = s.wait_done("html", task_id, timeout=30)
        assert done.json()["status"] == "SUCCESS", done.body
        assert_done_once(s, task_id, attempts=1)
        after = s.post("html", job_for("after"))
        assert after.status == 202
        assert s.wait_done("html", after.json()["task_id"]).json()["status"] == "SUCCESS"
    finally:
        s.stop_all()
        s.drop_redis_keys()  # its database goes with pg; its queue is in the shared Redis


def test_postgres_stopped_while_a_job_runs_is_retried_with_backoff_not_swept(
    tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    """The run cannot store its report nor record its retry (the database is what failed);
    the retry goes through the broker anyway, carrying the run's fence, and takes the job
    over once PostgreSQL is back. No sweeper runs here: recovery cannot come from it."""
    pg = own_postgres
    s = make_stack(tmp_path, postgres=pg.admin_url)
    try:
        s.start("web")
        s.start("worker", faults=True)
        task_id = s.post("html", job_for("slow3")).json()["task_id"]
        wait_for("the job to start", lambda: job_row(s, task_id)[0] == "STARTED")
        pg.stop()
        time.sleep(5)
        pg.start()
        back = time.monotonic()
        wait_for("the API to recover", lambda: s.get("/healthz").status == 200, timeout=20)
        done = s.wait_done("html", task_id, timeout=60)
        assert done.json()["status"] == "SUCCESS", done.body
        assert time.monotonic() - back < 30  # the backoff (1, 2, 4, 8 s ...), not a sweep
        assert_done_once(s, task_id, attempts=2)
        assert "retrying in" in s.log("worker")
    finally:
        s.stop_all()
        s.drop_redis_keys()


# --- Load -------------------------------------------------------------------------------------


def test_1000_posts_at_concurrency_16_all_succeed(stack: Stack) -> None:
    before = stack.sql("select count(*) from reports_reportjob")[0][0]
    payload = job_for("load")

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
        answer = stack.get(f"/assignment/html/{task_id}").json()
        assert answer["status"] == "SUCCESS" and EVENT_ORDER in answer["data"]["report"]
    [(complete,)] = stack.sql(
        "select count(*) from reports_report where task_id = any(%s) and html like %s",
        [uuid.UUID(i) for i in ids],
        f"%{EVENT_ORDER}%",
    )
    assert complete == 1000
    print(f"1000 POSTs in {posted:.1f} s; all SUCCESS after {finished:.1f} s")
