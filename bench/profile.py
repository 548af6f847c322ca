"""Where a web or worker process spends its time: ``python -m bench profile``.

Starts the service as production runs it (fresh database, ``config.serve web`` and
``worker``), drives one kind of request for ``--seconds`` and samples the busy process with
py-spy (``py-spy record``, 250 Hz, idle threads excluded). Prints the functions with the
most time (inclusive) and writes the collapsed stacks (flame-graph input) to
``bench/profiles/<target>.txt``.

    python -m bench profile --target status   # GET of a finished job, one connection
    python -m bench profile --target post     # POST of the seed sample, one connection
    python -m bench profile --target worker   # a pool process running seed jobs
    python -m bench profile --target worker-main   # the Celery worker's main process
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import payloads
from bench.client import Client
from bench.procs import children
from bench.service import Scratch, Service

PROFILES = Path(__file__).resolve().parent / "profiles"


def _load(
    service: Service, target: str, kind: str, warm: threading.Event, stop: threading.Event
) -> None:
    body = payloads.sample_body()
    client = Client(service.base_url)
    done = client.run_job(kind, body, timeout=120)
    assert done.ok, done.final_status
    task_id = client.post_json(f"/assignment/{kind}", body).json()["task_id"]
    for _ in range(200):  # every import and connection made before sampling starts
        client.run_job(kind, body, timeout=60)
    warm.set()
    while stop.is_set() is False:
        if target == "status":
            client.request("GET", f"/assignment/{kind}/{task_id}")
        else:
            client.post_json(f"/assignment/{kind}", body)
    client.close()


def _busiest(pids: list[int]) -> int:
    from bench.cpu import cpu_seconds

    before = {pid: cpu_seconds(pid) for pid in pids}
    time.sleep(1.0)
    return max(pids, key=lambda pid: cpu_seconds(pid) - before[pid])


def summarize(collapsed: Path, top: int = 30) -> list[tuple[str, float]]:
    """Inclusive share of samples per function (a function counted once per stack)."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        for frame in set(stack.split(";")):
            inclusive[frame] += samples
    return [(frame, n / total) for frame, n in inclusive.most_common(top)] if total else []


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench profile", description=__doc__)
    parser.add_argument(
        "--target", choices=["status", "post", "worker", "worker-main"], default="status"
    )
    parser.add_argument("--kind", choices=["html", "pdf"], default="html")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    scratch = Scratch(args.postgres, args.redis)
    scratch.create()
    PROFILES.mkdir(exist_ok=True)
    out = PROFILES / f"{args.target}-{args.kind}.txt"
    stop, warm = threading.Event(), threading.Event()
    try:
        with Service(scratch) as service:
            load_target = "post" if args.target.startswith("worker") else args.target
            loader = threading.Thread(
                target=_load, args=(service, load_target, args.kind, warm, stop)
            )
            loader.start()
            warm.wait(timeout=300)
            parent = service.pid("worker" if args.target.startswith("worker") else "web")
            assert parent is not None
            pid = parent if args.target == "worker-main" else _busiest(children(parent))
            subprocess.run(
                [spy, "record", "--pid", str(pid), "--duration", str(int(args.seconds)),
                 "--rate", "250", "--format", "raw", "--output", str(out), "--nonblocking",
                 "--gil"],
                check=True, capture_output=True,
            )  # fmt: skip
            stop.set()
            loader.join()
    finally:
        stop.set()
        scratch.drop()
    print(f"{args.target} ({args.kind}), pid sampled for {args.seconds:g} s; stacks: {out}")
    for frame, share in summarize(out):
        print(f"  {share * 100:5.1f}%  {frame[:150]}")
    return 0
