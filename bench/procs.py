"""Memory of process trees from /proc: peak RSS without psutil.

Two ways, combined: the kernel's own peak (VmHWM), reset before a scenario by writing 5
to /proc/<pid>/clear_refs (Linux 4.0+, needs the same user), and a sampler thread that
reads VmRSS of every process in the tree (it also sees children started meanwhile).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def children(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def status_kb(pid: int, key: str) -> int | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def reset_peak(pid: int) -> bool:
    try:
        with open(PROC / str(pid) / "clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


class TreePeak:
    """Peak RSS (bytes) of the children of one parent: gunicorn's workers, Celery's pool."""

    def __init__(self, parent: int | None) -> None:
        self.parent = parent
        self.sampled = 0
        self.hwm_valid = False

    def pids(self) -> list[int]:
        return children(self.parent) if self.parent else []

    def reset(self) -> None:
        self.sampled = 0
        pids = self.pids()
        self.hwm_valid = bool(pids) and all(reset_peak(p) for p in pids)

    def sample(self) -> None:
        for pid in self.pids():
            rss = status_kb(pid, "VmRSS")
            if rss is not None:
                self.sampled = max(self.sampled, rss * 1024)

    def peak(self) -> int | None:
        if not self.parent:
            return None
        best = self.sampled
        if self.hwm_valid:
            for pid in self.pids():
                hwm = status_kb(pid, "VmHWM")
                if hwm is not None:
                    best = max(best, hwm * 1024)
        return best or None


class PeakSampler:
    """Resets and samples several TreePeaks in a background thread for a ``with`` block."""

    def __init__(self, trees: dict[str, TreePeak], interval: float = 0.05) -> None:
        self.trees = trees
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peaks: dict[str, int | None] = {}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for tree in self.trees.values():
                tree.sample()

    def __enter__(self) -> PeakSampler:
        for tree in self.trees.values():
            tree.reset()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for name, tree in self.trees.items():
            tree.sample()
            self.peaks[name] = tree.peak()


def cpu_count() -> dict[str, int | None]:
    return {
        "logical": os.cpu_count(),
        "available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
