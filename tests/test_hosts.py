"""Workers on several machines, as far as the network goes: a services host (PostgreSQL,
Redis and the sweeper), two worker hosts, and the API on this machine, each host a network
namespace of its own with its own host name (tests/hosts.py). The work spreads over both
worker hosts; a worker host cut off while it holds jobs loses them to the other one once
their lease ends, each job's report is stored once, and the cut-off host's late results are
dropped when its link comes back.

Each host also has a data folder of its own (its disk), so the reports go to object storage
on the services host (moto's S3 server), as on separate machines (docs/operations.md,
"Running several workers on several machines").

Run ``make test PYTEST_ARGS="tests/test_hosts.py -rP"`` to see the figures it measures.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
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
from tests.stack import OwnPostgres, OwnRedis, Stack, free_port

pytestmark = pytest.mark.integration

# The workers' lease is 3 heartbeats (REPORT_JOB_HEARTBEAT_SECONDS, 5 s): 15 s. A run cut
# off with its host cannot renew it and goes on past it (the API publishes with the default
# hard limit of 300 s), as one on a host that was also paused would: the run that fencing
# must stop from storing its result over the newer run's.
WORKER_ENV = {
    "REPORT_JOB_SOFT_TIME_LIMIT": "15",
    "REPORT_JOB_TIME_LIMIT": "16",
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
    s3: Any  # a boto3 client of the object storage on the services host

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


BUCKET = "reports"
S3 = {
    "REPORT_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": BUCKET,
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_S3_REGION_NAME": "eu-west-1",
}


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3["AWS_SECRET_ACCESS_KEY"],
        region_name=S3["AWS_S3_REGION_NAME"],
    )


def object_storage(cleanup: ExitStack, services: Host, address: str, log: Path) -> int:
    """An S3 server (moto's) on the services host, with the bucket; returns its port."""
    port = free_port()
    out = cleanup.enter_context(open(log, "wb"))
    server = subprocess.Popen(
        [
            *services.wrapper(),
            sys.executable,
            "-m",
            "moto.server",
            "-H",
            "0.0.0.0",
            "-p",
            str(port),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    cleanup.callback(server.wait, 10)
    cleanup.callback(server.terminate)

    def listening() -> bool:
        with contextlib.suppress(OSError), socket.create_connection((address, port), 1):
            return True
        assert server.poll() is None, f"the S3 server stopped; see {log}"
        return False

    wait_for("the S3 server", listening, 90)
    s3_client(f"http://{address}:{port}").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": S3["AWS_S3_REGION_NAME"]}
    )
    return port


def host_env(stack: Stack, network: Network, address: str, disk: Path) -> dict[str, str]:
    """What a host's processes are given: the services host's address as that host reaches
    it, in the database, broker and S3 settings, and a data folder (its disk) of its own."""
    return {
        "DATABASE_URL": stack.database_url.replace(network.address, address),
        "CELERY_BROKER_URL": stack.broker_url.replace(network.address, address),
        "AWS_S3_ENDPOINT_URL": stack.env()["AWS_S3_ENDPOINT_URL"].replace(network.address, address),
        "REPORT_DATA_DIR": str(disk),
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
            why = f"no network hosts: `ip netns` needs root (CAP_SYS_ADMIN) and iproute2; {exc}"
            if os.environ.get("REPORT_REQUIRE_INTEGRATION"):
                pytest.fail(why + NO_SKIPPING)
            pytest.skip(why)
        assert network.services is not None
        services = network.services
        postgres = OwnPostgres(host=network.address, wrapper=services.wrapper())
        cleanup.callback(postgres.destroy)
        postgres.init()
        postgres.start()
        redis = OwnRedis(host=network.address, wrapper=services.wrapper())
        cleanup.callback(redis.stop)
        redis.start()
        s3_port = object_storage(cleanup, services, network.address, tmp / "s3.log")
        endpoint = f"http://{network.address}:{s3_port}"
        overrides = {"WEB_CONCURRENCY": "1", "AWS_S3_ENDPOINT_URL": endpoint, **S3}
        stack = Stack(postgres.admin_url, redis.url, tmp, env_overrides=overrides)
        stack.create_database()
        cleanup.callback(stack.stop_all)
        stack.start("web")
        on_services = host_env(stack, network, network.address, tmp / "services")
        stack.start(
            "beat", wrapper=services.wrapper(), REPORT_SWEEP_INTERVAL="1", overrides=on_services
        )
        gates = tmp / "gates"
        gates.mkdir()
        for host in network.hosts:
            stack.start(
                "worker",
                name=host.name,
                faults=True,
                wrapper=host.wrapper(),
                FAULT_GATES=str(gates),
                overrides={**WORKER_ENV, **host_env(stack, network, host.address, tmp / host.name)},
            )
        for host in network.hosts:
            wait_for(
                f"the worker on {host.name}",
                lambda: f"worker@{host.name} ready." in stack.log(host.name),  # called now
                90,
            )
        yield Cluster(stack, network, gates, s3_client(endpoint))


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
    """The log's complete JSON lines: the last one may still be being written (a long
    traceback), so only lines that end with a newline are read."""
    complete = stack.log(name).split("\n")[:-1]
    return [json.loads(line) for line in complete if line.startswith("{")]


def stored(cluster: Cluster, task_id: str) -> tuple[str, list[str]]:
    """The job's one report row's HTML, and the job's report files in the object storage."""
    [(html,)] = cluster.stack.sql("select html from reports_report where task_id = %s", task_id)
    listing = cluster.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"reports/{task_id}.")
    return html, sorted(
        item["Key"].removeprefix("reports/") for item in listing.get("Contents", [])
    )


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
    runs ends its work at once and tries to store its report: it cannot reach the storage,
    and gives up. host-a ends its own two jobs; once the lease of host-b's runs has expired,
    the sweeper re-publishes their jobs and host-a runs both again (attempt 2, fence 2), and
    ends the first. The link comes back, and host-b's other run ends its work while host-a's
    run of that job still goes on: its result is dropped and logged. Each job has one
    report, the newer run's, and the job rows say which host ran them."""
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
    stuck, late = held

    net.cut(host_b)
    cut_at = time.monotonic()
    for task_id in (*kept, stuck):
        cluster.open_gate(task_id, 1)
    wait_for(
        "host-a's own jobs to end",
        lambda: all(jobs(s, kept)[t][:3] == ("SUCCESS", 1, 1) for t in kept),
    )
    # host-b's run of `stuck` retries the storage, then gives up (botocore's retries).
    gave_up = wait_for("host-b's run to give up", lambda: failure(s, host_b, stuck), 240)
    gave_up_after = time.monotonic() - cut_at
    new_holders = wait_for(
        "host-a to take over host-b's jobs once their lease (15 s) has expired",
        lambda: (
            (rows := jobs(s, held))
            and all(row[:3] == ("STARTED", 2, 2) for row in rows.values())
            and {t: row[3] for t, row in rows.items()}
        ),
        120,
    )
    taken_over = time.monotonic() - cut_at
    assert {node(w) for w in new_holders.values()} == {f"worker@{host_a.name}"}
    cluster.open_gate(stuck, 2)
    wait_for("host-a's run to end the first", lambda: jobs(s, [stuck])[stuck][0] == "SUCCESS")
    finished = time.monotonic() - cut_at

    net.restore(host_b)
    restored_at = time.monotonic()
    cluster.open_gate(late, 1)  # host-b's other run goes on, and tries to store its report
    wait_for("host-b's late result to be dropped", lambda: late in dropped(s, host_b), 120)
    dropped_after = time.monotonic() - restored_at
    assert jobs(s, [late])[late] == ("STARTED", 2, 2, new_holders[late])
    cluster.open_gate(late, 2)
    wait_for("host-a's run to end the second", lambda: jobs(s, [late])[late][0] == "SUCCESS")

    stale = dropped(s, host_b)[late]
    assert stale["node"] == gave_up["node"] == f"worker@{host_b.name}"
    assert f"run 1 on {first_holders[late]} lost the job to a newer run" in stale["message"]
    assert stuck not in dropped(s, host_b)  # it stored nothing: no file, no row
    for task_id in held:  # once each, by host-a's run: its report, its file, nothing else
        assert jobs(s, [task_id])[task_id] == ("SUCCESS", 2, 2, new_holders[task_id])
        html, files = stored(cluster, task_id)
        assert html.endswith("<!-- fence 2 -->") and EVENT_ORDER in html
        assert files == [f"{task_id}.2.html"]
        answer = s.get(f"/assignment/html/{task_id}/report")
        assert answer.status == 200 and answer.body.decode() == html
    for task_id in kept:
        assert jobs(s, [task_id])[task_id] == ("SUCCESS", 1, 1, first_holders[task_id])
        html, files = stored(cluster, task_id)
        assert html.endswith("<!-- fence 1 -->") and files == [f"{task_id}.1.html"]
    print(
        f"\nhost-b cut off holding 2 jobs: host-a held both again {taken_over:.1f} s after the "
        f"cut and ended the first {finished:.1f} s after it; host-b's run of the first gave up "
        f"{gave_up_after:.1f} s after the cut ({gave_up['message'][:100]}…); its late result "
        f"for the second was dropped "
        f"{dropped_after:.1f} s after the link came back"
    )


def failure(stack: Stack, host: Host, task_id: str) -> dict[str, Any] | None:
    """The first warning or error a run of the job logged on ``host`` (but its heartbeat's,
    which fails from the cut on)."""
    for line in log_lines(stack, host.name):
        if line["level"] in ("WARNING", "ERROR") and task_id in line["message"]:
            if "heartbeat failed" not in line["message"]:
                return line
    return None


def dropped(stack: Stack, host: Host) -> dict[str, dict[str, Any]]:
    """The log lines of ``host``'s runs whose result was dropped, by task id."""
    return {
        line["task_id"]: line
        for line in log_lines(stack, host.name)
        if "lost the job to a newer run" in line["message"]
    }
