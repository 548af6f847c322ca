"""``python -m bench [options]``: the end-to-end scenarios of issue #5 (docs/performance.md).

``python -m bench micro``: the micro-benchmarks only.
``python -m bench minimal``: the same measurements on a minimal service of the same stack.
``python -m bench bounded``: the worst accepted report at each limit, outside the service.
``python -m bench show <results.json>``: print the tables of an earlier run again.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from bench import client as client_module
from bench import cpu, micro, payloads, report, scenarios
from bench.client import POLL_INTERVAL, Client
from bench.floor import Floor
from bench.procs import TreePeak, children, cpu_count
from bench.service import Scratch, Service

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("latency", "requests", "throughput", "big", "class", "huge", "slow", "table")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="reduced counts (~2 minutes)")
    parser.add_argument("--url", help="benchmark an already running service at this URL")
    parser.add_argument("--api-pid", type=int, help="with --url: gunicorn master pid (for RSS)")
    parser.add_argument("--worker-pid", type=int, help="with --url: Celery main pid (for RSS)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="admin URL of a PostgreSQL to create the bench database on",
    )
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"))
    parser.add_argument(
        "--broker",
        metavar="amqp://user:password@host:port",
        help="use this RabbitMQ as the broker (a virtual host of its own) instead of --redis",
    )
    parser.add_argument("--web-concurrency", type=int, help="gunicorn processes (default: 2)")
    parser.add_argument("--web-threads", type=int, help="threads per gunicorn process (4)")
    parser.add_argument("--celery-concurrency", type=int, help="Celery pool processes (2)")
    parser.add_argument("--kinds", default="html,pdf", help="html,pdf")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"any of {','.join(SCENARIOS)}"
    )
    parser.add_argument("--jobs", type=int, help="throughput: number of jobs")
    parser.add_argument("--concurrency", type=int, help="throughput: client threads")
    parser.add_argument("--runs", type=int, help="latency: runs per kind")
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="long-poll the status URL with ?wait=SECONDS instead of polling every 5 ms",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip measuring the floor")
    parser.add_argument("--no-micro", action="store_true", help="skip the micro-benchmarks")
    parser.add_argument("--keep-logs", action="store_true", help="keep the service's logs")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON file")
    return parser.parse_args(argv)


def versions(
    database_url: str | None, redis_url: str, rabbitmq_url: str | None = None
) -> dict[str, str | None]:
    import celery
    import django
    import gunicorn
    import msgspec
    import orjson
    import psycopg
    import redis
    import reportlab

    found: dict[str, str | None] = {
        "python": platform.python_version(),
        "django": django.__version__,
        "celery": celery.__version__,
        "gunicorn": gunicorn.__version__,
        "reportlab": reportlab.Version,
        "msgspec": msgspec.__version__,
        "orjson": orjson.__version__,
        "psycopg": psycopg.__version__,
        "redis_py": redis.__version__,
        "postgresql": None,
        "redis": None,
        "rabbitmq": None,
    }
    with contextlib.suppress(Exception):
        with psycopg.connect(database_url or "", connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            found["postgresql"] = row[0] if row else None
    with contextlib.suppress(Exception):
        client = redis.Redis.from_url(redis_url, socket_timeout=3)
        info = cast("dict[str, Any]", client.info("server"))  # a dict: the client is sync
        found["redis"] = info["redis_version"]
        client.close()
    if rabbitmq_url:
        from kombu import Connection

        with contextlib.suppress(Exception), Connection(rabbitmq_url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
            found["rabbitmq"] = conn.connection.server_properties.get("version")
    return found


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cores": cpu_count(), "platform": platform.platform()}
    with contextlib.suppress(OSError):
        info["loadavg_start"] = os.getloadavg()
    with contextlib.suppress(OSError, ValueError):
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        info["mem_total_kb"] = int(meminfo[0].split()[1])
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    return info


def _counts(args: argparse.Namespace) -> scenarios.Counts:
    counts = scenarios.Counts.quick() if args.quick else scenarios.Counts.full()
    overrides = {
        "throughput_jobs": args.jobs,
        "concurrency": args.concurrency,
        "latency_runs": args.runs,
    }
    return scenarios.Counts(
        **{**counts.__dict__, **{k: v for k, v in overrides.items() if v is not None}}
    )


def _new_results(
    args: argparse.Namespace, counts: scenarios.Counts, kinds: list[str], chosen: list[str]
) -> dict[str, Any]:
    return {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "machine": machine(),
        "mode": "quick" if args.quick else "full",
        "counts": counts.__dict__,
        "settings": {
            "poll_interval_s": POLL_INTERVAL,
            "long_poll_wait_s": args.wait,
            "seed": payloads.SEED,
            "kinds": kinds,
            "scenarios": chosen,
            "url": args.url,
            "managed": not args.url,
            "broker": "rabbitmq" if args.broker else "redis",
        },
        "scenarios": {},
        "errors": {},
    }


def _start(args: argparse.Namespace, scratch: Scratch) -> tuple[str, Service | None]:
    """The URL to benchmark, and the service this run started (None with --url)."""
    if args.url:
        return args.url.rstrip("/"), None
    service = Service(
        scratch,
        web_concurrency=args.web_concurrency,
        web_threads=args.web_threads,
        celery_concurrency=args.celery_concurrency,
    )
    print(f"starting the service on {service.base_url} (database {scratch.name}) ...")
    service.__enter__()
    return service.base_url, service


def _context(
    args: argparse.Namespace,
    url: str,
    service: Service | None,
    counts: scenarios.Counts,
    floor: Floor | None,
    kinds: list[str],
) -> scenarios.Context:
    api, worker = (args.api_pid, args.worker_pid) if service is None else (
        service.pid("web"), service.pid("worker"))  # fmt: skip
    ctx = scenarios.Context(
        url=url, counts=counts, floor=floor, api=TreePeak(api), worker=TreePeak(worker),
        meter=cpu.Meter(api, worker) if api and worker else None,
        database_url=service.scratch.database_url if service is not None else None,
    )  # fmt: skip
    if service is not None:

        def restart() -> None:
            service.restart()
            ctx.api.parent, ctx.worker.parent = service.pid("web"), service.pid("worker")
            ctx.meter = cpu.Meter(service.pid("web"), service.pid("worker"))
            scenarios.warm_up(ctx, kinds, extra=False)

        ctx.restart = restart
    return ctx


def _processes(args: argparse.Namespace, ctx: scenarios.Context) -> dict[str, Any]:
    given = "as configured (--url)" if args.url else "default"
    api, worker = ctx.api.parent, ctx.worker.parent
    return {
        "web_concurrency": args.web_concurrency or given,
        "web_threads": args.web_threads or given,
        "celery_concurrency": args.celery_concurrency or given,
        # What actually runs: the children of gunicorn's master and Celery's main process.
        "gunicorn_workers": len(children(api)) if api else None,
        "celery_pool_processes": len(children(worker)) if worker else None,
    }


# Scenario names in the order the table reads; html then pdf within each.
ORDER = [
    "latency", "requests", "throughput", "big_10k", "big_100k", "class", "huge", "slow", "table"
]  # fmt: skip


def _plan(
    ctx: scenarios.Context, kinds: list[str], chosen: list[str]
) -> list[tuple[str, str, Callable[[str], dict[str, Any]]]]:
    counts = ctx.counts
    huge_body = payloads.student_body(counts.huge_events) if "huge" in chosen else b""
    table_body = payloads.progsnap2_table(100) if "table" in chosen else b""
    actions: dict[str, Callable[[str], dict[str, Any]]] = {
        "latency": lambda k: scenarios.latency(ctx, k),
        "requests": lambda k: scenarios.requests(ctx, k),
        "throughput": lambda k: scenarios.throughput(ctx, k),
        "big_10k": lambda k: scenarios.big(ctx, k, 10_000, counts.big_10k_runs),
        "big_100k": lambda k: scenarios.big(ctx, k, 100_000, counts.big_100k_runs),
        "class": lambda k: scenarios.klass(ctx, k),
        "huge": lambda k: scenarios.huge(ctx, k, huge_body),
        "slow": lambda k: scenarios.slow(ctx, k),
        "table": lambda k: scenarios.table(ctx, k, table_body),
    }
    wanted = {
        name for name in ORDER if name in chosen or (name.startswith("big_") and "big" in chosen)
    }
    # Scenario 6 is about the web server, not the report: once, with the first kind.
    return [
        (name, kind, actions[name])
        for name in ORDER
        if name in wanted
        for kind in kinds
        if name != "slow" or kind == kinds[0]
    ]


def _execute(
    plan: list[tuple[str, str, Callable[[str], dict[str, Any]]]], results: dict[str, Any]
) -> None:
    for name, kind, action in plan:
        start = time.perf_counter()
        print(f"  {name:<11} {kind:<4} ...", end=" ", flush=True)
        try:
            outcome = action(kind)
        except Exception as exc:
            traceback.print_exc()
            results["errors"][f"{name}/{kind}"] = repr(exc)
            print("error")
            continue
        results["scenarios"].setdefault(name, {})[kind] = outcome
        print(f"{time.perf_counter() - start:.1f} s")


def _micro(args: argparse.Namespace, kinds: list[str], results: dict[str, Any]) -> None:
    """In-process figures: the seed sample's build+render (a row of the table) and the
    model and renderers on 10k and 100k events."""
    micro.setup_django()
    seed = micro.seed(500 if args.quick else 2000)
    for row in seed:
        kind = row["name"].rsplit(" ", 1)[1]
        results["scenarios"].setdefault("render", {})[kind] = row
    if not args.no_micro:
        results["micro"] = seed + micro.run(repeat=2 if args.quick else 5, pdf="pdf" in kinds)


def run(args: argparse.Namespace) -> dict[str, Any]:
    client_module.LONG_POLL = args.wait
    counts = _counts(args)
    kinds = [k for k in args.kinds.split(",") if k]
    chosen = [s for s in args.scenarios.split(",") if s]
    unknown = set(chosen) - set(SCENARIOS) or set(kinds) - {"html", "pdf"}
    if unknown:
        raise SystemExit(f"unknown scenario or kind: {', '.join(sorted(unknown))}")
    if args.broker and not args.broker.startswith(("amqp://", "amqps://")):
        raise SystemExit("--broker takes an amqp:// URL; Redis is --redis")
    results = _new_results(args, counts, kinds, chosen)
    scratch = Scratch(args.postgres, args.redis, args.broker)
    # With --url the service has its own database; ours then only holds the floor's table.
    need_scratch = not args.url or not args.no_floor
    if need_scratch:
        scratch.create()
    service: Service | None = None
    floor: Floor | None = None
    try:
        url, service = _start(args, scratch)
        results["versions"] = versions(
            scratch.database_url if need_scratch else args.postgres, args.redis, args.broker
        )
        if not args.no_floor:
            floor = Floor(scratch.database_url, args.redis, scratch.key_prefix)
        ctx = _context(args, url, service, counts, floor, kinds)
        scenarios.warm_up(ctx, kinds)
        results["settings"].update(_processes(args, ctx))
        _execute(_plan(ctx, kinds, chosen), results)
        Client.local(url).close()
    finally:
        if floor is not None:
            floor.close()
        if service is not None:
            service.__exit__(None, None, None)
            if args.keep_logs:
                print(f"service logs kept in {service.tmp}")
            service.cleanup(keep_logs=args.keep_logs)
        if need_scratch:
            scratch.drop()
    with contextlib.suppress(OSError):
        results["machine"]["loadavg_end"] = os.getloadavg()
    _micro(args, kinds, results)
    report.derive(results)
    return results


def show(results: dict[str, Any]) -> None:
    print(report.format_table(report.rows(results)))
    if any(
        (scenario.get(kind) or {}).get("floor")
        for scenario in results["scenarios"].values()
        for kind in ("html", "pdf")
    ):
        print()
        print(report.floor_table(results))
    if results.get("micro"):
        print()
        print(micro.format_rows(results["micro"]))
    cores = results["machine"]["cores"]
    load = results["machine"].get("loadavg_start")
    versions = results.get("versions", {})
    settings = results.get("settings", {})
    broker = (
        f"RabbitMQ {versions.get('rabbitmq')} (broker), Redis {versions.get('redis')} (floor)"
        if settings.get("broker") == "rabbitmq"
        else f"Redis {versions.get('redis')}"
    )
    print(
        f"\n{cores['available']} cores; load average at start {load}, at end "
        f"{results['machine'].get('loadavg_end')}; {results.get('duration_s', 0):.0f} s in all"
        f"\nPython {versions.get('python')}, Django {versions.get('django')}, "
        f"Celery {versions.get('celery')}, PostgreSQL {versions.get('postgresql')}, {broker}"
        f"\nWEB_CONCURRENCY={settings.get('web_concurrency')} "
        f"({settings.get('gunicorn_workers')} gunicorn workers), "
        f"WEB_THREADS={settings.get('web_threads')}, "
        f"CELERY_CONCURRENCY={settings.get('celery_concurrency')} "
        f"({settings.get('celery_pool_processes')} pool processes), "
        f"{results.get('mode')} run, "
        + (
            f"long polling with ?wait={settings['long_poll_wait_s']:g}"
            if settings.get("long_poll_wait_s")
            else f"polling every {settings.get('poll_interval_s', 0) * 1000:g} ms"
        )
    )
    for name, error in results["errors"].items():
        print(f"ERROR {name}: {error}")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "micro":
        return micro.main(argv[1:])
    if argv and argv[0] == "cpu":
        from bench import cpu

        return cpu.main(argv[1:])
    if argv and argv[0] == "profile":
        from bench import profile

        return profile.main(argv[1:])
    if argv and argv[0] == "minimal":
        from bench.minimal import run as minimal  # not `run`: that name is main's below

        return minimal.main(argv[1:])
    if argv and argv[0] == "bounded":
        from bench import bounded

        return bounded.main(argv[1:])
    if argv and argv[0] == "show":
        for name in argv[1:]:
            show(json.loads(Path(name).read_text()))
        return 0
    args = parse_args(argv)
    started = time.perf_counter()
    results = run(args)
    results["duration_s"] = time.perf_counter() - started
    print()
    show(results)
    path = report.write_json(results, args.out, results["started_at"])
    print(f"results: {path}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
