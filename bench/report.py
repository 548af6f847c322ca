"""Targets, the printed table and the JSON file."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

MB = 1024 * 1024

# (row label, unit, how to read the measured value, html target, pdf target, lower is better)
# Targets are medians on a 2-core machine with everything co-located (issue #5).
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


def _ms(*path: str) -> Getter:
    read = _get(*path)
    return lambda r: None if (v := read(r)) is None else v * 1000


def _mb(*path: str) -> Getter:
    read = _get(*path)
    return lambda r: None if (v := read(r)) is None else v / MB


def _bool(*path: str) -> Getter:
    read = _get(*path)
    return lambda r: None if (v := read(r)) is None else float(v)


ROWS: list[tuple[str, str, str, Getter, Getter | None, float | None, float | None, bool]] = [
    # label, unit, scenario key, median getter, floor-ratio getter, html, pdf, lower-better
    ("1. seed: POST", "ms", "latency", _ms("post_s", "median"), _get("post_x_floor"),
     3, 3, True),
    ("1. seed: end-to-end", "ms", "latency", _ms("end_to_end_s", "median"),
     _get("end_to_end_x_floor"), 12, 25, True),
    ("2. throughput c=16", "rep/s", "throughput", _get("reports_per_s"),
     _get("per_report_x_floor"), 200, 100, False),
    ("2. throughput non-2xx", "count", "throughput", _get("non_2xx"), None, 0, 0, True),
    ("3a. 10k: POST", "ms", "big_10k", _ms("post_s", "median"), _get("post_x_floor"),
     40, 40, True),
    ("3a. 10k: end-to-end", "ms", "big_10k", _ms("end_to_end_s", "median"),
     _get("end_to_end_x_floor"), 120, 600, True),
    ("3a. 10k: API peak RSS", "MB", "big_10k", _mb("api_peak_rss_bytes"), None, None, None,
     True),
    ("3a. 10k: worker peak RSS", "MB", "big_10k", _mb("worker_peak_rss_bytes"), None, None,
     None, True),
    ("3b. 100k: POST", "ms", "big_100k", _ms("post_s", "median"), _get("post_x_floor"),
     400, 400, True),
    ("3b. 100k: end-to-end", "ms", "big_100k", _ms("end_to_end_s", "median"),
     _get("end_to_end_x_floor"), 1500, 5000, True),
    ("3b. 100k: API peak RSS", "MB", "big_100k", _mb("api_peak_rss_bytes"), None, None, None,
     True),
    ("3b. 100k: worker peak RSS", "MB", "big_100k", _mb("worker_peak_rss_bytes"), None, 300,
     300, True),
    ("4. class 1000x100: end-to-end", "ms", "class", _ms("end_to_end_s", "median"),
     _get("end_to_end_x_floor"), 3000, 15000, True),
    ("4. class: progress values seen", "count", "class", _get("progress_values"), None, None,
     None, False),
    ("5. 55 MB body: accepted", "yes=1", "huge", _bool("accepted"), None, None, None, False),
    ("5. 55 MB body: POST", "ms", "huge", _ms("post_s", "median"), _get("post_x_floor"), None,
     None, True),
    ("5. 55 MB body: API peak RSS", "MB", "huge", _mb("api_peak_rss_bytes"), None, 400, 400,
     True),
    ("5. 55 MB body: end-to-end", "ms", "huge", _ms("end_to_end_s", "median"),
     _get("end_to_end_x_floor"), None, None, True),
    ("5. 55 MB body: worker peak RSS", "MB", "huge", _mb("worker_peak_rss_bytes"), None, None,
     None, True),
]  # fmt: skip


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
    for label, unit, key, read, ratio, html_t, pdf_t, lower in ROWS:
        scenario = results.get("scenarios", {}).get(key)
        if not scenario:
            continue
        line = [label, unit]
        for kind, target in (("html", html_t), ("pdf", pdf_t)):
            measured = scenario.get(kind)
            value = read(measured) if measured else None
            sign = "≤" if lower else "≥"
            line += [
                _fmt(value, unit),
                f"{sign} {_fmt(target, unit)}" if target is not None else "",
                _verdict(value, target, lower),
                _fmt(ratio(measured), "") + "x" if ratio and measured and ratio(measured) else "",
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
