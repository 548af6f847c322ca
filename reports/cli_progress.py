"""The progress line that ``report-task submit --wait`` shows while a job runs."""

from __future__ import annotations

import sys


class ProgressBar:
    """One self-rewriting line on stderr (plain lines when stderr is not a terminal)."""

    WIDTH = 30

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = ""
        self.total = 0

    def show(self, state: str, progress: dict[str, int] | None) -> None:
        if progress and progress.get("total"):
            self.total = progress["total"]
            done = progress["done"]
            filled = round(self.WIDTH * done / self.total)
            self._line(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total} {state}")
        else:
            self._line(f"[{'.' * self.WIDTH}] {state}")

    def done(self, state: str) -> None:
        if state == "SUCCESS":
            count = f" {self.total}/{self.total}" if self.total else ""
            self._line(f"[{'#' * self.WIDTH}]{count} {state}")
        else:
            self._line(f"[{'.' * self.WIDTH}] {state}")
        if self.enabled and self.tty:
            print(file=sys.stderr)

    def _line(self, line: str) -> None:
        if not self.enabled or line == self.last:
            return
        self.last = line
        if self.tty:
            print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)
