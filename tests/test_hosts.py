"""Workers on several machines, as far as the network goes: a services host (PostgreSQL,
Redis and the sweeper), two worker hosts, and the API on this machine, each host a network
namespace of its own with its own host name (tests/hosts.py). The work spreads over both
worker hosts; a worker host cut off while it holds jobs loses them to the other one once
their lease ends, each job's report is stored once, and the cut-off host's late results are
dropped when its link comes back.

The hosts share this machine's disk (namespaces separate the network only), so the reports
are files under one MEDIA_ROOT, as on a shared disk; separate machines use object storage
(docs/operations.md, "Running several workers on several machines").

Run ``make test PYTEST_ARGS="tests/test_hosts.py -rP"`` to see the figures it measures.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NO_SKIPPING, integration_urls
from tests.hosts import Host, NetnsNotPermitted, Network
from tests.stack import OwnPostgres, OwnRedis, Stack

pytestmark = pytest.mark.integration

# The workers' lease is REPORT_JOB_TIME_LIMIT + REPORT_JOB_LEASE_GRACE = 18 s. The API
# publishes with the default limits (a hard limit of 300 s), so a run cut off with its host
# goes on past its lease, as one on a host that was also paused would: the run that fencing
# must stop from storing its result over the newer run's.
WORKER_ENV = {
    "REPORT_JOB_SOFT_TIME_LIMIT": "15",
    "REPORT_JOB_TIME_LIMIT": "16",
    "REPORT_JOB_LEASE_GRACE": "2",
    "CELERY_CONCURRENCY": "2",
    "CELERY_HOSTNAME": "worker@%h",  # the default: each host's name tells them apart
    "LOG_LEVEL": "INFO",
}
EVENTS = [
    {"type": "saved_code", "created_time": "2024-07-21 03:04:55+00:00", "unit": "17"},
    {"type": "run", "created_time": "2024-07-21 03:05:55+00:00", "unit": 4},
    {"type": "submit", "created_time": "2024-07-21 03:06:55+00:00", "unit": "17"},
]
EVENT_ORDER = "Event Order: Q2 -> Q1 -> Q2"


@dataclass
class Cluster:
    stack: Stack
    network: Network
    gates: Path  # tests/fault_hooks.py: a gated job's run N waits for <gates>/<job>.<N>

    @property
    def hosts(self) -> list[Host]:
        return self.network.hosts

    def open_gate(self, task_id: str, attempt: int) -> None:
        (self.gates / f"{task_id}.{attempt}").touch()


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return value


def reached_from(host: Host, stack: Stack, network: Network) -> dict[str, str]:
    """The database and broker URLs with the services host's address as ``host`` sees it."""
    return {
        "DATABASE_URL": stack.database_url.replace(network.address, host.address),
        "CELERY_BROKER_URL": stack.broker_url.replace(network.address, host.address),
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    integration_urls()  # skip (or fail) like every integration test when not configured
    tmp = tmp_path_factory.mktemp("hosts")
    with ExitStack() as cleanup:  # every step undone, in reverse, whatever fails
        network = Network(workers=2)
        cleanup.callback(network.remove)
        try:
            network.create()
        except NetnsNotPermitted as exc:
            why = f"network namespaces are not permitted here, so no hosts: {exc}"
            if os.environ.get("REPORT_REQUIRE_INTEGRATION"):
                pytest.fail(why + NO_SKIPPING)
            pytest.skip(why)
        assert network.services is not None
        on_services = network.services.wrapper()
        postgres = OwnPostgres(host=network.address, wrapper=on_services)
        cleanup.callback(postgres.destroy)
        postgres.init()
        postgres.start()
        redis = OwnRedis(host=network.address, wrapper=on_services)
        cleanup.callback(redis.stop)
        redis.start()
        stack = Stack(postgres.admin_url, redis.url, tmp, env_overrides={"WEB_CONCURRENCY": "1"})
        stack.create_database()
        cleanup.callback(stack.stop_all)
        stack.start("web")
        stack.start("beat", wrapper=on_services, REPORT_SWEEP_INTERVAL="1")
        gates = tmp / "gates"
        gates.mkdir()
        for host in network.hosts:
            stack.start(
                "worker",
                name=host.name,
                faults=True,
                wrapper=host.wrapper(),
                FAULT_GATES=str(gates),
                **WORKER_ENV,
                **reached_from(host, stack, network),
            )
        for host in network.hosts:
            wait_for(
                f"the worker on {host.name}",
                lambda host=host: f"worker@{host.name} ready." in stack.log(host.name),
                90,
            )
        yield Cluster(stack, network, gates)


def job_for(name: str) -> dict[str, Any]:
    return {"namespace": "ns", "student_id": f"{name}-{uuid.uuid4().hex[:8]}", "events": EVENTS}


def jobs(stack: Stack, ids: list[str]) -> dict[str, tuple[str, int, int, str]]:
    """status, attempts, fence and worker of each job."""
    rows = stack.sql(
        "select id::text, status, attempts, fence, worker from reports_reportjob"
        " where id = any(%s::uuid[])",
        ids,
    )
    return {row[0]: row[1:] for row in rows}


def node(worker: str) -> str:
    return worker.rpartition("/")[0]  # worker@host-a/1234: the node, without the process


def log_lines(stack: Stack, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stack.log(name).splitlines() if line.startswith("{")]


def stored(stack: Stack, task_id: str) -> tuple[str, list[str]]:
    """The job's one report row's HTML, and the report files of the job on the disk."""
    [(html,)] = stack.sql("select html from reports_report where task_id = %s", task_id)
    folder = stack.tmp / "var" / "media" / "reports"
    return html, sorted(p.name for p in folder.glob(f"{task_id}.*"))


def test_the_work_spreads_over_both_worker_hosts(cluster: Cluster) -> None:
    """200 jobs, both worker hosts do some; the row says which host ran each job, and
    each host's log lines carry its node name."""
    s = cluster.stack
    kinds = ["pdf" if i % 4 == 3 else "html" for i in range(200)]
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda kind: s.post(kind, job_for("spread")), kinds))
    assert [a.status for a in answers] == [202] * 200
    ids = [a.json()["task_id"] for a in answers]
    wait_for(
        "the 200 jobs to end",
        lambda: all(row[0] in ("SUCCESS", "FAILURE") for row in jobs(s, ids).values()),
        180,
    )
    elapsed = time.monotonic() - started
    rows = jobs(s, ids)
    assert len(rows) == 200
    assert {(status, attempts) for status, attempts, _, _ in rows.values()} == {("SUCCESS", 1)}
    per_host = Counter(node(worker) for _, _, _, worker in rows.values())
    assert set(per_host) == {f"worker@{h.name}" for h in cluster.hosts}, per_host
    reports = "select count(*), count(distinct job_id) from reports_report"
    assert s.sql(f"{reports} where job_id = any(%s::uuid[])", ids) == [(200, 200)]
    for task_id, kind in list(zip(ids, kinds, strict=True))[:: 200 // 10]:
        answer = s.get(f"/assignment/{kind}/{task_id}/report")
        assert answer.status == 200 and answer.headers["Content-Type"].startswith(
            "text/html" if kind == "html" else "application/pdf"
        )
    for host in cluster.hosts:
        finished = [
            line
            for line in log_lines(s, host.name)
            if line["message"] == "job finished" and line["task_id"] in rows
        ]
        assert {line["node"] for line in finished} == {f"worker@{host.name}"}
        assert len(finished) == per_host[f"worker@{host.name}"]
    split = ", ".join(f"{name}: {count}" for name, count in sorted(per_host.items()))
    print(f"\n200 jobs (150 HTML, 50 PDF) in {elapsed:.1f} s from the first POST; {split}")


def test_a_cut_off_worker_host_loses_its_jobs_to_the_other_and_its_late_results_are_dropped(
    cluster: Cluster,
) -> None:
    """Four jobs, two running on each host, when host-b's link goes down. One of host-b's
    runs ends its work at once and tries to store its report: the cut holds it. host-a ends
    its own two jobs; once the lease of host-b's runs has expired, the sweeper re-publishes
    their jobs and host-a runs both again (attempt 2, fence 2), and ends the first. The link
    comes back: host-b's held store reaches the database after host-a's run has ended that
    job, and host-b's other run ends its work while host-a's run of that job still goes on.
    Both late results are dropped and logged; each job has one report, the newer run's."""
    s, net = cluster.stack, cluster.network
    host_a, host_b = cluster.hosts
    ids = [s.post("html", job_for("gated")).json()["task_id"] for _ in range(4)]
    wait_for(
        "the 4 jobs to run, 2 on each host (2 pool processes each)",
        lambda: {row[:3] for row in jobs(s, ids).values()} == {("STARTED", 1, 1)},
    )
    first_holders = {task_id: row[3] for task_id, row in jobs(s, ids).items()}
    held = sorted(t for t, w in first_holders.items() if node(w) == f"worker@{host_b.name}")
    kept = sorted(t for t, w in first_holders.items() if node(w) == f"worker@{host_a.name}")
    assert len(held) == len(kept) == 2, first_holders
    blocked, running = held

    net.cut(host_b)
    cut_at = time.monotonic()
    for task_id in (*kept, blocked):
        cluster.open_gate(task_id, 1)
    wait_for(
        "host-a's own jobs to end",
        lambda: all(jobs(s, kept)[t][:3] == ("SUCCESS", 1, 1) for t in kept),
    )
    new_holders = wait_for(
        "host-a to take over host-b's jobs once their lease (18 s) has expired",
        lambda: (
            (rows := jobs(s, held))
            and all(row[:3] == ("STARTED", 2, 2) for row in rows.values())
            and {t: row[3] for t, row in rows.items()}
        ),
        120,
    )
    taken_over = time.monotonic() - cut_at
    assert {node(w) for w in new_holders.values()} == {f"worker@{host_a.name}"}
    cluster.open_gate(blocked, 2)
    wait_for("host-a's run to end the first", lambda: jobs(s, [blocked])[blocked][0] == "SUCCESS")
    finished = time.monotonic() - cut_at

    net.restore(host_b)
    restored_at = time.monotonic()
    cluster.open_gate(running, 1)  # host-b's other run goes on, and tries to store its report
    wait_for("host-b's run of the second to be dropped", lambda: running in dropped(s, host_b))
    assert jobs(s, [running])[running] == ("STARTED", 2, 2, new_holders[running])
    cluster.open_gate(running, 2)
    wait_for("host-a's run to end the second", lambda: jobs(s, [running])[running][0] == "SUCCESS")
    # The held store arrives when TCP sends it again (its retry interval has grown meanwhile).
    wait_for("host-b's held result to be dropped", lambda: blocked in dropped(s, host_b), 120)
    late = time.monotonic() - restored_at

    stale = dropped(s, host_b)
    for task_id in held:
        assert stale[task_id]["node"] == f"worker@{host_b.name}"
        assert f"run 1 on {first_holders[task_id]} lost the job" in stale[task_id]["message"]
    for task_id in held:  # once each, by host-a's run: its report, its file, nothing else
        assert jobs(s, [task_id])[task_id] == ("SUCCESS", 2, 2, new_holders[task_id])
        html, files = stored(s, task_id)
        assert html.endswith("<!-- fence 2 -->") and EVENT_ORDER in html
        assert files == [f"{task_id}.2.html"]
        answer = s.get(f"/assignment/html/{task_id}/report")
        assert answer.status == 200 and answer.body.decode() == html
    for task_id in kept:
        assert jobs(s, [task_id])[task_id] == ("SUCCESS", 1, 1, first_holders[task_id])
        html, files = stored(s, task_id)
        assert html.endswith("<!-- fence 1 -->") and files == [f"{task_id}.1.html"]
    print(
        f"\nhost-b cut off holding 2 jobs: host-a held both again {taken_over:.1f} s after the "
        f"cut and ended the first {finished:.1f} s after it; the result host-b's run had "
        f"tried to store during the cut arrived, and was dropped, {late:.1f} s after the link "
        "came back"
    )


def dropped(stack: Stack, host: Host) -> dict[str, dict[str, Any]]:
    """The log lines of ``host``'s runs whose result was dropped, by task id."""
    return {
        line["task_id"]: line
        for line in log_lines(stack, host.name)
        if "lost the job to a newer run" in line["message"]
    }
