"""Micro-benchmarks of the project's own code, to locate a regression the scenarios show.

``python -m bench micro [--quick]``: validation (``decode_students``), the report model
(``build_report``), HTML rendering and PDF rendering, each on 10k and 100k events; and the
seed's one-event sample built and rendered in process (median of many runs).
``python -m bench micro --seed-only`` runs only the latter.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench import payloads

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-micro-not-secret")
    import django

    django.setup()


def pdf_pages(content: bytes) -> int:
    return len(_PAGE.findall(content))


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median and best seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def run(
    sizes: tuple[int, ...] = (10_000, 100_000), repeat: int = 5, pdf: bool = True
) -> list[dict[str, Any]]:
    """Every micro-benchmark at every size; one dict per (benchmark, size)."""
    from reports.renderers import render
    from reports.report.analysis import build_report
    from reports.report.contract import decode_students

    # One-time costs (font loading, caches) are not what these measure: pay them first.
    warm = build_report(decode_students(payloads.sample_body()), idle_minutes=30.0)
    render(warm, "html")
    if pdf:
        render(warm, "pdf")
    out: list[dict[str, Any]] = []
    for size in sizes:
        body = payloads.student_body(size)
        reps = max(1, repeat if size <= 10_000 else repeat // 2)

        median, best, students = timed(partial(decode_students, body), reps)
        events = sum(len(s.events) for s in students)
        if events != size:
            raise AssertionError(f"decoded {events} events, generated {size}")
        out.append(_row("validate (decode_students)", size, median, best, events, "events/s"))

        median, best, report = timed(partial(build_report, students, idle_minutes=30.0), reps)
        if report.event_count != size:
            raise AssertionError(f"report holds {report.event_count} events, expected {size}")
        out.append(_row("report model (build_report)", size, median, best, size, "events/s"))

        median, best, html = timed(partial(render, report, "html"), reps)
        row = _row("render html", size, median, best, size, "events/s")
        row["output_bytes"] = len(html.content)
        out.append(row)

        if pdf:
            median, best, rendered = timed(partial(render, report, "pdf"), max(1, reps // 2))
            pages = pdf_pages(rendered.content)
            row = _row("render pdf", size, median, best, pages, "pages/s")
            row.update(output_bytes=len(rendered.content), pages=pages)
            row["events_per_s"] = size / median
            out.append(row)
    return out


def seed(repeat: int = 2000) -> list[dict[str, Any]]:
    """The seed sample (one student, one event) built and rendered, each format: median
    wall time, and median CPU time of this process (less disturbed by a busy machine)."""
    from reports.renderers import render
    from reports.report.analysis import build_report
    from reports.report.contract import decode_students

    students = decode_students(payloads.sample_body())
    out = []
    for kind in ("html", "pdf"):
        content = render(build_report(students, idle_minutes=30.0), kind).content  # warm up
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            render(build_report(students, idle_minutes=30.0), kind)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        median = statistics.median(walls)
        row = _row(f"seed build+render {kind}", 1, median, min(walls), 1, "reports/s")
        row.update(output_bytes=len(content), cpu_median_s=statistics.median(cpus))
        out.append(row)
    return out


def _row(name: str, size: int, median: float, best: float, work: int, unit: str) -> dict[str, Any]:
    return {
        "name": name,
        "events": size,
        "median_s": median,
        "best_s": best,
        "rate": work / median if median else None,
        "unit": unit,
    }


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'micro-benchmark':<28} {'events':>8} {'median ms':>10} {'best ms':>9} rate"]
    for r in rows:
        extra = f"  ({r['pages']} pages, {r['events_per_s']:,.0f} events/s)" if "pages" in r else ""
        if "cpu_median_s" in r:
            extra = f"  (CPU median {r['cpu_median_s'] * 1000:.3f} ms, {r['output_bytes']:,} bytes)"
        digits = 3 if r["median_s"] < 0.01 else 1
        lines.append(
            f"{r['name']:<28} {r['events']:>8,} {r['median_s'] * 1000:>10.{digits}f}"
            f" {r['best_s'] * 1000:>9.{digits}f} {r['rate']:>12,.0f} {r['unit']}{extra}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench micro", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--sizes", default="10000,100000", help="comma-separated event counts (10000,100000)"
    )
    parser.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    parser.add_argument(
        "--seed-only", action="store_true", help="only the seed sample's build+render (2,000 runs)"
    )
    args = parser.parse_args(argv)
    setup_django()
    rows = seed(500 if args.quick else 2000)
    if not args.seed_only:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s)
        rows += run(sizes, repeat=2 if args.quick else 5, pdf=not args.no_pdf)
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
