"""Scenario 6, slow clients and waiting polls (issue 19): what they cost the others.

1. Undisturbed: ``/healthz`` times (100 requests, each on a new connection) and the seed
   job's end-to-end (median of 20).
2. Disturbed: 200 sockets that send a request's first line and then one header line
   every 2 s, and 100 ``?wait=30`` long polls on jobs that cannot finish (rows inserted as
   PENDING and never published), all open; then the same two measurements.
3. Capacity: ``polls_per_process`` times the web processes ``?wait=30`` polls at once on such
   jobs; once every poll has been read (the web processes idle), how many are held, the
   web processes' RSS growth per held poll and ``/healthz`` meanwhile. Then the jobs are
   finished (status and NOTIFY, as a worker does) and the time until every poll is
   answered is measured.

Managed runs only (it needs the service's database); the client side is one asyncio loop.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import psycopg

from bench.cpu import cpu_seconds
from bench.procs import status_kb

CHANNEL = "report_jobs"  # reports.jobs.states.JOB_CHANNEL


def pending_jobs(database_url: str, count: int) -> list[str]:
    """``count`` jobs that cannot finish unless finished by ``finish_jobs``: PENDING rows,
    never published (as if made by another web process). tests/test_front.py uses them too."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.cursor().executemany(
            "INSERT INTO reports_reportjob (id, kind, status, message, attempts, crashes,"
            " fence, worker, student_count, event_count, idle_minutes, progress_done,"
            " created_at, owner, body_sha256, has_callback, timezone) VALUES"
            " (%s, 'html', 'PENDING', '', 0, 0, 0, '', 1, 1, 30, 0, now(), '', '', false,"
            " 'UTC')",
            [(i,) for i in ids],
        )
    return ids


def finish_jobs(
    database_url: str, ids: list[str], message: str = "finished by the benchmark"
) -> None:
    """What a worker's last step does: FAILURE with ``message``, and the NOTIFY, committed."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "WITH done AS (UPDATE reports_reportjob SET status = 'FAILURE',"
            " message = %s, finished_at = now()"
            " WHERE id = ANY(%s::uuid[]) RETURNING id)"
            " SELECT pg_notify(%s, id::text) FROM done",
            [message, ids, CHANNEL],
        )


async def _get(host: str, port: int, path: str) -> tuple[int, float]:
    """One GET on a new connection: (status, seconds)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        await reader.read()  # to the close
        return int(head.split(b" ", 2)[1]), time.perf_counter() - started
    finally:
        writer.close()


async def _slow_sockets(host: str, port: int, count: int, stop: asyncio.Event) -> None:
    writers = []
    try:
        for _ in range(count):
            _, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n".encode())
            writers.append(writer)
        n = 0
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 2.0)
            except TimeoutError:
                n += 1
                for writer in writers:
                    if not writer.is_closing():
                        writer.write(f"X-Slow-{n}: 1\r\n".encode())
    finally:
        for writer in writers:
            writer.close()


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _health(host: str, port: int, count: int) -> dict[str, float]:
    times = []
    for _ in range(count):
        code, seconds = await _get(host, port, "/healthz")
        if code == 200:
            times.append(seconds)
    return {
        "ok": len(times),
        "median_ms": statistics.median(times) * 1000,
        "p99_ms": _p(times, 0.99) * 1000,
    }


async def _settled(pids: Callable[[], list[int]], timeout: float) -> float:
    """Seconds until the processes used under 5% of a core over half a second."""
    started = time.perf_counter()
    before = _cpu(pids())
    while time.perf_counter() - started < timeout:
        await asyncio.sleep(0.5)
        now = _cpu(pids())
        if now - before < 0.025:
            break
        before = now
    return time.perf_counter() - started


def _cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(p) for p in pids)


def _rss(pids: list[int]) -> int:
    return sum((status_kb(p, "VmRSS") or 0) * 1024 for p in pids)


async def _scenario(
    url: str,
    database_url: str,
    seed_e2e: Callable[[], float],
    web_pids: Callable[[], list[int]],
    polls_per_process: int,
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()

    async def seed_runs(n: int) -> float:
        runs = [await loop.run_in_executor(None, seed_e2e) for _ in range(n)]
        return statistics.median(runs) * 1000

    result: dict[str, Any] = {"undisturbed": await _health(host, port, 100)}
    result["undisturbed"]["seed_e2e_ms"] = await seed_runs(20)

    jobs = await loop.run_in_executor(None, pending_jobs, database_url, 100)
    polls = [asyncio.ensure_future(_get(host, port, f"/assignment/html/{j}?wait=30")) for j in jobs]
    stop = asyncio.Event()
    slow = asyncio.ensure_future(_slow_sockets(host, port, 200, stop))
    await asyncio.sleep(1.0)
    disturbed = await _health(host, port, 100)
    disturbed["seed_e2e_ms"] = await seed_runs(10)
    disturbed["polls_still_open"] = sum(not p.done() for p in polls)
    result["disturbed"] = disturbed
    stop.set()
    await slow
    await loop.run_in_executor(None, finish_jobs, database_url, jobs)
    answered = await asyncio.gather(*polls)
    result["disturbed"]["polls_answered_200"] = sum(code == 200 for code, _ in answered)

    processes = max(1, len(web_pids()))
    total = polls_per_process * processes
    jobs = await loop.run_in_executor(None, pending_jobs, database_url, total)
    before = _rss(web_pids())
    polls = [asyncio.ensure_future(_get(host, port, f"/assignment/html/{j}?wait=30")) for j in jobs]
    # Until every poll has been read once and is only waiting: the web processes go idle.
    settled = await _settled(web_pids, timeout=20.0)
    held = sum(not p.done() for p in polls)
    grown = _rss(web_pids()) - before
    health = await _health(host, port, 20)
    finished = time.perf_counter()
    await loop.run_in_executor(None, finish_jobs, database_url, jobs)
    outcomes = await asyncio.gather(*polls, return_exceptions=True)
    result["capacity"] = {
        "settled_after_s": settled,
        "web_processes": processes,
        "polls_opened": total,
        "polls_held": held,
        "held_per_process": held / processes,
        "rss_growth_per_poll_kb": grown / max(held, 1) / 1024,
        "healthz_p99_ms_while_held": health["p99_ms"],
        "answered_200": sum(1 for a in outcomes if isinstance(a, tuple) and a[0] == 200),
        "all_answered_s_after_finish": time.perf_counter() - finished,
    }
    return result


def run(
    url: str,
    database_url: str,
    seed_e2e: Callable[[], float],
    web_pids: Callable[[], list[int]],
    polls_per_process: int = 1000,
) -> dict[str, Any]:
    return asyncio.run(_scenario(url, database_url, seed_e2e, web_pids, polls_per_process))
