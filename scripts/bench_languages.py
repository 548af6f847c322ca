"""Build + render in one language, in this process: the seed sample, one student with
10,000 events and a class of 3 x 3,000 (docs/performance.md, "The reports' languages").

    .venv/bin/python scripts/bench_languages.py en 50

Prints the median and best of ``runs`` (500 for the seed) per shape and format. Compare
a change by running this on both checkouts alternately, several times each.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import payloads
from reports.renderers import render
from reports.report.analysis import build_report
from reports.report.contract import StudentIn, decode_students


def main(language: str = "en", runs: int = 50) -> None:
    shapes = [
        ("seed", payloads.sample_body(), 500),
        ("1x10000", payloads.student_body(10_000), runs),
        ("3x3000", payloads.class_body(3, 3000), runs),
    ]
    for name, body, repeat in shapes:
        students = decode_students(body)
        for kind in ("html", "pdf", "csv"):

            def once(kind: str = kind, students: list[StudentIn] = students) -> None:
                report = build_report(students, idle_minutes=30.0)
                if language != "en":  # the seed's English reports stay as they were built
                    report = dataclasses.replace(report, language=language)
                render(report, kind)

            once()  # fonts, catalogs and caches are not what this measures
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                once()
                times.append(time.perf_counter() - start)
            print(
                f"{language} {name:8s} {kind:4s} median {statistics.median(times) * 1e3:8.3f} ms"
                f"  best {min(times) * 1e3:8.3f} ms (n={repeat})",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "en", int(sys.argv[2]) if len(sys.argv) > 2 else 50)
