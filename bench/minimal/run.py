"""Runs the minimal service and this service one after the other; prints and saves both."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench import payloads
from bench.client import Client
from bench.cpu import Meter, ceiling, each
from bench.procs import cpu_count
from bench.service import ROOT, Scratch, Service, free_port
from config.serve import NOT_INHERITED, web_command, worker_command

RESULTS = ROOT / "bench" / "results"
TABLE = (
    "CREATE TABLE minimal_job (id uuid PRIMARY KEY, status text NOT NULL, body bytea, output bytea)"
)


def _env(scratch: Scratch) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.minimal.settings",
        MINIMAL_DATABASE_URL=scratch.database_url,
        MINIMAL_BROKER_URL=scratch.broker_url,
        MINIMAL_KEY_PREFIX=scratch.key_prefix,
        MINIMAL_QUEUE="minimal",
        PYTHONPATH=str(ROOT),
    )
    return env


def _command(role: str, app: str, port: int, pool: str = "prefork") -> list[str]:
    """The service's own gunicorn or Celery command, pointed at the minimal app (``pool``:
    Celery's execution pool; the service runs prefork)."""
    if role == "web":
        command = web_command()
        command[command.index("config.asgi:application")] = app
        command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
        return command
    command = worker_command()
    command[command.index("-A") + 1] = app
    command[command.index("--queues") + 1] = "minimal"
    return [*command, "--pool", pool]


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _wait_http(client: Client, path: str) -> None:
    for _ in range(300):
        with contextlib.suppress(OSError):
            if client.request("GET", path).status < 500:
                return
        client.close()
        time.sleep(0.1)
    raise RuntimeError("the minimal web server did not start")


def _jobs_done(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        sql = f"SELECT count(*) FROM {table} WHERE status = 'SUCCESS'"
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Side:
    """One of the two services, as the measurements see it."""

    base_url: str
    meter: Meter
    database_url: str
    table: str  # where its jobs' status is
    framework_path: str  # a GET through the framework without database work
    create_path: str
    status_path: str  # with {task_id}


def measure(side: Side, count: int, *, job_timeout: float = 120) -> dict[str, Any]:
    """Per request, one at a time on one keep-alive connection: a GET through the framework,
    a POST of the seed sample, then (waiting for the jobs by reading the database directly,
    not through the API) everything a job cost, its POST included, and a status read."""
    client, meter, body = Client(side.base_url), side.meter, payloads.sample_body()
    out = {"hello": each(meter, count, lambda: client.request("GET", side.framework_path))}
    done_before = _jobs_done(side.database_url, side.table)
    posted: list[str] = []
    before = meter.snapshot()
    out["post"] = each(
        meter,
        count,
        lambda: posted.append(client.post_json(side.create_path, body).json()["task_id"]),
    )
    deadline = time.monotonic() + job_timeout
    while _jobs_done(side.database_url, side.table) < done_before + len(posted):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{side.base_url}: the worker did not finish its jobs")
        time.sleep(0.05)
    out["job"] = meter.per(before, len(posted))
    status = side.status_path.format(task_id=posted[-1])
    out["status_read"] = each(meter, count, lambda: client.request("GET", status))
    client.close()
    return out


def measure_minimal(
    scratch: Scratch, count: int, tmp: Path, *, job_timeout: float = 120, pool: str = "prefork"
) -> dict[str, Any]:
    """CPU per request of the plain WSGI server, then of the Django + DRF + Celery service."""
    env, port = _env(scratch), free_port()
    base_url = f"http://127.0.0.1:{port}"
    client = Client(base_url)
    plain = _command("web", "bench.minimal.plain:served", port)
    with _process(plain, env, tmp / "plain.log") as web:
        _wait_http(client, "/")
        first = each(Meter(web, None), count, lambda: client.request("GET", "/"))
    client.close()
    with (
        _process(_command("web", "bench.minimal.app:served", port), env, tmp / "w.log") as web,
        _process(_command("worker", "bench.minimal.tasks", port, pool), env, tmp / "c") as worker,
    ):
        _wait_http(client, "/hello")
        client.close()
        side = Side(
            base_url, Meter(web, worker), scratch.database_url, "minimal_job",
            "/hello", "/job", "/job/{task_id}",
        )  # fmt: skip
        return {"plain": first, **measure(side, count, job_timeout=job_timeout)}


def measure_service(args: argparse.Namespace) -> dict[str, Any]:
    scratch = Scratch(args.postgres, args.redis)
    scratch.create()
    try:
        with Service(scratch) as service:
            for _ in range(20):  # warm: imports, fonts, connections
                Client.local(service.base_url).run_job("html", payloads.sample_body())
            side = Side(
                service.base_url, Meter(service.pid("web"), service.pid("worker")),
                scratch.database_url, "reports_reportjob", "/no/such/path",
                "/assignment/html", "/assignment/html/{task_id}",
            )  # fmt: skip
            return measure(side, args.requests)
    finally:
        scratch.drop()


ROWS = (
    ("plain", None, "HTTP server alone (plain WSGI)"),
    ("hello", "hello", "GET through the framework"),
    ("post", "post", "POST of the seed sample"),
    ("status_read", "status_read", "status read"),
    ("job", "job", "a job: its POST, worker, database"),
)


def add_totals(side: dict[str, Any], polls: float) -> None:
    """A side's worker CPU per job, and its CPU for one report: its POST and job, plus
    ``polls`` status reads."""
    side["worker_job_ms"] = side["job"]["worker main"] + side["job"]["worker pool"]
    side["per_report_ms"] = side["job"]["service"] + polls * side["status_read"]["service"]


def _cells(costs: dict[str, float] | None) -> str:
    if costs is None:
        return f"{'':>8} {'':>8}"
    return f"{costs['web']:>8.2f} {costs['service']:>8.2f}"


def print_table(results: dict[str, Any]) -> None:
    minimal, ours, polls = results["minimal"], results["service"], results["polls"]
    print(f"{'ms CPU each':<36} {'minimal stack':>17} {'this service':>17}")
    print(f"{'':<36} {'web':>8} {'all':>8} {'web':>8} {'all':>8}")
    for key, our_key, label in ROWS:
        print(f"  {label:<34} {_cells(minimal[key])} {_cells(ours.get(our_key or ''))}")
    print(
        f"  {'worker per job (main + pool)':<34} {minimal['worker_job_ms']:>17.2f} "
        f"{ours['worker_job_ms']:>17.2f}"
    )
    print(
        f"  {f'a report: job + {polls:g} status reads':<34} "
        f"{minimal['per_report_ms']:>17.2f} {ours['per_report_ms']:>17.2f}"
    )
    rate, cores = ceiling(minimal["per_report_ms"])
    print(f"the minimal stack's ceiling at {polls:g} reads a report: {rate:.0f}/s on {cores} cores")


@contextlib.contextmanager
def minimal_scratch(postgres: str, redis_url: str) -> Iterator[Scratch]:
    """A database of its own with the minimal service's one table, and a Redis key prefix;
    both removed afterwards."""
    scratch = Scratch(postgres, redis_url)
    scratch.create()
    try:
        with psycopg.connect(scratch.database_url, autocommit=True) as conn:
            conn.execute(TABLE)
        yield scratch
    finally:
        scratch.drop()


def _round(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement of each service, the minimal one first."""
    with (
        minimal_scratch(args.postgres, args.redis) as scratch,
        tempfile.TemporaryDirectory(prefix="rt-minimal-") as tmp,
    ):
        minimal = measure_minimal(scratch, args.requests, Path(tmp), pool=args.pool)
    return {"minimal": minimal, "service": measure_service(args)}


def median_of(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Cell by cell (measurement, process group), the median over the rounds."""
    return {
        key: {group: statistics.median(run[key][group] for run in runs) for group in runs[0][key]}
        for key in runs[0]
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench minimal", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="per measurement")
    parser.add_argument("--polls", type=float, default=7.0, help="status reads per report")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--rounds", type=int, default=3, help="alternated; medians are shown")
    parser.add_argument(
        "--pool", default="prefork", choices=["prefork", "solo"], help="the minimal worker's pool"
    )
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "command": "python -m bench minimal " + " ".join(argv),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": cpu_count(),
        "load_average": os.getloadavg()[0],
        "requests": args.requests,
        "polls": args.polls,
        "minimal_pool": args.pool,
        "rounds_run": args.rounds,
    }
    rounds = [_round(args) for _ in range(args.rounds)]
    results["rounds"] = rounds
    for side in ("minimal", "service"):
        results[side] = median_of([r[side] for r in rounds])
        add_totals(results[side], args.polls)
    print_table(results)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"minimal-{stamp}.json"
        path.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
