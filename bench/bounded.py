"""``python -m bench bounded``: the worst accepted report at each limit (docs/guarantees.md,
"Bounded work").

Each shape is a body built to sit exactly at the default limits (reports/report/limits.py)
where its report costs most. It is checked against those limits, then turned into each
format the way a worker does (decode, build the model, render), each kind in a process of
its own, so that the peak RSS is the job's: it is read from the process's own accounting
(``ru_maxrss``), including the interpreter and the body. Nothing here talks to a service.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.report.limits import DEFAULT_LIMITS, HEAT_MAP_CELLS, QUESTION_COLUMNS

RESULTS = Path(__file__).resolve().parent / "results"
KINDS = ("html", "pdf")
START = dt.datetime(2024, 7, 1, 8, 0, tzinfo=dt.UTC)
L = DEFAULT_LIMITS


def _event(k: int, unit: str | int, kind: str) -> dict[str, Any]:
    moment = START + dt.timedelta(seconds=37 * k)
    return {"type": kind, "created_time": moment.isoformat(), "unit": unit}


def _types(n: int) -> list[str]:
    return [f"type-{t:02d}" for t in range(n)]


def units_per_student() -> list[dict[str, Any]]:
    """One student on the most units a student may have, every unit with every type: the
    widest and longest question table one student can have."""
    types = _types(L.event_types)
    events = [
        _event(k, f"unit-{k // len(types):03d}", types[k % len(types)])
        for k in range(L.units_per_student * len(types))
    ]
    return [{"namespace": "ns", "student_id": "s-0", "events": events}]


def question_cells() -> list[dict[str, Any]]:
    """The most question-table cells a request may have: every type, and as many rows as
    the cells then allow, each student on the most units a student may have."""
    types = _types(L.event_types)
    per_student = L.units_per_student
    students = L.question_cells // (QUESTION_COLUMNS + len(types)) // per_student
    return [
        {
            "namespace": "ns",
            "student_id": f"s-{s:05d}",
            "events": [_event(k, k, types[k % len(types)]) for k in range(per_student)],
        }
        for s in range(students)
    ]


def heat_map() -> list[dict[str, Any]]:
    """The largest heat map drawn: students x units at the budget, every cell filled."""
    units = 200
    students = HEAT_MAP_CELLS // units
    return [
        {
            "namespace": "ns",
            "student_id": f"s-{s:05d}",
            "events": [_event(k, k, "saved_code") for k in range(units)],
        }
        for s in range(students)
    ]


def students() -> list[dict[str, Any]]:
    """The most students, spread over the most units: a grid of 10,000 x 2,000 that the
    report lists by unit instead of drawing."""
    return [
        {
            "namespace": "ns",
            "student_id": f"s-{s:05d}",
            "events": [_event(s, s % L.units, "saved_code")],
        }
        for s in range(L.students)
    ]


SHAPES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "units_per_student": units_per_student,
    "question_cells": question_cells,
    "heat_map": heat_map,
    "students": students,
}


def measure_one(shape: str, kind: str) -> dict[str, Any]:
    """In this process, as a worker's job does it: the body, decoded into columns, the
    model, the report in ``kind``, then the figures as JSON and CSV (the job stores all
    three, reports.jobs.run). The figures, and the limits check's time in the web."""
    import msgspec

    from reports.renderers import render
    from reports.report.analysis import build_report
    from reports.report.contract import decode_students
    from reports.report.events import decode_student_events
    from reports.report.limits import request_shape

    body = msgspec.json.encode(SHAPES[shape]())
    started = time.perf_counter()
    counts = request_shape(decode_students(body), DEFAULT_LIMITS)  # over a limit: raises
    checked = time.perf_counter()
    report = build_report(decode_student_events(body), idle_minutes=30)
    built = time.perf_counter()
    sizes = {name: len(render(report, name).content) for name in (kind, "json", "csv")}
    done = time.perf_counter()
    return {
        "shape": shape,
        "kind": kind,
        "body_bytes": len(body),
        "counts": {**msgspec.to_builtins(counts), "question_cells": counts.question_cells},
        "submit_check_s": round(checked - started, 3),
        "build_s": round(built - checked, 3),
        "render_s": round(done - built, 3),
        "job_s": round(done - checked, 3),
        "output_bytes": sizes,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bounded", description=__doc__)
    parser.add_argument("--shapes", default=",".join(SHAPES), help=",".join(SHAPES))
    parser.add_argument("--kinds", default=",".join(KINDS), help=",".join(KINDS))
    parser.add_argument("--one", nargs=2, metavar=("SHAPE", "KIND"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON file")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(*args.one)))
        return 0
    rows = []
    for shape in args.shapes.split(","):
        for kind in args.kinds.split(","):
            command = [sys.executable, "-m", "bench", "bounded", "--one", shape, kind]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            out = "  ".join(f"{k} {v / 1e6:.2f} MB" for k, v in row["output_bytes"].items())
            print(
                f"{shape:18} {kind:4}  job {row['job_s']:6.2f} s  "
                f"peak {row['peak_rss_mb']:7.1f} MB  {out}"
            )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bounded-{stamp}.json"
    limits = {**msgspec_dict(DEFAULT_LIMITS), "heat_map_cells": HEAT_MAP_CELLS}
    path.write_text(json.dumps({"limits": limits, "rows": rows}, indent=1) + "\n")
    print(f"results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


def msgspec_dict(value: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(value)
