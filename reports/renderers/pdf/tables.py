"""Tables that fit the page width and split over pages: at least 5 rows a page, header repeated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.renderers.pdf.fonts import BOLD, REGULAR
from reports.renderers.pdf.layout import (
    BOTTOM,
    INK,
    MARGIN,
    NORMAL,
    PAGE_H,
    SHADE,
    WIDTH,
    Density,
    Layout,
    text_width,
    wrap_words,
)
from reports.renderers.pdf.tags import Elem

LEAST_ROWS = 5  # no page carries fewer rows of a table (unless the table has fewer)
_PAD_X = 3.0


def split_rows(
    heights: Sequence[float], first_room: float, page_room: float, least: int = LEAST_ROWS
) -> list[int]:
    """Rows per page: as many as fit, never fewer than ``least`` on a page when the table
    has that many. A first count of 0 means: start on a new page."""
    least = min(least, len(heights))
    chunks = _greedy(heights, first_room, page_room)
    if chunks[0] < least:  # too few rows fit where the table would start
        chunks = [0, *_greedy(heights, page_room, page_room)]
    # The last page borrows rows from the one before until it holds ``least``.
    if len(chunks) > 2 or (len(chunks) == 2 and chunks[0]):
        short = least - chunks[-1]
        if short > 0 and chunks[-2] - short >= least:
            tail = heights[len(heights) - chunks[-1] - short :]
            if sum(tail) <= page_room:
                chunks[-2] -= short
                chunks[-1] += short
        elif short > 0 and chunks[0] and len(chunks) == 2:  # the start page would be left short
            chunks = [0, *_greedy(heights, page_room, page_room)]
    return chunks


def _greedy(heights: Sequence[float], first_room: float, page_room: float) -> list[int]:
    chunks, used, count, room = [], 0.0, 0, first_room
    for h in heights:
        # A row taller than a whole page still goes on a page of its own.
        if used + h > room and (count or room < page_room):
            chunks.append(count)
            used, count, room = 0.0, 0, page_room
        used += h
        count += 1
    chunks.append(count)
    return chunks


@dataclass(frozen=True, slots=True)
class _Fit:
    size: float
    rotate: bool  # headers drawn upwards
    widths: list[float]

    @property
    def leading(self) -> float:
        return self.size * 1.3


def table(
    layout: Layout,
    header: list[str],
    rows: list[list[str]],
    numeric: frozenset[int],
    *,
    title: str = "",
    density: Density = NORMAL,
) -> None:
    """A titled table that fits the page width; ``numeric`` columns are right-aligned.
    Tagged as a Table whose header row's cells are column headers and each row's first
    cell its row header; the header row repeated on a new page is an artifact."""
    if not rows:
        return
    fit = _fit(header, rows, density.table_font)
    pad = density.cell_pad
    head = _wrap(header, BOLD, fit, pad, header=True)
    body = [_wrap(row, REGULAR, fit, pad) for row in rows]
    title_h = 11.5 * (density.heading_gap + 1.5) if title else 0.0
    extra = title_h + head[1] + 12  # title, header row, spacing
    chunks = split_rows([h for _lines, h in body], layout.room() - extra, page_room() - extra)
    if chunks[0] == 0:  # too few rows fit here: the table starts on the next page
        layout.new_page()
        del chunks[0]
    start = 0
    for page, count in enumerate(chunks):
        if page:
            layout.new_page()
        if title and start == 0:
            layout.heading(title, 11.5, density.heading_gap)
        if start == 0:
            layout.y -= 4
            grid = layout.element("Table")
        cells = _cells(layout, grid, len(header), "Column") if start == 0 else None
        _draw_row(layout, head, header_row=True, fit=fit, numeric=numeric, pad=pad, tags=cells)
        for row in body[start : start + count]:
            cells = _cells(layout, grid, len(header), "Row")
            _draw_row(layout, row, header_row=False, fit=fit, numeric=numeric, pad=pad, tags=cells)
        start += count
    layout.y -= 8


def _cells(layout: Layout, grid: Elem, columns: int, scope: str) -> list[Elem]:
    """A row's cells: all headers (``scope`` Column) or a row header and data cells."""
    row = layout.element("TR", grid)
    first = Elem("TH", row, scope=scope)
    return [first] + [
        Elem("TH", row, scope=scope) if scope == "Column" else Elem("TD", row)
        for _ in range(columns - 1)
    ]


def page_room() -> float:
    return PAGE_H - MARGIN - BOTTOM


def _fit(header: list[str], rows: list[list[str]], largest: float) -> _Fit:
    """Prefer one line per cell at a smaller font, then wrapped headers, then upright ones."""
    tries = [(False, 8.0, True), (False, 7.0, True), (False, 7.0, False), (False, 6.0, False)]
    tries += [(True, 7.0, False), (True, 6.0, False), (True, 5.0, False)]
    for rotate, size, one_line in tries:
        size = min(size, largest)
        fitted = _column_widths(header, rows, size, rotate)
        if fitted is not None and (fitted[1] or not one_line):
            return _Fit(size, rotate, fitted[0])
    # Hundreds of columns: share the width, cutting whatever must be cut.
    natural = [5.0 * 1.3 + 6] * len(header)
    return _Fit(5.0, True, [w * WIDTH / sum(natural) for w in natural])


def _column_widths(
    header: list[str], rows: list[list[str]], size: float, rotate: bool
) -> tuple[list[float], bool] | None:
    """Widths that fit WIDTH and whether every cell fits on one line; None if they cannot.

    Headers wrap at word boundaries (or are drawn upwards when ``rotate``); cells wrap at
    spaces, so only a word longer than the column is ever cut.
    """
    natural, least = [], []
    for c, title in enumerate(header):
        cells = [r[c] for r in rows]
        cell_w = max([text_width(v, REGULAR, size) for v in cells], default=0.0)
        word_w = max(
            [text_width(w, REGULAR, size) for v in cells for w in v.split(" ")], default=0.0
        )
        if rotate:
            head_w = head_least = size * 1.3
        else:
            head_w = text_width(title, BOLD, size)
            head_least = max(text_width(w, BOLD, size) for w in title.split(" "))
        natural.append(max(cell_w, head_w) + 2 * _PAD_X)
        # A long word (a unit name) may be cut, but the column never goes below ~8 em.
        least.append(max(min(word_w, size * 8), head_least) + 2 * _PAD_X)
    if sum(least) > WIDTH:
        return None
    spare = WIDTH - sum(least)
    want = sum(n - m for n, m in zip(natural, least, strict=True))
    if want <= spare:
        return natural, True
    return [m + (n - m) * spare / want for n, m in zip(natural, least, strict=True)], False


_Row = tuple[list[list[str]], float]  # each cell's lines, and the row's height


def _wrap(cells: list[str], font: str, fit: _Fit, pad: float, header: bool = False) -> _Row:
    size = fit.size
    if header and fit.rotate:
        return [[cell] for cell in cells], max(text_width(h, BOLD, size) for h in cells) + 6
    wrapped = [
        wrap_words(cell.split(" "), " ", font, size, max(fit.widths[c] - 2 * _PAD_X, size))
        if text_width(cell, font, size) > fit.widths[c] - 2 * _PAD_X
        else [cell]
        for c, cell in enumerate(cells)
    ]
    return wrapped, max(len(w) for w in wrapped) * fit.leading + 2 * pad


def _draw_row(
    layout: Layout,
    row: _Row,
    *,
    header_row: bool,
    fit: _Fit,
    numeric: frozenset[int],
    pad: float,
    tags: list[Elem] | None,
) -> None:
    """A row; ``tags`` are its cells' elements (None: a repeated header row, an artifact)."""
    lines_of, height = row
    top, size, total = layout.y, fit.size, sum(fit.widths)
    font = BOLD if header_row else REGULAR
    if header_row:
        layout.artifact(("rect", MARGIN, top - height, total, height, SHADE))
    if tags is None:
        layout.ops.append(("artifact", "repeat"))
    x, texts, owners = MARGIN, [], []
    for c, lines in enumerate(lines_of):
        tag = None if tags is None else tags[c]
        if header_row and fit.rotate:
            vx, vy = x + fit.widths[c] / 2 + size * 0.35, top - height + 3
            layout.ops.append(("vtext", vx, vy, font, size, INK, lines[0], tag))
        else:
            y = top - pad
            for line in lines:
                y -= fit.leading
                if c in numeric and not header_row:
                    left = x + fit.widths[c] - _PAD_X - text_width(line, font, size)
                else:
                    left = x + _PAD_X
                texts.append((left, y + size * 0.25, line))
                owners.append(tag)
        x += fit.widths[c]
    if texts:
        layout.ops.append(("texts", font, size, INK, texts, None if tags is None else owners))
    if tags is None:
        layout.ops.append(("close",))
    layout.artifact(("line", MARGIN, top - height, MARGIN + total, top - height))
    layout.y = top - height
