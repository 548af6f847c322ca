"""Where the CPU goes per report: ``python -m bench cpu [--kind html] [--jobs 1000] [--wait 30]``.

Runs the throughput scenario (seed sample, 16 clients) against a fresh managed service and
reads, from /proc, the CPU time (user + system) that each group of processes used during
it: the gunicorn workers, the Celery worker (main process and pool), every PostgreSQL
backend, the Redis server, and this client. Divided by the jobs done, that is the CPU
cost of one report by component; on this machine's cores the sum bounds the reachable
throughput.

``--sequential N`` first measures single requests one at a time on one keep-alive
connection: a request for an unknown path (the middleware alone), a POST of the seed
sample (web, then the worker's CPU for the job it made), and a status read of a finished
job; each figure is the CPU of the process groups divided by N.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import client as client_module
from bench import payloads
from bench.client import Client
from bench.procs import children, cpu_count
from bench.service import Scratch, Service

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


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


def _main_process(pid: int | None) -> list[int]:
    return [pid] if pid is not None else []


def snapshot(service: Service) -> dict[str, float]:
    groups = {
        "web (gunicorn)": _tree(service.pid("web")),
        "worker main": _main_process(service.pid("worker")),
        "worker pool": _tree(service.pid("worker"))[1:],
        "postgres": _named("postgres"),
        "redis": _named("redis-server"),
        "client (this)": [os.getpid()],
    }
    return {name: sum(_cpu_seconds(p) for p in pids) for name, pids in groups.items()}


def _per_request(
    service: Service, label: str, count: int, request: Callable[[Client], object]
) -> dict[str, float]:
    client = Client(service.base_url)
    request(client)  # a warm connection
    before = snapshot(service)
    for _ in range(count):
        request(client)
    after = snapshot(service)
    client.close()
    costs = {name: (after[name] - before[name]) / count * 1000 for name in before}
    parts = ", ".join(f"{name.split()[0]} {ms:.2f}" for name, ms in costs.items() if ms >= 0.01)
    print(f"  {label:<34} {parts} ms CPU each")
    return costs


def sequential(service: Service, kind: str, count: int) -> dict[str, dict[str, float]]:
    """CPU per request, one at a time (see the module's docstring)."""
    body = payloads.sample_body()
    finished = Client(service.base_url).run_job(kind, body, timeout=60)
    assert finished.ok, finished.final_status
    posted: list[str] = []

    def post(client: Client) -> None:
        posted.append(client.post_json(f"/assignment/{kind}", body).json()["task_id"])

    def wait_all() -> None:
        client = Client(service.base_url)
        for task_id in posted:
            while client.request("GET", f"/assignment/{kind}/{task_id}").status == 202:
                time.sleep(0.01)
        client.close()

    print(f"{kind}: sequential requests on one keep-alive connection, {count} each")
    out = {"unknown path (404)": _per_request(
        service, "GET of an unknown path (404)", count,
        lambda c: c.request("GET", "/no/such/path"))}  # fmt: skip
    wait_all()
    posted.clear()
    before = snapshot(service)
    out["POST seed sample"] = _per_request(service, "POST of the seed sample", count, post)
    wait_all()
    after = snapshot(service)
    jobs = len(posted)
    out["job (all processes)"] = {
        name: (after[name] - before[name]) / jobs * 1000 for name in before
    }
    job = out["job (all processes)"]
    worker = job["worker main"] + job["worker pool"]
    print(
        f"  {'worker CPU per seed job':<34} {worker:.2f} ms (main process "
        f"{job['worker main']:.2f}, pool {job['worker pool']:.2f})"
    )
    done_id = posted[-1]
    out["status read, finished"] = _per_request(
        service, "GET status of a finished job", count,
        lambda c: c.request("GET", f"/assignment/{kind}/{done_id}"))  # fmt: skip
    return out


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
            for _ in range(20):  # warm: imports, fonts, connections
                Client.local(service.base_url).run_job(args.kind, body, timeout=120)
            if args.sequential:
                sequential(service, args.kind, args.sequential)
            if args.no_throughput:
                return 0
            before, started = snapshot(service), time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                runs = list(
                    pool.map(
                        lambda _: Client.local(service.base_url).run_job(args.kind, body),
                        range(args.jobs),
                    )
                )
            seconds = time.perf_counter() - started
            after = snapshot(service)
    finally:
        scratch.drop()
    done = sum(r.ok for r in runs)
    polls = sum(r.polls for r in runs)
    mode = f"?wait={args.wait:g}" if args.wait else "5 ms polls"
    print(
        f"{args.kind}: {done}/{args.jobs} reports in {seconds:.1f} s = {done / seconds:.1f}/s "
        f"at c={args.concurrency}, {mode}, {polls / max(done, 1):.1f} status requests per job"
    )
    total = 0.0
    for name in before:
        per_job = (after[name] - before[name]) / max(done, 1) * 1000
        total += per_job
        print(f"  {name:<18} {per_job:6.2f} ms CPU per report")
    cores = cpu_count()["available"] or os.cpu_count() or 1
    print(
        f"  {'all':<18} {total:6.2f} ms CPU per report -> at most "
        f"{cores * 1000 / total if total else 0:.0f} reports/s on {cores} cores"
    )
    return 0
