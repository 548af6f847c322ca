"""The timeline chart's data: where every mark, break and tick goes, computed once.

Time runs along x in [0, 1], questions along y (by index). Idle stretches longer than the
idle threshold are compressed to a narrow break that carries the stretch's duration, so a
week holding a few busy hours still reads well. Events that would land on the same spot
are folded into one mark per question and x bin, so the number of marks stays bounded
(at most ``MAX_MARKS``, or one per question when there are more questions than that)
however many events there are. Renderers only scale these numbers to their canvas.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

MAX_MARKS = 600
MAX_BREAKS = 24  # the longest idle stretches are compressed; shorter ones stay to scale
BREAK_SHARE = 0.035  # the width of one break, as a share of the axis
FINEST_BINS = 256  # x resolution of the marks before any folding
TICK_SPACING = 0.14  # minimum distance between two time labels
LABEL_SPACING = 0.09  # minimum distance between two labelled breaks


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time drawn to scale, from x0 to x1."""

    start: datetime
    end: datetime
    x0: float
    x1: float


@dataclass(frozen=True, slots=True)
class Break:
    """A compressed idle stretch, centred on x."""

    x: float
    seconds: float
    labelled: bool = True  # False when a longer stretch nearby already carries a label


@dataclass(frozen=True, slots=True)
class Mark:
    """One drawn mark: ``events`` events of one question around x.

    A mark of one event is drawn as a dot; a mark folding several events as a small bar
    stacked by type (``by_type``), so minority types stay visible.
    """

    x: float
    question: int
    event_type: int  # the most frequent type among its events (ties: the first type)
    events: int
    by_type: tuple[tuple[int, int], ...]  # (type index, events), by type index


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    moment: datetime


@dataclass(frozen=True, slots=True)
class Timeline:
    segments: tuple[Segment, ...]
    breaks: tuple[Break, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]
    questions: int
    bin_width: float  # the x span a mark that folds several events stands for

    @property
    def max_events_per_mark(self) -> int:
        return max((m.events for m in self.marks), default=0)


def build_timeline(
    times: Sequence[datetime],
    secs: Sequence[float],
    event_questions: Sequence[int],
    event_type_ids: Sequence[int],
    *,
    questions: int,
    idle_seconds: float,
) -> Timeline:
    """``times`` sorted, ``secs`` their offsets from the first in seconds; the other two
    are parallel columns (see StudentReport)."""
    n = len(times)

    long_gaps = [(gap, -k) for k in range(n - 1) if (gap := secs[k + 1] - secs[k]) > idle_seconds]
    cut_after = sorted(-k for _, k in heapq.nlargest(MAX_BREAKS, long_gaps))
    starts = [0, *(k + 1 for k in cut_after)]
    ends = [*cut_after, n - 1]

    durations = [secs[e] - secs[s] for s, e in zip(starts, ends, strict=True)]
    # Each segment also gets a little room of its own, so a lone event is not on an edge.
    floor = max(sum(durations), 1.0) / 50
    break_w = min(BREAK_SHARE, 0.25 / len(cut_after)) if cut_after else 0.0
    unit = (1.0 - break_w * len(cut_after)) / sum(d + floor for d in durations)

    xs = [0.0] * n
    segments: list[Segment] = []
    breaks: list[Break] = []
    x = 0.0
    for index, (s, e, d) in enumerate(zip(starts, ends, durations, strict=True)):
        if index:
            breaks.append(Break(x + break_w / 2, secs[s] - secs[s - 1]))
            x += break_w
        width = (d + floor) * unit
        origin = x + floor * unit / 2 - secs[s] * unit
        for k in range(s, e + 1):
            xs[k] = origin + secs[k] * unit
        segments.append(Segment(times[s], times[e], x, x + width))
        x += width

    marks, bin_width = _marks(xs, event_questions, event_type_ids)
    return Timeline(
        segments=tuple(segments),
        breaks=_label_breaks(breaks),
        marks=marks,
        bin_width=bin_width,
        ticks=_ticks(segments, xs, starts, ends, times),
        questions=questions,
    )


def _label_breaks(breaks: list[Break]) -> tuple[Break, ...]:
    """Label the longest stretches first, each one only where there is room for its label."""
    kept: list[float] = []
    for brk in sorted(breaks, key=lambda b: (-b.seconds, b.x)):
        if all(abs(brk.x - x) >= LABEL_SPACING for x in kept):
            kept.append(brk.x)
    chosen = set(kept)
    return tuple(Break(b.x, b.seconds, b.x in chosen) for b in breaks)


def _marks(
    xs: list[float], event_questions: Sequence[int], event_type_ids: Sequence[int]
) -> tuple[tuple[Mark, ...], float]:
    finest = [min(int(x * FINEST_BINS), FINEST_BINS - 1) for x in xs]
    shift = 0
    while True:
        cells = {(q, b >> shift) for q, b in zip(event_questions, finest, strict=True)}
        if len(cells) <= MAX_MARKS or (FINEST_BINS >> shift) <= 1:
            break
        shift += 1
    total: dict[tuple[int, int], int] = {}
    x_sum: dict[tuple[int, int], float] = {}
    by_type: dict[tuple[int, int, int], int] = {}
    for x, q, t, b in zip(xs, event_questions, event_type_ids, finest, strict=True):
        cell = (q, b >> shift)
        total[cell] = total.get(cell, 0) + 1
        x_sum[cell] = x_sum.get(cell, 0.0) + x
        key = (q, b >> shift, t)
        by_type[key] = by_type.get(key, 0) + 1
    mix: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for q, b, t in sorted(by_type):
        mix.setdefault((q, b), []).append((t, by_type[(q, b, t)]))
    marks = []
    for cell in sorted(total):
        types = mix[cell]
        dominant = max(types, key=lambda pair: (pair[1], -pair[0]))[0]
        marks.append(Mark(x_sum[cell] / total[cell], cell[0], dominant, total[cell], tuple(types)))
    return tuple(marks), (1 << shift) / FINEST_BINS


def _ticks(
    segments: list[Segment],
    xs: list[float],
    starts: list[int],
    ends: list[int],
    times: Sequence[datetime],
) -> tuple[Tick, ...]:
    candidates: list[Tick] = []
    for segment, s, e in zip(segments, starts, ends, strict=True):
        candidates.append(Tick(xs[s], times[s]))
        span = xs[e] - xs[s]
        inner = int(span / (TICK_SPACING * 1.5))
        for i in range(1, inner + 1):
            fraction = i / (inner + 1)
            moment = segment.start + (segment.end - segment.start) * fraction
            candidates.append(Tick(xs[s] + span * fraction, moment))
    candidates.append(Tick(xs[-1], times[-1]))
    kept: list[Tick] = []
    for tick in candidates:
        if not kept or tick.x - kept[-1].x >= TICK_SPACING:
            kept.append(tick)
    return tuple(kept)
