"""The class heat map's colour scale and column groups, shared by both renderers."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from reports.renderers.formats import fmt_int
from reports.renderers.i18n import gettext as _
from reports.report.model import ClassSummary

# ColorBrewer "Blues": one hue, lighter to darker, so the order of the shades reads the same
# with every colour-vision deficiency and in greyscale print. Its lightest step is left out:
# next to white (no events) it is hard to see. Shade 0 (no events) is white.
HEAT_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")
EMPTY_COLOUR = "#ffffff"
# From this shade on the number is white: black on #2171b5 would be under 4.5:1 contrast.
WHITE_TEXT_FROM = 5
UNITS_PER_GRID = 16  # unit columns per heat-map table; more units make more tables


@dataclass(frozen=True, slots=True)
class HeatScale:
    """Counts to shades. Shade 0 is no events (white), shades 1-6 are HEAT_COLOURS; the
    counts 1..max are split into equal ranges, one shade each, spread over the whole scale
    so that the largest count is always the darkest."""

    highs: tuple[int, ...]  # the largest count of each range
    shades: tuple[int, ...]  # the shade of each range

    def shade(self, count: int) -> int:
        return 0 if count <= 0 else self.shades[bisect_left(self.highs, count)]

    @staticmethod
    def colour(shade: int) -> str:
        return EMPTY_COLOUR if shade == 0 else HEAT_COLOURS[shade - 1]

    @staticmethod
    def white_text(shade: int) -> bool:
        return shade >= WHITE_TEXT_FROM

    def legend(self) -> list[tuple[str, int]]:
        """(label, shade) for every range: ("0", 0), ("1-3", 2), ..."""
        out, low = [("0", 0)], 1
        for high, shade in zip(self.highs, self.shades, strict=True):
            out.append((fmt_int(high) if high == low else f"{fmt_int(low)}-{fmt_int(high)}", shade))
            low = high + 1
        return out


def heat_scale(summary: ClassSummary) -> HeatScale:
    top, n = summary.max_count, len(HEAT_COLOURS)
    ranges = min(n, top)
    return HeatScale(
        highs=tuple(-(-top * (k + 1) // ranges) for k in range(ranges)),
        shades=tuple(-(-n * (k + 1) // ranges) for k in range(ranges)),
    )


@dataclass(frozen=True, slots=True)
class UnitGroup:
    caption: str
    columns: range  # indexes into ClassSummary.units


def unit_groups(summary: ClassSummary, per_table: int = UNITS_PER_GRID) -> list[UnitGroup]:
    """Many units are split into tables of ``per_table`` columns, each with every student."""
    n = len(summary.units)
    if n <= per_table:
        return [UnitGroup(_("Events per student and unit"), range(n))]
    part = _("Events per student and unit (units %(first)s-%(last)s of %(total)s)")
    return [
        UnitGroup(
            part % {"first": a + 1, "last": min(a + per_table, n), "total": fmt_int(n)},
            range(a, min(a + per_table, n)),
        )
        for a in range(0, n, per_table)
    ]
