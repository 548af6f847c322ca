"""Where the CPU goes per report: ``python -m bench cpu [--kind html] [--jobs 1000] [--wait 30]``.

Runs the throughput scenario (seed sample, 16 clients) against a fresh managed service and
reads, from /proc, the CPU time (user + system) that each group of processes used during
it: the gunicorn workers, the Celery worker's main process and its pool, every PostgreSQL
backend, the Redis server, and this client. Divided by the jobs done, that is the CPU
cost of one report by component; on this machine's cores the sum bounds the reachable
throughput.

``--sequential N`` first measures single requests one at a time on one keep-alive
connection: a request for an unknown path (the middleware alone), a POST of the seed
sample (web, then the worker's CPU for the job it made), and a status read of a finished
job; each figure is the CPU of the process groups divided by N. ``make bench`` runs the
same two measurements as its ``requests`` and ``throughput`` scenarios.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import client as client_module
from bench import payloads
from bench.client import Client
from bench.procs import children, cpu_count
from bench.service import Scratch, Service

TICKS = os.sysconf("SC_CLK_TCK")
SERVICE = ("web", "worker main", "worker pool", "postgres", "redis")  # not the client


def cpu_seconds(pid: int, *, ended_children: bool = False) -> float:
    """utime + stime; with ``ended_children``, also the CPU of its children that have
    ended (cutime + cstime): PostgreSQL's postmaster keeps its ended backends' this way,
    so a backend that exits between two snapshots does not take its CPU with it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if ended_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _tree(pid: int | None) -> list[int]:
    if pid is None:
        return []
    found = [pid]
    for child in children(pid):
        found.extend(_tree(child))
    return found


@dataclass
class Meter:
    """CPU seconds used so far by each process group of a service on this machine."""

    web: int | None  # the gunicorn master's pid
    worker: int | None  # the Celery worker's main pid

    def snapshot(self) -> dict[str, float]:
        groups = {
            "web": _tree(self.web),
            "worker main": [self.worker] if self.worker else [],
            "worker pool": _tree(self.worker)[1:],
            "postgres": _named("postgres"),
            "redis": _named("redis-server"),
            "client": [os.getpid()],
        }
        return {
            name: sum(cpu_seconds(p, ended_children=name == "postgres") for p in pids)
            for name, pids in groups.items()
        }

    def per(self, before: dict[str, float], count: int) -> dict[str, float]:
        """ms of CPU per unit of work since ``before``, by group, and ``service``: their sum
        without the client."""
        after = self.snapshot()
        costs = {name: (after[name] - before[name]) / max(count, 1) * 1000 for name in before}
        costs["service"] = sum(costs[name] for name in SERVICE)
        return costs


def each(meter: Meter, count: int, request: Callable[[], object]) -> dict[str, float]:
    """CPU per request by process group: ``count`` requests after one to warm up."""
    request()  # a warm connection
    before = meter.snapshot()
    for _ in range(count):
        request()
    return meter.per(before, count)


def sequential(url: str, kind: str, count: int, meter: Meter) -> dict[str, Any]:
    """CPU per request, one at a time on one keep-alive connection (module docstring)."""
    body = payloads.sample_body()
    client = Client(url)
    finished = client.run_job(kind, body, timeout=60)
    assert finished.ok, finished.final_status
    posted: list[str] = []

    def wait_all() -> None:
        for task_id in posted:
            while client.request("GET", f"/assignment/{kind}/{task_id}").status == 202:
                time.sleep(0.01)

    out: dict[str, Any] = {"requests": count}
    out["unknown_path"] = each(meter, count, lambda: client.request("GET", "/no/such/path"))
    before = meter.snapshot()
    out["post"] = each(
        meter,
        count,
        lambda: posted.append(client.post_json(f"/assignment/{kind}", body).json()["task_id"]),
    )
    wait_all()
    out["job"] = meter.per(before, len(posted))  # everything a job cost, its POST included
    out["worker_job_ms"] = out["job"]["worker main"] + out["job"]["worker pool"]
    done_id = posted[-1]
    out["status_read"] = each(
        meter, count, lambda: client.request("GET", f"/assignment/{kind}/{done_id}")
    )
    client.close()
    return out


def print_sequential(kind: str, out: dict[str, Any]) -> None:
    print(f"{kind}: sequential requests on one keep-alive connection, {out['requests']} each")
    for key, label in (
        ("unknown_path", "GET of an unknown path (404)"),
        ("post", "POST of the seed sample"),
        ("status_read", "GET status of a finished job"),
    ):
        parts = ", ".join(f"{g} {ms:.2f}" for g, ms in out[key].items() if ms >= 0.01)
        print(f"  {label:<34} {parts} ms CPU each")
    job = out["job"]
    print(
        f"  {'worker CPU per seed job':<34} {out['worker_job_ms']:.2f} ms (main process "
        f"{job['worker main']:.2f}, pool {job['worker pool']:.2f})"
    )


def ceiling(cpu_ms_per_report: float) -> tuple[float, int]:
    """The throughput this CPU per report allows on this machine's cores, and the cores."""
    cores = cpu_count()["available"] or os.cpu_count() or 1
    return (cores * 1000 / cpu_ms_per_report if cpu_ms_per_report else 0.0), cores


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cpu", description=__doc__)
    parser.add_argument("--kind", default="html", choices=["html", "pdf"])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--wait", type=float, help="long-poll with ?wait= (else 5 ms polls)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--sequential", type=int, metavar="N", help="first: N single requests")
    parser.add_argument("--no-throughput", action="store_true", help="only --sequential")
    args = parser.parse_args(argv)
    client_module.LONG_POLL = args.wait
    body = payloads.sample_body()
    scratch = Scratch(args.postgres, args.redis)
    scratch.create()
    try:
        with Service(scratch) as service:
            meter = Meter(service.pid("web"), service.pid("worker"))
            for _ in range(20):  # warm: imports, fonts, connections
                Client.local(service.base_url).run_job(args.kind, body, timeout=120)
            if args.sequential:
                print_sequential(
                    args.kind, sequential(service.base_url, args.kind, args.sequential, meter)
                )
            if args.no_throughput:
                return 0
            before, started = meter.snapshot(), time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                runs = list(
                    pool.map(
                        lambda _: Client.local(service.base_url).run_job(args.kind, body),
                        range(args.jobs),
                    )
                )
            seconds = time.perf_counter() - started
            done = sum(r.ok for r in runs)
            costs = meter.per(before, done)
    finally:
        scratch.drop()
    polls = sum(r.polls for r in runs)
    mode = f"?wait={args.wait:g}" if args.wait else "5 ms polls"
    print(
        f"{args.kind}: {done}/{args.jobs} reports in {seconds:.1f} s = {done / seconds:.1f}/s "
        f"at c={args.concurrency}, {mode}, {polls / max(done, 1):.1f} status requests per job"
    )
    for name, per_job in costs.items():
        print(f"  {name:<12} {per_job:6.2f} ms CPU per report")
    limit, cores = ceiling(costs["service"] + costs["client"])
    print(
        f"  service + client {costs['service'] + costs['client']:.2f} ms CPU per report -> "
        f"at most {limit:.0f} reports/s on {cores} cores"
    )
    return 0
