"""The class heat map in the PDF: a row per student, a column per unit, shaded by count."""

from __future__ import annotations

from reports.renderers.formats import fmt_int
from reports.renderers.heatmap import HeatScale, UnitGroup, heat_scale, unit_groups
from reports.renderers.i18n import gettext as _
from reports.renderers.pdf.fonts import BOLD, REGULAR
from reports.renderers.pdf.layout import (
    INK,
    LINE,
    MARGIN,
    MM,
    MUTED,
    WHITE,
    WIDTH,
    Layout,
    Op,
    ellipsis,
    ellipsis_middle,
    text_width,
)
from reports.renderers.pdf.tables import page_room, split_rows
from reports.renderers.tables import heat_map_alt, rgb
from reports.report.model import ClassSummary

_SIZE, _ROW = 6.5, 10.0  # the numbers' font size and a row's height: ~70 students a page
_MAX_CELL, _MAX_HEAD = 12 * MM, 80.0


_LEGEND_H = 16 + 6  # the legend's line and the space above it


def heat_map(layout: Layout, summary: ClassSummary) -> None:
    scale = heat_scale(summary)
    groups = unit_groups(summary)
    for number, group in enumerate(groups, start=1):
        # The last table keeps room for the legend, so it never stands alone on a page.
        _group(layout, summary, group, scale, _LEGEND_H if number == len(groups) else 0.0)
    _legend(layout, scale)


def _group(
    layout: Layout, summary: ClassSummary, group: UnitGroup, scale: HeatScale, tail: float
) -> None:
    id_w = min(max(text_width(s, REGULAR, _SIZE) for s in summary.students) + 6, 42 * MM)
    id_w = max(id_w, 20 * MM)
    cell_w = min(_MAX_CELL, (WIDTH - id_w) / len(group.columns))
    labels = [summary.units[u] for u in group.columns]
    upright = any(text_width(u, BOLD, _SIZE) > cell_w - 3 for u in labels)
    head_h = min(max(text_width(u, BOLD, _SIZE) for u in labels), _MAX_HEAD) + 6 if upright else 12
    extra = 10.5 * 2.9 + head_h + 8 + tail  # the caption, the header row, spacing
    assert summary.counts is not None  # the document draws the grid only when it was built
    rows = list(zip(summary.students, summary.counts, strict=True))
    chunks = split_rows([_ROW] * len(rows), layout.room() - extra, page_room() - extra)
    if chunks[0] == 0:  # too few rows fit here: the table starts on the next page
        layout.new_page()
        del chunks[0]
    start = 0
    for page, count in enumerate(chunks):
        if page:
            layout.new_page()
        if start == 0:
            layout.heading(group.caption, 10.5, 1.4)
            layout.open_figure(heat_map_alt(summary, group.columns))
        _header(layout, labels, id_w, cell_w, head_h, upright)
        for offset, (student, counts) in enumerate(rows[start : start + count]):
            cells = [counts[u] for u in group.columns]
            layout.ops.extend(_row(layout.y, student, cells, id_w, cell_w, scale))
            layout.y -= _ROW
            if (start + offset + 1) % 5 == 0:  # a guide line every 5 students
                layout.ops.append(("line", MARGIN, layout.y, MARGIN + id_w, layout.y, LINE, 0.4))
        start += count
    layout.close_figure()
    layout.y -= 6


def _header(
    layout: Layout, labels: list[str], id_w: float, cell_w: float, head_h: float, upright: bool
) -> None:
    top = layout.y
    base = top - head_h + 3
    texts = [(MARGIN + 2, base, _("Student"))]
    for i, label in enumerate(labels):
        centre = MARGIN + id_w + (i + 0.5) * cell_w
        if upright:  # long unit names are drawn upwards, cut to the header's height
            text = ellipsis_middle(label, _MAX_HEAD, BOLD, _SIZE)
            layout.ops.append(("vtext", centre + _SIZE * 0.35, base, BOLD, _SIZE, INK, text))
        else:
            texts.append((centre - text_width(label, BOLD, _SIZE) / 2, base, label))
    right = MARGIN + id_w + len(labels) * cell_w
    layout.ops.append(("texts", BOLD, _SIZE, INK, texts))
    layout.ops.append(("line", MARGIN, top - head_h, right, top - head_h, LINE, 0.5))
    layout.y = top - head_h - 1


def _row(
    top: float, student: str, counts: list[int], id_w: float, cell_w: float, scale: HeatScale
) -> list[Op]:
    """The student's id, then one shaded cell per unit with its count in a contrasting colour."""
    base = top - _ROW + 3
    name = ellipsis(student, id_w - 4, REGULAR, _SIZE)
    fills, cells = [], [(MARGIN + 2, base, name, INK)]
    for i, count in enumerate(counts):
        shade = scale.shade(count)
        x = MARGIN + id_w + i * cell_w
        if shade:
            fills.append(
                (x + 0.5, top - _ROW + 0.5, cell_w - 1, _ROW - 1, rgb(scale.colour(shade)))
            )
        colour = WHITE if scale.white_text(shade) else INK if shade else MUTED
        label = fmt_int(count)
        cells.append((x + (cell_w - text_width(label, REGULAR, _SIZE)) / 2, base, label, colour))
    return [("bars", fills), ("cells", REGULAR, _SIZE, cells)]


def _legend(layout: Layout, scale: HeatScale) -> None:
    """The shades and the counts each stands for, on one line under the last table."""
    layout.need(16)
    layout.y -= 11
    tag = layout.element("P")  # the words; the swatches are artifacts
    words = _("Events per cell:")
    layout.text(MARGIN, words, REGULAR, 7.5, MUTED, tag)
    x = MARGIN + text_width(words, REGULAR, 7.5) + 8
    for label, shade in scale.legend():
        fill = rgb(scale.colour(shade))
        frame = ("rect", x - 0.4, layout.y - 2.4, 15.8, 9.8, LINE)  # a thin frame
        layout.artifact(frame, ("rect", x, layout.y - 2, 15, 9, fill))
        layout.text(x + 18, label, REGULAR, 7.5, INK, tag)
        x += 18 + text_width(label, REGULAR, 7.5) + 10
    layout.y -= 8
