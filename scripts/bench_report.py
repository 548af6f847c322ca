"""Time and memory of one large report: model build + render, in this process.

    SECRET_KEY=x /usr/bin/time -f "wall %e s, max RSS %M KB" \
        .venv/bin/python scripts/bench_report.py pdf 300x100

Shapes: 1x50000 (one student, 50,000 events), 300x100 (300 students, 100 events each),
1x100000. The peak RSS includes building the input.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec

from reports.renderers import render
from reports.report.analysis import build_report
from reports.report.contract import decode_students

SHAPES = {"1x50000": (1, 50_000), "300x100": (300, 100), "1x100000": (1, 100_000)}
TYPES = ["saved_code", "run", "submission", "hint"]


def body(students: int, events: int) -> bytes:
    t0 = datetime(2024, 7, 1, tzinfo=UTC)
    return msgspec.json.encode(
        [
            {
                "namespace": "ns",
                "student_id": f"student-{s}",
                "events": [
                    {
                        "type": TYPES[k % 4],
                        # 45 s apart, with a 2 h pause after every 500 events
                        "created_time": (t0 + timedelta(seconds=k * 45 + k // 500 * 7200)),
                        "unit": (k * 7 + s) % 23,
                    }
                    for k in range(events)
                ],
            }
            for s in range(students)
        ]
    )


def main(kind: str, shape: str) -> None:
    students = decode_students(body(*SHAPES[shape]))
    start = time.perf_counter()
    report = build_report(students, idle_minutes=30)
    built = time.perf_counter()
    content = render(report, kind).content
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{shape} {kind}: model {built - start:.2f} s, render {done - built:.2f} s, "
        f"total {done - start:.2f} s, {len(content) / 1e6:.1f} MB, peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
