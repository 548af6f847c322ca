"""The timeline chart scaled to a renderer's canvas: the same steps for SVG and PDF.

Positions come from ``reports.report.timeline``; this only scales them. Here y runs down from the
plot's top edge (as in SVG); the PDF renderer turns it upwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.renderers.tables import mark_scale, stacked
from reports.report.timeline import Timeline


@dataclass(frozen=True, slots=True)
class ChartSize:
    """A renderer's choice of sizes (its units: SVG user units or PDF points)."""

    row: float  # the tallest a question's row may be
    plot_h: float  # the tallest the plot may be; rows shrink to fit it
    label: float  # a question label's height: rows thinner than this label every k-th
    radius: tuple[float, float]  # a dot's radius: at least, at most
    bar_w: float  # a folded mark's least width


@dataclass(frozen=True, slots=True)
class Scale:
    left: float  # the plot's left edge
    width: float
    row: float  # one question's row
    label_every: int
    radius: float
    bar_w: float
    questions: int

    @property
    def plot_h(self) -> float:
        return self.row * self.questions

    def x(self, fraction: float) -> float:
        return self.left + fraction * self.width

    def middle(self, question: int) -> float:
        """The middle of a question's row, down from the plot's top."""
        return (question + 0.5) * self.row


def chart_scale(timeline: Timeline, size: ChartSize, *, left: float, width: float) -> Scale:
    row = min(size.row, size.plot_h / timeline.questions)
    low, high = size.radius
    return Scale(
        left=left,
        width=width,
        row=row,
        label_every=math.ceil(size.label / row),
        radius=max(low, min(high, row * 0.3)),
        bar_w=max(timeline.bin_width * width * 0.9, size.bar_w),
        questions=timeline.questions,
    )


# Plain tuples, not objects: a chart has up to 600 marks and a class hundreds of charts.
Dot = tuple[float, float, int]  # x, y (down from the plot's top), event type
Bar = tuple[float, float, float, float, int]  # left x, top y (down), width, height, event type


def chart_marks(timeline: Timeline, scale: Scale) -> tuple[list[Dot], list[Bar]]:
    """A dot per single-event mark; a bar per folded mark, stacked by type (bottom up)."""
    largest = timeline.max_events_per_mark
    dots: list[Dot] = []
    bars: list[Bar] = []
    left, width, row, bar_w = scale.left, scale.width, scale.row, scale.bar_w
    for mark in timeline.marks:
        x = left + mark.x * width
        y = (mark.question + 0.5) * row
        if mark.events == 1:
            dots.append((x, y, mark.event_type))
            continue
        height = row * (0.35 + 0.5 * mark_scale(mark.events, largest))
        base = y + height / 2
        for event_type, offset, part in stacked(mark, height):
            bars.append((x - bar_w / 2, base - offset - part, bar_w, part, event_type))
    return dots, bars
