"""The PDF report, drawn with ReportLab's canvas and a Unicode TrueType font (DejaVu Sans).

Layout happens first, into pages of drawing operations; the pages are then drawn with
their running footer ("page n of m" needs the page count). Text is wrapped by measuring
each distinct word once, so 100,000 events flow over as many pages as they need.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from reports.analysis import ARROW, Report, StudentReport
from reports.renderers.tables import fmt_time, question_table, student_facts, visit_path

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
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


@cache
def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


Op = tuple  # ("text", x, y, font, size, color, s) | ("line", x1, y1, x2, y2) | ("rect", ...)


@dataclass
class _Page:
    student_id: str
    ops: list[Op] = field(default_factory=list)


class _Layout:
    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.y = 0.0
        self.student_id = ""

    def new_page(self) -> None:
        self.pages.append(_Page(self.student_id))
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


def _table(layout: _Layout, header: list[str], rows: list[list[str]], size: float = 8) -> None:
    pad, leading = 3.0, size * 1.3
    cols = len(header)
    natural = [
        max([_width(header[c], BOLD, size)] + [_width(r[c], REGULAR, size) for r in rows]) + 2 * pad
        for c in range(cols)
    ]
    total = sum(natural)
    widths = natural if total <= WIDTH else [w * WIDTH / total for w in natural]

    def draw_row(cells: list[str], font: str, shade: bool) -> None:
        wrapped = [
            wrap_words(list(cell), "", font, size, max(widths[c] - 2 * pad, size))
            if _width(cell, font, size) > widths[c] - 2 * pad
            else [cell]
            for c, cell in enumerate(cells)
        ]
        height = max(len(w) for w in wrapped) * leading + 2 * pad
        if layout.y - height < BOTTOM:
            layout.new_page()
            if font != BOLD:
                draw_row(header, BOLD, True)
        top = layout.y
        if shade:
            layout.rect(MARGIN, top - height, sum(widths), height, SHADE)
        x = MARGIN
        for c, lines in enumerate(wrapped):
            y = top - pad
            for line in lines:
                y -= leading
                layout.pages[-1].ops.append(
                    ("text", x + pad, y + size * 0.25, font, size, INK, line)
                )
            x += widths[c]
        layout.line(MARGIN, top - height, MARGIN + sum(widths), top - height)
        layout.y = top - height

    layout.need(leading * 3)
    layout.y -= 4
    draw_row(header, BOLD, True)
    for row in rows:
        draw_row(row, REGULAR, False)
    layout.y -= 8


def _student(layout: _Layout, student: StudentReport, first: bool) -> None:
    layout.student_id = student.student_id
    if not first or not layout.pages:
        layout.new_page()
    else:
        layout.pages[-1].student_id = student.student_id
    layout.heading(f"Student ID: {student.student_id}", 15)
    layout.paragraph(f"Namespace: {student.namespace}".split(" "), " ", color=MUTED)
    for label, value in student_facts(student):
        layout.need(13)
        layout.y -= 13
        layout.text(MARGIN, label, REGULAR, 9.5, MUTED)
        layout.text(MARGIN + 32 * mm, value)
    layout.heading("Event order", 11.5)
    aliases = [q.alias for q in student.questions]
    words = ["Event Order:", *(aliases[i] for i in student.event_questions)]
    # "Event Order: Q1 -> Q2": the first separator is a plain space.
    layout.paragraph([f"{words[0]} {words[1]}", *words[2:]], ARROW, size=9)
    layout.heading("Visits", 11.5)
    layout.paragraph(visit_path(student).split(" → "), " → ", size=9)
    layout.heading("Questions", 11.5)
    header, rows = question_table(student)
    _table(layout, header, rows)


def render_pdf(report: Report) -> bytes:
    _register_fonts()
    layout = _Layout()
    title = (
        "Activity report"
        if len(report.students) == 1
        else f"Activity report: {len(report.students)} students"
    )
    layout.new_page()
    layout.heading(title, 18)
    layout.paragraph(
        f"{report.event_count} events, last activity {fmt_time(report.last_activity)} UTC. "
        "All times are UTC.".split(" "),
        " ",
        color=MUTED,
    )
    for index, student in enumerate(report.students):
        _student(layout, student, first=index == 0)

    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=True,
        pageCompression=1,
        initialFontName=REGULAR,
        initialFontSize=9.5,
    )
    canvas.setTitle(title)
    canvas.setAuthor("Report Task")
    canvas.setCreator("Report Task")
    total = len(layout.pages)
    for number, page in enumerate(layout.pages, start=1):
        _draw(canvas, page.ops)
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(MARGIN, MARGIN, f"Student ID: {page.student_id}")
        canvas.drawRightString(PAGE_W - MARGIN, MARGIN, f"Page {number} of {total}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


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
        elif kind == "line":
            canvas.setStrokeColorRGB(*LINE)
            canvas.setLineWidth(0.5)
            canvas.line(*op[1:])
        elif kind == "rect":
            _, x, y, w, h, fill = op
            canvas.setFillColorRGB(*fill)
            canvas.rect(x, y, w, h, stroke=0, fill=1)
            color = None
