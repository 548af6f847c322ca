"""Targets, the printed table and the JSON file."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1024 * 1024

Getter = Callable[[dict[str, Any]], float | None]


def _get(*path: str) -> Getter:
    def read(result: dict[str, Any]) -> float | None:
        value: Any = result
        for key in path:
            if not isinstance(value, dict) or value.get(key) is None:
                return None
            value = value[key]
        return float(value)

    return read


def _scaled(factor: float, *path: str) -> Getter:
    read = _get(*path)
    return lambda r: None if (v := read(r)) is None else v * factor


def _p95(key: str) -> Getter:
    """The p95 in ms, when there were enough runs for it to differ from the median."""
    p95, runs = _scaled(1000, key, "p95"), _get(key, "n")
    return lambda r: p95(r) if (runs(r) or 0) >= 5 else None


@dataclass(frozen=True)
class Row:
    label: str
    unit: str
    scenario: str  # key in results["scenarios"]
    value: Getter  # the median (or the single figure)
    html: float | None = None  # target; medians on a 2-core machine, everything co-located
    pdf: float | None = None
    lower_is_better: bool = True
    p95: Getter | None = None
    floor_ratio: Getter | None = None


def _ratio_of(top: tuple[str, ...], bottom: tuple[str, ...]) -> Getter:
    def read(result: dict[str, Any]) -> float | None:
        a, b = _get(*top)(result), _get(*bottom)(result)
        return a / b if a is not None and b else None

    return read


def _timing(label: str, scenario: str, what: str, html: float | None, pdf: float | None) -> Row:
    """A time in ms: median, p95 and the ratio to the floor of ``what`` (post or e2e)."""
    key = "post_s" if what == "post" else "end_to_end_s"
    ratio = "post_x_floor" if what == "post" else "end_to_end_x_floor"
    return Row(
        label, "ms", scenario, _scaled(1000, key, "median"), html, pdf,
        p95=_p95(key), floor_ratio=_get(ratio),
    )  # fmt: skip


def _rss(label: str, scenario: str, role: str, target: float | None = None) -> Row:
    return Row(label, "MB", scenario, _scaled(1 / MB, f"{role}_peak_rss_bytes"), target, target)


def _cpu(
    label: str, scenario: str, *path: str, html: float | None = None, pdf: float | None = None
) -> Row:
    return Row(label, "ms CPU", scenario, _get(*path), html, pdf)


# The targets of issues #5, #10 and #19 (medians; 2 cores, everything co-located, 5 ms
# polling).
ROWS: list[Row] = [
    _timing("1. seed: POST", "latency", "post", 2, 2),
    _timing("1. seed: end-to-end", "latency", "e2e", 10, 10),
    _cpu("1b. web CPU: POST (one at a time)", "requests", "post", "web", html=1.5, pdf=1.5),
    _cpu("1b. web CPU: status read", "requests", "status_read", "web", html=1.0, pdf=1.0),
    _cpu("1b. worker CPU per seed job", "requests", "worker_job_ms"),
    _cpu("1b. ... beyond the render", "requests", "worker_beyond_render_ms", html=1.5, pdf=1.5),
    _cpu("1b. ... worker main process", "requests", "job", "worker main"),
    _cpu("1b. ... worker pool process", "requests", "job", "worker pool"),
    Row("1c. seed build+render in process", "ms CPU", "render",
        _scaled(1000, "cpu_median_s"), None, 1.5),
    Row("2. throughput c=16", "rep/s", "throughput", _get("reports_per_s"), 240, 230,
        lower_is_better=False, floor_ratio=_get("per_report_x_floor")),
    Row("2. throughput: non-2xx", "count", "throughput", _get("non_2xx"), 0, 0),
    Row("2. throughput: job end-to-end", "ms", "throughput",
        _scaled(1000, "end_to_end_s", "median"), p95=_p95("end_to_end_s")),
    Row("2. status requests per report", "count", "throughput", _get("polls_per_report"), 2, 2),
    _cpu("2. CPU per report, service", "throughput", "cpu_ms_per_report", "service",
         html=7, pdf=8),
    _cpu("2. ... web", "throughput", "cpu_ms_per_report", "web"),
    _cpu("2. ... worker main process", "throughput", "cpu_ms_per_report", "worker main"),
    _cpu("2. ... worker pool", "throughput", "cpu_ms_per_report", "worker pool"),
    _cpu("2. ... postgres", "throughput", "cpu_ms_per_report", "postgres"),
    _cpu("2. ... redis", "throughput", "cpu_ms_per_report", "redis"),
    _cpu("2. ... the benchmark's client", "throughput", "cpu_ms_per_report", "client"),
    Row("2. CPU ceiling (cores / CPU per report)", "rep/s", "throughput",
        _get("cpu_ceiling_per_s"), lower_is_better=False),
    _timing("3a. 10k: POST", "big_10k", "post", 40, 40),
    _timing("3a. 10k: end-to-end", "big_10k", "e2e", 120, 600),
    _rss("3a. 10k: API peak RSS", "big_10k", "api"),
    _rss("3a. 10k: worker peak RSS", "big_10k", "worker"),
    _timing("3b. 100k: POST", "big_100k", "post", 400, 400),
    _timing("3b. 100k: end-to-end", "big_100k", "e2e", 1500, 5000),
    _rss("3b. 100k: API peak RSS", "big_100k", "api"),
    _rss("3b. 100k: worker peak RSS", "big_100k", "worker", 300),
    _timing("4. class 1000x100: end-to-end", "class", "e2e", 3000, 15000),
    Row("4. class: progress values seen", "count", "class", _get("progress_values"),
        lower_is_better=False),
    _rss("4. class: worker peak RSS", "class", "worker"),
    Row("5. 55 MB body: accepted", "yes=1", "huge", _get("accepted"), lower_is_better=False),
    _timing("5. 55 MB body: POST", "huge", "post", None, None),
    _rss("5. 55 MB body: API peak RSS", "huge", "api", 400),
    _timing("5. 55 MB body: end-to-end", "huge", "e2e", None, None),
    _rss("5. 55 MB body: worker peak RSS", "huge", "worker", 300),
    Row("7. 100 MB ProgSnap2 table: accepted", "yes=1", "table", _get("accepted"),
        lower_is_better=False),
    _timing("7. 100 MB table: POST (converted)", "table", "post", None, None),
    _rss("7. 100 MB table: API peak RSS", "table", "api"),
    _timing("7. 100 MB table: end-to-end", "table", "e2e", None, None),
    _rss("7. 100 MB table: worker peak RSS", "table", "worker"),
    Row("6. /healthz p99, undisturbed", "ms", "slow", _get("undisturbed", "p99_ms")),
    Row("6. /healthz p99, 200 slow sockets + 100 polls open", "ms", "slow",
        _get("disturbed", "p99_ms"), 100),
    Row("6. seed end-to-end, undisturbed", "ms", "slow", _get("undisturbed", "seed_e2e_ms")),
    Row("6. seed end-to-end, disturbed / undisturbed", "x", "slow", _ratio_of(
        ("disturbed", "seed_e2e_ms"), ("undisturbed", "seed_e2e_ms")), 2),
    Row("6. long polls held at once per web process", "count", "slow",
        _get("capacity", "held_per_process"), 1000, lower_is_better=False),
    Row("6. ... web RSS per held poll", "KB", "slow", _get("capacity", "rss_growth_per_poll_kb")),
    Row("6. ... /healthz p99 while they are held", "ms", "slow",
        _get("capacity", "healthz_p99_ms_while_held"), 100),
]  # fmt: skip


def derive(results: dict[str, Any]) -> None:
    """Figures computed from two scenarios: the worker's CPU per job beyond the render."""
    requests = results.get("scenarios", {}).get("requests", {})
    render = results.get("scenarios", {}).get("render", {})
    for kind, measured in requests.items():
        rendered = (render.get(kind) or {}).get("cpu_median_s")
        if measured.get("worker_job_ms") is not None and rendered is not None:
            measured["worker_beyond_render_ms"] = measured["worker_job_ms"] - rendered * 1000


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "yes=1":
        return "yes" if value else "NO"
    if abs(value) >= 100 or unit == "count":
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _verdict(value: float | None, target: float | None, lower: bool) -> str:
    if value is None or target is None:
        return ""
    return "ok" if (value <= target if lower else value >= target) else "MISS"


def rows(results: dict[str, Any]) -> list[list[str]]:
    table = []
    for row in ROWS:
        scenario = results.get("scenarios", {}).get(row.scenario)
        if not scenario:
            continue
        line = [row.label, row.unit]
        for kind, target in (("html", row.html), ("pdf", row.pdf)):
            measured = scenario.get(kind) or {}
            value = row.value(measured) if measured else None
            cell = _fmt(value, row.unit)
            p95 = row.p95(measured) if row.p95 and measured else None
            if p95 is not None:
                cell += f" (p95 {_fmt(p95)})"
            ratio = row.floor_ratio(measured) if row.floor_ratio and measured else None
            sign = "≤" if row.lower_is_better else "≥"
            line += [
                cell,
                f"{sign} {_fmt(target, row.unit)}" if target is not None else "",
                _verdict(value, target, row.lower_is_better),
                f"{_fmt(ratio)}x" if ratio else "",
            ]
        table.append(line)
    return table


HEADER = ["scenario", "unit", "html", "target", "", "x floor", "pdf", "target", "", "x floor"]


def format_table(table: list[list[str]]) -> str:
    everything = [HEADER, *table]
    widths = [max(len(row[i]) for row in everything) for i in range(len(HEADER))]
    numeric = {2, 3, 5, 6, 7, 9}

    def line(row: list[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(HEADER))
    return "\n".join([line(HEADER), rule, *(line(r) for r in table)])


def floor_table(results: dict[str, Any]) -> str:
    """The floor's parts per scenario, in ms."""
    lines = [
        "floor (ms): parse + INSERT/COMMIT = POST floor; + Redis round trip + write output"
        " = end-to-end floor"
    ]
    for key, scenario in results.get("scenarios", {}).items():
        for kind in ("html", "pdf"):
            floor = (scenario.get(kind) or {}).get("floor")
            if not floor:
                continue
            lines.append(
                f"  {key:<11} {kind:<4} parse {floor['parse_s'] * 1000:8.3f} ({floor['parser']})"
                f"  insert {floor['insert_commit_s'] * 1000:7.2f}"
                f"  redis {floor['redis_roundtrip_s'] * 1000:5.3f}"
                f"  write {floor['write_output_s'] * 1000:6.3f}"
                f"  = post {floor['post_s'] * 1000:8.2f} / e2e {floor['end_to_end_s'] * 1000:8.2f}"
            )
    return "\n".join(lines)


def write_json(results: dict[str, Any], directory: Path, stamp: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path
