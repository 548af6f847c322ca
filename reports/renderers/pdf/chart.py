"""The timeline chart in the PDF: the same steps as the HTML's SVG, drawn with vector operations."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reports.renderers.formats import fmt_gap, fmt_tick
from reports.renderers.geometry import Scale, chart_marks, chart_scale
from reports.renderers.pdf.fonts import REGULAR
from reports.renderers.pdf.layout import (
    INK,
    LINE,
    MARGIN,
    MUTED,
    NORMAL,
    SHADE,
    WHITE,
    WIDTH,
    Colour,
    Density,
    Layout,
    Op,
    text_width,
)
from reports.renderers.tables import (
    rgb,
    student_type_colours,
    timeline_alt,
    timeline_summary,
)
from reports.report.model import Report, StudentReport
from reports.report.timeline import Timeline

_LEFT, _RIGHT, _TOP_ROOM, _AXIS = 30.0, 22.0, 16.0, 20.0


def chart(
    layout: Layout, report: Report, student: StudentReport, density: Density = NORMAL
) -> None:
    tl = student.timeline
    scale = chart_scale(tl, density.chart, left=MARGIN + _LEFT, width=WIDTH - _LEFT - _RIGHT)
    layout.need(_TOP_ROOM + scale.plot_h + _AXIS + 30)
    top = layout.y - _TOP_ROOM  # y of the plot's top edge; PDF y runs upwards
    colours = [rgb(c) for c in student_type_colours(report, student)]
    layout.open_figure(timeline_alt(report, student))  # the plot and its legend
    ops = layout.ops
    ops += _plot_area(tl, scale, top)
    ops += _question_labels(student, scale, top)
    ops += _ticks(tl, scale, top, report.zone)
    ops += _breaks(tl, scale, top)
    ops += _marks(tl, scale, top, colours)
    layout.y = top - scale.plot_h - _AXIS
    _legend(layout, student, colours)
    layout.close_figure()
    summary = timeline_summary(student, report.idle_minutes, report.zone)
    layout.paragraph(summary.split(" "), " ", size=8, colour=MUTED)


def _plot_area(tl: Timeline, scale: Scale, top: float) -> list[Op]:
    """Shaded active stretches, and a line between questions (when there are few)."""
    bottom = top - scale.plot_h
    ops: list[Op] = [
        ("rect", scale.x(seg.x0), bottom, (seg.x1 - seg.x0) * scale.width, scale.plot_h, SHADE)
        for seg in tl.segments
    ]
    if tl.questions <= 80:
        right = scale.left + scale.width
        for q in range(tl.questions + 1):
            y = top - q * scale.row
            ops.append(("line", scale.left, y, right, y, LINE, 0.4))
    return ops


def _question_labels(student: StudentReport, scale: Scale, top: float) -> list[Op]:
    ops: list[Op] = []
    for q in range(0, scale.questions, scale.label_every):
        alias = student.questions[q].alias
        x = scale.left - 4 - text_width(alias, REGULAR, 6.5)
        ops.append(("text", x, top - scale.middle(q) - 2.4, REGULAR, 6.5, MUTED, alias))
    return ops


def _ticks(tl: Timeline, scale: Scale, top: float, zone: ZoneInfo) -> list[Op]:
    bottom = top - scale.plot_h
    ops: list[Op] = []
    for tick in tl.ticks:
        x = scale.x(tick.x)
        label = fmt_tick(tick.moment, tl, zone)
        ops.append(("line", x, bottom, x, bottom - 3, MUTED, 0.5))
        left = x - text_width(label, REGULAR, 6.5) / 2
        ops.append(("text", left, bottom - 11, REGULAR, 6.5, MUTED, label))
    return ops


def _breaks(tl: Timeline, scale: Scale, top: float) -> list[Op]:
    """Each compressed idle stretch: a white gap with a dashed zigzag, labelled with its length."""
    plot_h, ops = scale.plot_h, list[Op]()
    for brk in tl.breaks:
        x = scale.x(brk.x)
        ops.append(("rect", x - 2.5, top - plot_h - 1, 5, plot_h + 2, WHITE))
        zigzag = [(x - 2, top + 1), (x + 2, top - plot_h / 2), (x - 2, top - plot_h - 1)]
        ops.append(("path", zigzag, MUTED, 0.6, (2, 1.5)))
        if brk.labelled:
            label = fmt_gap(brk.seconds)
            left = x - text_width(label, REGULAR, 6) / 2
            ops.append(("text", left, top + 4, REGULAR, 6, MUTED, label))
    return ops


def _marks(tl: Timeline, scale: Scale, top: float, colours: list[Colour]) -> list[Op]:
    dots, bars = chart_marks(tl, scale)
    r = scale.radius
    return [
        ("bars", [(x, top - y - h, w, h, colours[t]) for x, y, w, h, t in bars]),
        ("dots", [(x, top - y, r, colours[t]) for x, y, t in dots]),
    ]


def _legend(layout: Layout, student: StudentReport, colours: list[Colour]) -> None:
    """A swatch and the type's name, flowing over as many lines as needed."""
    start = x = MARGIN + _LEFT
    layout.y -= 10
    for name, colour in zip(student.event_types, colours, strict=True):
        w = 10 + text_width(name, REGULAR, 7.5) + 12
        if x + w > MARGIN + WIDTH and x > start:
            x = start
            layout.y -= 11
        layout.ops.append(("circle", x + 3, layout.y + 2.6, 3, colour))
        layout.ops.append(("text", x + 9, layout.y, REGULAR, 7.5, INK, name))
        x += w
    layout.y -= 4
