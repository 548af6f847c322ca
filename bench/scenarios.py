"""The end-to-end scenarios of issue #5. Each returns plain dicts (seconds, bytes, counts)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench import cpu, payloads
from bench.client import Client, JobResult
from bench.floor import Floor
from bench.procs import PeakSampler, TreePeak


@dataclass(frozen=True)
class Counts:
    latency_runs: int
    warmup: int
    throughput_jobs: int
    concurrency: int
    big_10k_runs: int
    big_100k_runs: int
    class_runs: int
    class_students: int
    class_events: int
    huge_events: int
    timeout: float

    @classmethod
    def full(cls) -> Counts:
        return cls(100, 5, 1000, 16, 5, 3, 2, 1000, 100, 600_000, 600)

    @classmethod
    def quick(cls) -> Counts:
        return cls(20, 3, 200, 16, 2, 1, 1, 1000, 100, 600_000, 300)


def stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "median": statistics.median(ordered),
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


@dataclass
class Context:
    url: str
    counts: Counts
    floor: Floor | None
    api: TreePeak
    worker: TreePeak
    # Restarts the web server and the worker (managed runs only), so that a memory figure
    # is not inflated by what the processes kept from earlier scenarios.
    restart: Callable[[], None] | None = None
    # The CPU of the service's processes (when their pids are known).
    meter: cpu.Meter | None = None
    # The service's database (managed runs only): scenario 6 makes jobs that cannot finish.
    database_url: str | None = None

    def client(self) -> Client:
        return Client.local(self.url)

    def sampler(self) -> PeakSampler:
        return PeakSampler({"api": self.api, "worker": self.worker})

    def floor_of(self, body: bytes, output_bytes: int) -> dict[str, Any] | None:
        return self.floor.of(body, output_bytes) if self.floor else None


def _ratio(measured: float | None, floor: float | None) -> float | None:
    if measured is None or not floor:
        return None
    return measured / floor


def _summary(ctx: Context, kind: str, body: bytes, runs: list[JobResult]) -> dict[str, Any]:
    done = [r for r in runs if r.ok]
    post = stats([r.post_seconds for r in runs if r.post_status == 202])
    e2e = stats([r.end_to_end_seconds for r in done if r.end_to_end_seconds is not None])
    output = done[-1].output_bytes if done else 0
    floor = ctx.floor_of(body, output)
    return {
        "kind": kind,
        "body_bytes": len(body),
        "events": payloads.event_count(body),
        "runs": len(runs),
        "failures": [r.final_status for r in runs if not r.ok],
        "post_s": post,
        "end_to_end_s": e2e,
        "output_bytes": output,
        "floor": floor,
        "post_x_floor": _ratio(
            post["median"] if post else None, floor["post_s"] if floor else None
        ),
        "end_to_end_x_floor": _ratio(
            e2e["median"] if e2e else None, floor["end_to_end_s"] if floor else None
        ),
    }


def warm_up(ctx: Context, kinds: list[str], *, extra: bool = True) -> None:
    """Wait until a worker answers, then warm both paths (imports, fonts, connections)."""
    body = payloads.sample_body()
    for kind in kinds:
        result = ctx.client().run_job(kind, body, timeout=120)
        if not result.ok:
            raise RuntimeError(f"warm-up {kind} job did not succeed: {result.final_status}")
        for _ in range(ctx.counts.warmup if extra else 0):
            ctx.client().run_job(kind, body, timeout=60)


def latency(ctx: Context, kind: str) -> dict[str, Any]:
    body = payloads.sample_body()
    runs = [ctx.client().run_job(kind, body, timeout=60) for _ in range(ctx.counts.latency_runs)]
    return _summary(ctx, kind, body, runs)


def throughput(ctx: Context, kind: str) -> dict[str, Any]:
    body = payloads.sample_body()
    jobs, concurrency = ctx.counts.throughput_jobs, ctx.counts.concurrency

    def one(_: int) -> JobResult:
        return Client.local(ctx.url).run_job(kind, body, timeout=ctx.counts.timeout)

    before = ctx.meter.snapshot() if ctx.meter else None
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        runs = list(pool.map(one, range(jobs)))
    seconds = time.perf_counter() - start
    completed = sum(r.ok for r in runs)
    costs = ctx.meter.per(before, completed) if ctx.meter and before else None
    result = _summary(ctx, kind, body, runs)
    floor = result["floor"]
    rate = completed / seconds if seconds else 0.0
    result.update(
        jobs=jobs,
        concurrency=concurrency,
        seconds=seconds,
        completed=completed,
        reports_per_s=rate,
        non_2xx=sum(r.non_2xx for r in runs),
        polls=sum(r.polls for r in runs),
        # Time per report against the floor of one job done alone.
        per_report_x_floor=_ratio(1 / rate if rate else None, floor and floor["end_to_end_s"]),
        polls_per_report=sum(r.polls for r in runs) / completed if completed else None,
        cpu_ms_per_report=costs,
        cpu_ceiling_per_s=cpu.ceiling(costs["service"] + costs["client"])[0] if costs else None,
    )
    return result


def requests(ctx: Context, kind: str) -> dict[str, Any]:
    """CPU per single request (one keep-alive connection, one request at a time): the web
    process's cost of a POST and of a status read, the worker's cost of a seed job."""
    if ctx.meter is None:
        return {"skipped": "needs the service's process ids (a managed run, or --api-pid)"}
    count = max(50, ctx.counts.latency_runs * 2)
    return cpu.sequential(ctx.url, kind, count, ctx.meter)


def big(ctx: Context, kind: str, events: int, runs_count: int) -> dict[str, Any]:
    body = payloads.student_body(events)
    runs = []
    peaks: dict[str, list[int]] = {"api": [], "worker": []}
    for _ in range(runs_count):
        with ctx.sampler() as sampler:
            runs.append(ctx.client().run_job(kind, body, timeout=ctx.counts.timeout))
        for name in peaks:
            peak = sampler.peaks.get(name)
            if peak:
                peaks[name].append(peak)
    result = _summary(ctx, kind, body, runs)
    result["api_peak_rss_bytes"] = max(peaks["api"], default=None)
    result["worker_peak_rss_bytes"] = max(peaks["worker"], default=None)
    return result


def klass(ctx: Context, kind: str) -> dict[str, Any]:
    counts = ctx.counts
    body = payloads.class_body(counts.class_students, counts.class_events)
    runs = []
    with ctx.sampler() as sampler:
        for _ in range(counts.class_runs):
            runs.append(
                ctx.client().run_job(kind, body, timeout=counts.timeout, track_progress=True)
            )
    result = _summary(ctx, kind, body, runs)
    seen = sorted({p for r in runs for p in r.progress})
    result.update(
        students=counts.class_students,
        events_each=counts.class_events,
        progress_values=len({done for done, _ in seen}),
        progress_seen=[list(p) for p in seen[:50]],
        api_peak_rss_bytes=sampler.peaks.get("api"),
        worker_peak_rss_bytes=sampler.peaks.get("worker"),
    )
    return result


def huge(ctx: Context, kind: str, body: bytes) -> dict[str, Any]:
    if ctx.restart is not None:
        ctx.restart()
    with ctx.sampler() as sampler:
        run = ctx.client().run_job(kind, body, timeout=ctx.counts.timeout)
    result = _summary(ctx, kind, body, [run])
    result.update(
        fresh_processes=ctx.restart is not None,
        accepted=run.post_status == 202,
        post_status=run.post_status,
        final_status=run.final_status,
        api_peak_rss_bytes=sampler.peaks.get("api"),
        worker_peak_rss_bytes=sampler.peaks.get("worker"),
    )
    return result


def table(ctx: Context, kind: str, body: bytes) -> dict[str, Any]:
    """Scenario 7: a 100 MB ProgSnap2 table (``?input=progsnap2``), from fresh processes:
    converted row by row in the web process, then the same job as any JSON body."""
    if ctx.restart is not None:
        ctx.restart()
    with ctx.sampler() as sampler:
        run = ctx.client().run_job(
            kind,
            body,
            timeout=ctx.counts.timeout,
            query="?input=progsnap2",
            content_type="text/csv",
        )
    return {
        "kind": kind,
        "body_bytes": len(body),
        "accepted": run.post_status == 202,
        "post_status": run.post_status,
        "final_status": run.final_status,
        "post_s": stats([run.post_seconds] if run.post_status == 202 else []),
        "end_to_end_s": stats([run.end_to_end_seconds] if run.end_to_end_seconds else []),
        "api_peak_rss_bytes": sampler.peaks.get("api"),
        "worker_peak_rss_bytes": sampler.peaks.get("worker"),
    }


def slow(ctx: Context, kind: str) -> dict[str, Any]:
    """Scenario 6 (bench/slow.py): slow clients and open long polls beside normal work."""
    from bench import slow as slow_module

    if ctx.database_url is None:
        raise RuntimeError("the slow-client scenario needs a managed run (not --url)")
    body = payloads.sample_body()

    def seed_e2e() -> float:
        result = ctx.client().run_job(kind, body, timeout=60)
        if not result.ok or result.end_to_end_seconds is None:
            raise RuntimeError(f"seed job failed: {result.final_status}")
        return result.end_to_end_seconds

    polls = 200 if ctx.counts == Counts.quick() else 1000
    return slow_module.run(ctx.url, ctx.database_url, seed_e2e, ctx.api.pids, polls)
