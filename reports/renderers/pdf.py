"""The PDF report, drawn with ReportLab's canvas and a Unicode TrueType font (DejaVu Sans).

Layout happens first, into pages of drawing operations; the pages are then drawn with
their running footer ("page n of m" needs the page count). Text is wrapped by measuring
each distinct word once, so 100,000 events flow over as many pages as they need.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from reports.analysis import ARROW, Report, StudentReport
from reports.renderers.tables import (
    class_grids,
    class_table,
    fmt_gap,
    fmt_tick,
    mark_scale,
    question_table,
    report_summary,
    rgb,
    stacked,
    student_facts,
    student_type_colours,
    timeline_summary,
    visit_path,
)

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
BOTTOM = MARGIN + 8 * mm  # room for the footer
WIDTH = PAGE_W - 2 * MARGIN
INK, MUTED, LINE, SHADE = (
    (0.11, 0.12, 0.14),
    (0.34, 0.38, 0.42),
    (0.8, 0.84, 0.87),
    (0.96, 0.97, 0.98),
)


@cache
def _register_fonts() -> None:
    # Flate alone: the ASCII85 layer ReportLab adds by default makes streams 25% bigger
    # and costs time; nothing else in this process writes PDFs with ReportLab.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


@cache
def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


Op = tuple
# ("text", x, y, font, size, color, s)      ("vtext", ...same, drawn upwards)
# ("line", x1, y1, x2, y2[, color, width])  ("rect", x, y, w, h, fill)
# ("circle", x, y, r, fill)                 ("path", [(x, y), ...], color, width, dash)
# ("dots", [(x, y, r, color), ...]): chart marks, one round-capped stroke each
# ("texts", font, size, color, [(x, y, s), ...]): a table row, in one text object
# ("bars", [(x, y, w, h, color), ...]): chart marks that fold several events


@dataclass
class _Page:
    footer: str  # "Student ID: ..." or "Class overview"
    ops: list[Op] = field(default_factory=list)


class _Layout:
    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.y = 0.0
        self.footer = ""

    def new_page(self) -> None:
        self.pages.append(_Page(self.footer))
        self.y = PAGE_H - MARGIN

    def need(self, height: float) -> None:
        if not self.pages or self.y - height < BOTTOM:
            self.new_page()

    def text(
        self,
        x: float,
        s: str,
        font: str = REGULAR,
        size: float = 9.5,
        color: tuple[float, float, float] = INK,
    ) -> None:
        self.pages[-1].ops.append(("text", x, self.y, font, size, color, s))

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.pages[-1].ops.append(("line", x1, y1, x2, y2))

    def rect(
        self, x: float, y: float, w: float, h: float, fill: tuple[float, float, float]
    ) -> None:
        self.pages[-1].ops.append(("rect", x, y, w, h, fill))

    def heading(self, s: str, size: float = 14) -> None:
        self.need(size * 2.2)
        self.y -= size * 1.4
        for line in wrap_words(s.split(" "), " ", BOLD, size, WIDTH):
            self.text(MARGIN, line, BOLD, size)
            self.y -= size * 1.3
        self.y -= size * 0.2

    def paragraph(
        self,
        words: list[str],
        sep: str,
        font: str = REGULAR,
        size: float = 9.5,
        color: tuple[float, float, float] = INK,
    ) -> None:
        leading = size * 1.35
        for line in wrap_words(words, sep, font, size, WIDTH):
            self.need(leading)
            self.y -= leading
            self.text(MARGIN, line, font, size, color)
        self.y -= leading * 0.4


def wrap_words(words: list[str], sep: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line filling; a separator that ends a line stays on that line (trimmed)."""
    sep_w = _width(sep, font, size)
    width -= _width(sep.rstrip(), font, size)  # room for a separator ending the line
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in words:
        w = _width(word, font, size)
        if current and used + sep_w + w > width:
            lines.append(sep.join(current) + sep.rstrip())
            current, used = [], 0.0
        if w > width:  # a single word wider than the line: cut it by characters
            for piece in _cut(word, font, size, width):
                lines.append(piece)
            continue
        used += (sep_w if current else 0.0) + w
        current.append(word)
    if current:
        lines.append(sep.join(current))
    return lines


def _cut(word: str, font: str, size: float, width: float) -> list[str]:
    pieces, start = [], 0
    for end in range(1, len(word) + 1):
        if pdfmetrics.stringWidth(word[start:end], font, size) > width and end - 1 > start:
            pieces.append(word[start : end - 1])
            start = end - 1
    pieces.append(word[start:])
    return pieces


def _column_widths(
    header: list[str], rows: list[list[str]], size: float, rotate: bool
) -> tuple[list[float], bool] | None:
    """Widths that fit WIDTH and whether every cell fits on one line; None if they cannot.

    Headers wrap at word boundaries (or are drawn upwards when ``rotate``); cells wrap at
    spaces, so only a word longer than the column is ever cut.
    """
    pad = 3.0
    natural, least = [], []
    for c, title in enumerate(header):
        cells = [r[c] for r in rows]
        cell_w = max([_width(v, REGULAR, size) for v in cells], default=0.0)
        word_w = max([_width(w, REGULAR, size) for v in cells for w in v.split(" ")], default=0.0)
        if rotate:
            head_w = head_least = size * 1.3
        else:
            head_w = _width(title, BOLD, size)
            head_least = max(_width(w, BOLD, size) for w in title.split(" "))
        natural.append(max(cell_w, head_w) + 2 * pad)
        # A long word (a unit name) may be cut, but the column never goes below ~8 em.
        least.append(max(min(word_w, size * 8), head_least) + 2 * pad)
    if sum(least) > WIDTH:
        return None
    spare = WIDTH - sum(least)
    want = sum(n - m for n, m in zip(natural, least, strict=True))
    if want <= spare:
        return natural, True
    return [m + (n - m) * spare / want for n, m in zip(natural, least, strict=True)], False


def _table(
    layout: _Layout, header: list[str], rows: list[list[str]], numeric: frozenset[int]
) -> None:
    """A table that fits the page width; ``numeric`` columns are right-aligned."""
    rotate, size = False, 8.0
    # Prefer one line per cell at a smaller font, then wrapped headers, then upright ones.
    tries = [(False, 8.0, True), (False, 7.0, True), (False, 7.0, False), (False, 6.0, False)]
    tries += [(True, 7.0, False), (True, 6.0, False), (True, 5.0, False)]
    for rotate, size, unwrapped in tries:
        fitted = _column_widths(header, rows, size, rotate)
        if fitted is not None and (fitted[1] or not unwrapped):
            widths = fitted[0]
            break
    else:  # hundreds of columns: share the width, cutting whatever must be cut
        natural = [size * 1.3 + 6] * len(header)
        widths = [w * WIDTH / sum(natural) for w in natural]
    pad, leading = 3.0, size * 1.3
    head_h = max(_width(h, BOLD, size) for h in header) + 2 * pad if rotate else 0.0

    def draw_row(cells: list[str], font: str, shade: bool) -> None:
        is_header = font == BOLD
        if is_header and rotate:
            wrapped = [[cell] for cell in cells]
            height = head_h
        else:
            wrapped = [
                wrap_words(cell.split(" "), " ", font, size, max(widths[c] - 2 * pad, size))
                if _width(cell, font, size) > widths[c] - 2 * pad
                else [cell]
                for c, cell in enumerate(cells)
            ]
            height = max(len(w) for w in wrapped) * leading + 2 * pad
        if layout.y - height < BOTTOM:
            layout.new_page()
            if not is_header:
                draw_row(header, BOLD, True)
        top = layout.y
        if shade:
            layout.rect(MARGIN, top - height, sum(widths), height, SHADE)
        x = MARGIN
        texts = []
        for c, lines in enumerate(wrapped):
            if is_header and rotate:
                layout.pages[-1].ops.append(
                    (
                        "vtext",
                        x + widths[c] / 2 + size * 0.35,
                        top - height + pad,
                        font,
                        size,
                        INK,
                        lines[0],
                    )
                )
                x += widths[c]
                continue
            y = top - pad
            for line in lines:
                y -= leading
                if c in numeric and not is_header:
                    left = x + widths[c] - pad - _width(line, font, size)
                else:
                    left = x + pad
                texts.append((left, y + size * 0.25, line))
            x += widths[c]
        if texts:
            layout.pages[-1].ops.append(("texts", font, size, INK, texts))
        layout.line(MARGIN, top - height, MARGIN + sum(widths), top - height)
        layout.y = top - height

    layout.need(leading * 3 + head_h)
    layout.y -= 4
    draw_row(header, BOLD, True)
    for row in rows:
        draw_row(row, REGULAR, False)
    layout.y -= 8


def _chart(layout: _Layout, report: Report, student: StudentReport) -> None:
    """The timeline: the same picture as the HTML's SVG, drawn with vector operations."""
    tl = student.timeline
    nq = tl.questions
    left, top_room, axis = 30.0, 16.0, 20.0
    plot_w = WIDTH - left - 22
    row = min(11.0, 200.0 / nq)
    plot_h = row * nq
    layout.need(top_room + plot_h + axis + 30)
    ops = layout.pages[-1].ops
    top = layout.y - top_room
    bottom = top - plot_h
    x0 = MARGIN + left
    for seg in tl.segments:
        ops.append(
            ("rect", x0 + seg.x0 * plot_w, bottom, (seg.x1 - seg.x0) * plot_w, plot_h, SHADE)
        )
    if nq <= 80:
        for q in range(nq + 1):
            y = top - q * row
            ops.append(("line", x0, y, x0 + plot_w, y, LINE, 0.4))
    label_every = math.ceil(7.5 / row)
    for q in range(0, nq, label_every):
        alias = student.questions[q].alias
        y = top - (q + 0.5) * row - 2.4
        ops.append(("text", x0 - 4 - _width(alias, REGULAR, 6.5), y, REGULAR, 6.5, MUTED, alias))
    for tick in tl.ticks:
        x = x0 + tick.x * plot_w
        label = fmt_tick(tick.moment, tl)
        ops.append(("line", x, bottom, x, bottom - 3, MUTED, 0.5))
        ops.append(
            ("text", x - _width(label, REGULAR, 6.5) / 2, bottom - 11, REGULAR, 6.5, MUTED, label)
        )
    for brk in tl.breaks:
        x = x0 + brk.x * plot_w
        ops.append(("rect", x - 2.5, bottom - 1, 5, plot_h + 2, (1.0, 1.0, 1.0)))
        half = plot_h / 2 + 1
        ops.append(
            (
                "path",
                [(x - 2, top + 1), (x + 2, top + 1 - half), (x - 2, bottom - 1)],
                MUTED,
                0.6,
                (2, 1.5),
            )
        )
        if brk.labelled:
            label = fmt_gap(brk.seconds)
            ops.append(
                ("text", x - _width(label, REGULAR, 6) / 2, top + 4, REGULAR, 6, MUTED, label)
            )
    colours = [rgb(c) for c in student_type_colours(report, student)]
    radius = max(0.8, min(2.6, row * 0.3))
    largest = tl.max_events_per_mark
    bar_w = max(tl.bin_width * plot_w * 0.9, 1.6)
    dots, bars = [], []
    for mark in tl.marks:
        x = x0 + mark.x * plot_w
        y = top - (mark.question + 0.5) * row
        if mark.events == 1:
            dots.append((x, y, radius, colours[mark.event_type]))
            continue
        height = row * (0.35 + 0.5 * mark_scale(mark.events, largest))
        for event_type, offset, part in stacked(mark, height):
            bars.append((x - bar_w / 2, y - height / 2 + offset, bar_w, part, colours[event_type]))
    ops.append(("bars", bars))
    ops.append(("dots", dots))
    layout.y = bottom - axis
    # Legend: a swatch and the type's name, flowing over as many lines as needed.
    x = MARGIN + left
    layout.y -= 10
    for name, colour in zip(student.event_types, colours, strict=True):
        w = 10 + _width(name, REGULAR, 7.5) + 12
        if x + w > MARGIN + WIDTH and x > MARGIN + left:
            x = MARGIN + left
            layout.y -= 11
        layout.pages[-1].ops.append(("circle", x + 3, layout.y + 2.6, 3, colour))
        layout.pages[-1].ops.append(("text", x + 9, layout.y, REGULAR, 7.5, INK, name))
        x += w
    layout.y -= 4
    layout.paragraph(
        timeline_summary(student, report.idle_minutes).split(" "), " ", size=8, color=MUTED
    )


def _class_section(layout: _Layout, report: Report) -> None:
    layout.heading("Class overview", 14)
    header, rows = class_table(report)
    _table(layout, header, rows, frozenset({1, 2}))
    for caption, grid_header, grid_rows in class_grids(report):
        layout.heading(caption, 10.5)
        _table(layout, grid_header, grid_rows, frozenset(range(1, len(grid_header))))


def _student(layout: _Layout, report: Report, student: StudentReport, first: bool) -> None:
    layout.footer = f"Student ID: {student.student_id}"
    if not first or not layout.pages:
        layout.new_page()
    else:
        layout.pages[-1].footer = layout.footer
    layout.heading(f"Student ID: {student.student_id}", 15)
    layout.paragraph(f"Namespace: {student.namespace}".split(" "), " ", color=MUTED)
    for label, value in student_facts(student):
        layout.need(13)
        layout.y -= 13
        layout.text(MARGIN, label, REGULAR, 9.5, MUTED)
        layout.text(MARGIN + 32 * mm, value)
    layout.y -= 6
    layout.heading("Timeline", 11.5)
    _chart(layout, report, student)
    layout.heading("Event order", 11.5)
    aliases = [q.alias for q in student.questions]
    words = ["Event Order:", *(aliases[i] for i in student.event_questions)]
    # "Event Order: Q1 -> Q2": the first separator is a plain space.
    layout.paragraph([f"{words[0]} {words[1]}", *words[2:]], ARROW, size=9)
    layout.heading("Visits", 11.5)
    layout.paragraph(visit_path(student).split(" → "), " → ", size=9)
    layout.heading("Questions", 11.5)
    header, rows = question_table(student)
    _table(layout, header, rows, frozenset(range(2, 4 + len(student.event_types))))


def _title(report: Report) -> str:
    if len(report.students) == 1:
        return "Activity report"
    return f"Activity report: {len(report.students)} students"


def layout_pdf(report: Report) -> list[_Page]:
    """The pages as drawing operations, before they are written (tests inspect these)."""
    _register_fonts()
    layout = _Layout()
    title = _title(report)
    layout.new_page()
    layout.heading(title, 18)
    layout.paragraph(report_summary(report).split(" "), " ", color=MUTED)
    several = len(report.students) > 1
    if several:
        layout.footer = "Class overview"
        layout.pages[-1].footer = layout.footer
        _class_section(layout, report)
    for index, student in enumerate(report.students):
        _student(layout, report, student, first=index == 0 and not several)
    return layout.pages


def render_pdf(report: Report) -> bytes:
    pages = layout_pdf(report)
    title = _title(report)
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=True,
        pageCompression=1,
        initialFontName=REGULAR,
        initialFontSize=9.5,
    )
    # invariant=True keeps /ID a digest of the document info instead of the clock; the
    # dates are the report's last activity, so the same input gives the same bytes.
    stamp = report.last_activity.strftime("D:%Y%m%d%H%M%S+00'00'")
    canvas.setDateFormatter(lambda *_now: stamp)
    canvas.setTitle(title)
    canvas.setAuthor("Report Task")
    canvas.setCreator("Report Task")
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        _draw(canvas, page.ops)
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColorRGB(*MUTED)
        right = f"Page {number} of {total}"
        room = WIDTH - _width(right, REGULAR, 7.5) - 12
        canvas.drawString(MARGIN, MARGIN, _ellipsis(page.footer, room))
        canvas.drawRightString(PAGE_W - MARGIN, MARGIN, right)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _ellipsis(text: str, room: float, font: str = REGULAR, size: float = 7.5) -> str:
    """``text`` cut with "…" so that it fits ``room``."""
    if _width(text, font, size) <= room:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:mid] + "…", font, size) <= room:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "…"


def _draw(canvas: Canvas, ops: list[Op]) -> None:
    font = None
    color = None
    for op in ops:
        kind = op[0]
        if kind == "text":
            _, x, y, name, size, rgb, s = op
            if (name, size) != font:
                canvas.setFont(name, size)
                font = (name, size)
            if rgb != color:
                canvas.setFillColorRGB(*rgb)
                color = rgb
            canvas.drawString(x, y, s)
        elif kind == "circle":
            _, x, y, r, fill = op
            if fill != color:
                canvas.setFillColorRGB(*fill)
                color = fill
            canvas.circle(x, y, r, stroke=0, fill=1)
        elif kind == "texts":
            _, name, size, rgb_, items = op
            if rgb_ != color:
                canvas.setFillColorRGB(*rgb_)
                color = rgb_
            text = canvas.beginText()
            text.setFont(name, size)
            for x, y, s in items:
                text.setTextOrigin(x, y)
                text.textOut(s)
            canvas.drawText(text)
            font = None  # the text object set its own font
        elif kind == "bars":
            _paint(
                canvas,
                "q",
                "rg",
                ((f, f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re f") for x, y, w, h, f in op[1]),
            )
        elif kind == "dots":
            # Hundreds of marks per chart: written as PDF operators directly (a zero-length
            # line with round caps is a filled circle of the line's width), which is ~20x
            # cheaper than canvas.circle()'s four Bézier curves each.
            _paint(
                canvas,
                "q 1 J",
                "RG",
                (
                    (f, f"{2 * r:.2f} w {x:.2f} {y:.2f} m {x:.2f} {y:.2f} l S")
                    for x, y, r, f in op[1]
                ),
            )
        elif kind == "vtext":
            _, x, y, name, size, rgb_, s = op
            canvas.saveState()
            canvas.setFont(name, size)
            canvas.setFillColorRGB(*rgb_)
            canvas.translate(x, y)
            canvas.rotate(90)
            canvas.drawString(0, 0, s)
            canvas.restoreState()
        elif kind == "line":
            stroke, width = (op[5], op[6]) if len(op) > 5 else (LINE, 0.5)
            canvas.setStrokeColorRGB(*stroke)
            canvas.setLineWidth(width)
            canvas.line(*op[1:5])
        elif kind == "path":
            _, points, stroke, width, dash = op
            canvas.saveState()
            canvas.setStrokeColorRGB(*stroke)
            canvas.setLineWidth(width)
            canvas.setDash(*dash)
            path = canvas.beginPath()
            path.moveTo(*points[0])
            for point in points[1:]:
                path.lineTo(*point)
            canvas.drawPath(path, stroke=1, fill=0)
            canvas.restoreState()
        elif kind == "rect":
            _, x, y, w, h, fill = op
            canvas.setFillColorRGB(*fill)
            canvas.rect(x, y, w, h, stroke=0, fill=1)
            color = None


def _paint(
    canvas: Canvas, prologue: str, colour_op: str, shapes: Iterable[tuple[Any, str]]
) -> None:
    """Many small shapes as raw PDF operators inside q/Q, setting the colour (fill "rg" or
    stroke "RG") only when it changes."""
    parts = [prologue]
    current = None
    for rgb_, operators in shapes:
        if rgb_ != current:
            parts.append("{:.3f} {:.3f} {:.3f} {}".format(*rgb_, colour_op))
            current = rgb_
        parts.append(operators)
    parts.append("Q")
    canvas.addLiteral("\n".join(parts))
