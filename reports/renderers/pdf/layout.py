"""Pages as lists of drawing operations: the page geometry, text flow and wrapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from reports.renderers.geometry import ChartSize
from reports.renderers.pdf.fonts import BOLD, REGULAR, width
from reports.renderers.pdf.shaping import can_cut
from reports.renderers.pdf.tags import Elem

PAGE_W, PAGE_H = 595.2755905511812, 841.8897637795277  # A4 in points
MM = 72 / 25.4
MARGIN = 16 * MM
BOTTOM = MARGIN + 8 * MM  # room for the footer
WIDTH = PAGE_W - 2 * MARGIN
Colour = tuple[float, float, float]
INK: Colour = (0.11, 0.12, 0.14)
MUTED: Colour = (0.34, 0.38, 0.42)
LINE: Colour = (0.8, 0.84, 0.87)
SHADE: Colour = (0.96, 0.97, 0.98)
WHITE: Colour = (1.0, 1.0, 1.0)

Op = tuple[Any, ...]
# ("text", x, y, font, size, colour, s[, tag])  ("vtext", ...the same, drawn upwards)
# ("line", x1, y1, x2, y2[, colour, width]) ("rect", x, y, w, h, fill)
# ("circle", x, y, r, fill)                 ("path", [(x, y), ...], colour, width, dash)
# ("dots", [(x, y, r, colour), ...]): chart marks, one round-capped stroke each
# ("texts", font, size, colour, [(x, y, s), ...][, tags]): a table row, in one text object
# ("cells", font, size, [(x, y, s, colour), ...]): the same, each string in its own colour
# ("bars", [(x, y, w, h, colour), ...]): filled rectangles (folded marks, heat-map cells)
# Tagging (the structure tree, tags.py): a tag is the Elem whose content the text is;
# ("open", elem) ... ("close",) marks everything between as one element's content (a
# figure), ("artifact"[, kind]) ... ("close",) as no part of the text (rules, shades).


@dataclass(frozen=True, slots=True)
class Density:
    """How tightly a student's section is set; tighter ones let it fit on one page."""

    chart: ChartSize
    table_font: float  # the largest font size of a table
    cell_pad: float  # space above and below a table cell's text
    fact_leading: float  # one line of the student's totals
    heading_gap: float  # space above a heading, in font sizes


def _chart_size(row: float, plot_h: float) -> ChartSize:
    return ChartSize(row=row, plot_h=plot_h, label=7.5, radius=(0.8, 2.6), bar_w=1.6)


DENSITIES = (
    Density(_chart_size(11.0, 200.0), 8.0, 3.0, 13.0, 1.4),
    Density(_chart_size(8.5, 150.0), 7.5, 2.0, 11.5, 1.0),
    Density(_chart_size(6.5, 110.0), 7.0, 1.4, 10.5, 0.8),
)
NORMAL, TIGHTEST = DENSITIES[0], DENSITIES[-1]


@cache
def text_width(text: str, font: str, size: float) -> float:
    return width(text, font, size)


@dataclass
class Page:
    footer: str  # "Student ID: ..." or "Class overview"
    ops: list[Op] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the layout was, to go back there (a section tried at another density)."""

    pages: int
    ops: int
    y: float


@dataclass(frozen=True, slots=True)
class Cut:
    ops: list[Op]  # on the page where the mark was
    pages: list[Page]  # the pages after it
    y: float


@dataclass(frozen=True, slots=True)
class Later:
    """A text op drawn before its words are known (a page number further on)."""

    page: Page
    index: int  # in page.ops
    y: float
    size: float

    def fill(self, text: str) -> None:
        """Right-aligned at the margin, in the heading's marked content."""
        x = PAGE_W - MARGIN - text_width(text, REGULAR, self.size)
        self.page.ops[self.index] = ("text", x, self.y, REGULAR, self.size, MUTED, text, None)


class Layout:
    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.y = 0.0
        self.footer = ""
        self.document = Elem("Document")
        self.section = self.document  # where headings, paragraphs and tables go
        self.figure: Elem | None = None  # open over page breaks: closed and opened again
        self.bookmarks = False  # headings below the title become bookmarks (one student)
        self.later: Later | None = None  # the last heading's reserved room

    @property
    def ops(self) -> list[Op]:
        return self.pages[-1].ops

    def new_page(self) -> None:
        if self.figure is not None and self.pages:
            self.ops.append(("close",))
        self.pages.append(Page(self.footer))
        self.y = PAGE_H - MARGIN
        if self.figure is not None:
            self.ops.append(("open", self.figure))

    def open_figure(self, alt: str) -> None:
        """What is drawn until ``close_figure`` is a Figure saying ``alt`` in words."""
        self.figure = Elem("Figure", self.section, alt=alt)
        self.ops.append(("open", self.figure))

    def close_figure(self) -> None:
        self.ops.append(("close",))
        self.figure = None

    def artifact(self, *ops: Op, kind: str = "") -> None:
        """``ops`` drawn as no part of the text (a rule, a shade)."""
        self.ops.append(("artifact", kind))
        self.ops.extend(ops)
        self.ops.append(("close",))

    def element(self, role: str, parent: Elem | None = None) -> Elem:
        """An element in the current section (or in ``parent``)."""
        return Elem(role, self.section if parent is None else parent)

    def room(self) -> float:
        return self.y - BOTTOM

    def need(self, height: float) -> None:
        if not self.pages or self.y - height < BOTTOM:
            self.new_page()

    def mark(self) -> Mark:
        return Mark(len(self.pages), len(self.ops), self.y)

    def pages_since(self, mark: Mark) -> int:
        return len(self.pages) - mark.pages + 1

    def back_to(self, mark: Mark) -> Cut:
        """Undo everything since ``mark``; what was undone can be put back with ``redo``."""
        cut = Cut(self.pages[mark.pages - 1].ops[mark.ops :], self.pages[mark.pages :], self.y)
        del self.pages[mark.pages :]
        del self.ops[mark.ops :]
        self.y = mark.y
        return cut

    def redo(self, cut: Cut) -> None:
        self.ops.extend(cut.ops)
        self.pages.extend(cut.pages)
        self.y = cut.y

    def text(
        self,
        x: float,
        s: str,
        font: str = REGULAR,
        size: float = 9.5,
        colour: Colour = INK,
        tag: Elem | None = None,
    ) -> None:
        """A line of text, ``tag``'s content (or a figure's, drawn while one is open)."""
        self.ops.append(("text", x, self.y, font, size, colour, s, tag))

    def heading(
        self, s: str, size: float = 14, gap: float = 1.4, level: int = 3, reserve: float = 0.0
    ) -> Elem:
        """``reserve``: room kept free at the right of the first line for a text known only
        later (``Later``, filled in by ``fill_later``), read after the heading's words."""
        assert self.figure is None, "a heading inside a figure would not be a heading"
        self.need(size * (gap + 0.8))
        self.y -= size * gap
        tag = self.element(f"H{level}")
        if self.bookmarks and level > 1:
            tag.bookmark = s
        self.ops.append(("open", tag))  # one marked-content sequence, however many lines
        for number, line in enumerate(wrap_words(s.split(" "), " ", BOLD, size, WIDTH - reserve)):
            self.text(MARGIN, line, BOLD, size)
            if number == 0 and reserve:
                self.later = Later(self.pages[-1], len(self.ops), self.y, size)
                self.text(PAGE_W - MARGIN, "", REGULAR, size)  # the placeholder
            self.y -= size * 1.3
        self.ops.append(("close",))
        self.y -= size * 0.2
        return tag

    def paragraph(
        self,
        words: list[str],
        sep: str,
        font: str = REGULAR,
        size: float = 9.5,
        colour: Colour = INK,
    ) -> None:
        leading = size * 1.35
        tag = self.element("P")
        for line in wrap_words(words, sep, font, size, WIDTH):
            self.need(leading)
            self.y -= leading
            self.text(MARGIN, line, font, size, colour, tag)
        self.y -= leading * 0.4


def wrap_words(words: list[str], sep: str, font: str, size: float, room: float) -> list[str]:
    """Greedy line filling; a separator that ends a line stays on that line (trimmed)."""
    sep_w = text_width(sep, font, size)
    room -= text_width(sep.rstrip(), font, size)  # room for a separator ending the line
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in words:
        w = text_width(word, font, size)
        if current and used + sep_w + w > room:
            lines.append(sep.join(current) + sep.rstrip())
            current, used = [], 0.0
        if w > room:  # a single word wider than the line: cut it by characters
            lines.extend(_cut(word, font, size, room))
            continue
        used += (sep_w if current else 0.0) + w
        current.append(word)
    if current:
        lines.append(sep.join(current))
    return lines


def _cut(word: str, font: str, size: float, room: float) -> list[str]:
    pieces, start, last = [], 0, 0  # last: where a piece may end (not inside a cluster)
    for end in range(1, len(word) + 1):
        if width(word[start:end], font, size) > room and last > start:
            pieces.append(word[start:last])
            start = last
        if can_cut(word, end):
            last = end
    pieces.append(word[start:])
    return pieces


def ellipsis(text: str, room: float, font: str = REGULAR, size: float = 7.5) -> str:
    """``text`` cut with "…" so that it fits ``room``."""
    if text_width(text, font, size) <= room:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if width(text[:mid] + "…", font, size) <= room:
            low = mid
        else:
            high = mid - 1
    while not can_cut(text, low):  # not inside a cluster ("कि", "क्ष")
        low -= 1
    return text[:low] + "…"


def ellipsis_middle(text: str, room: float, font: str, size: float) -> str:
    """``text`` with its middle replaced by "…" so that it fits ``room``: the end of a
    label often tells similar ones apart ("unit 1…part 12")."""
    if text_width(text, font, size) <= room:
        return text
    keep = len(text)
    while keep > 1:
        keep -= 1
        head, tail = text[: (keep + 1) // 2], text[len(text) - keep // 2 :]
        whole = can_cut(text, len(head)) and can_cut(text, len(text) - len(tail))
        if whole and width(head + "…" + tail, font, size) <= room:
            return head + "…" + tail
    return "…"
