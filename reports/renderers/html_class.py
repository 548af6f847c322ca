"""The HTML report's tables, and the class overview with its heat map, every string escaped."""

from __future__ import annotations

from functools import cache
from html import escape

from reports.renderers.formats import fmt_int
from reports.renderers.heatmap import heat_scale, unit_groups
from reports.renderers.i18n import gettext as _
from reports.renderers.tables import class_table, heat_map_alt, heat_map_omitted, unit_table
from reports.report.model import ClassSummary, Report

# The catalogs' own texts (headings, labels, notes), escaped once per process: a few
# hundred strings at most, where escaping each anew would cost a small report ~10%.
escape_words = cache(escape)


def scroll_box(caption: str, table: list[str]) -> list[str]:
    """A long table in a box that scrolls, keeping its header row in view."""
    label = escape(caption)
    return [
        f'<div class="scroll" tabindex="0" role="region" aria-label="{label}">',
        *table,
        "</div>",
    ]


def table(
    header: list[str], rows: list[list[str]], numeric: set[int], caption: str = ""
) -> list[str]:
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>")
    out.extend(f'<th scope="col">{escape(h)}</th>' for h in header)
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for index, cell in enumerate(row):
            if index == 0:
                out.append(f'<th scope="row">{escape(cell)}</th>')
            elif index in numeric:
                out.append(f'<td class="num">{escape(cell)}</td>')
            else:
                out.append(f"<td>{escape(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return out


def class_section(report: Report) -> list[str]:
    header, rows = class_table(report)
    title = _("Class overview")
    out = [
        '<section class="class" aria-labelledby="class-h">',
        f'<h2 id="class-h">{escape_words(title)}</h2>',
    ]
    caption = _("One row per student")
    out.extend(scroll_box(caption, table(header, rows, {1, 2}, caption)))
    if report.class_summary.counts is None:  # over the heat map's budget: a row per unit
        header, rows = unit_table(report)
        out.append(f'<p class="meta">{escape(heat_map_omitted(report))}</p>')
        caption = _("Events per unit")
        out.extend(scroll_box(caption, table(header, rows, {1, 2}, caption)))
    else:
        out.extend(heat_map(report.class_summary))
    out.append("</section>")
    return out


def heat_map(summary: ClassSummary) -> list[str]:
    """One row per student, one column per unit, each cell shaded by its count."""
    assert summary.counts is not None
    scale = heat_scale(summary)
    out, head, per_cell = [], _("Student"), _("Events per cell:")
    for n, group in enumerate(unit_groups(summary), 1):
        table = ['<table class="heat">', f"<caption>{escape(group.caption)}</caption>"]
        table.append(f'<thead><tr><th scope="col">{escape_words(head)}</th>')
        table.extend(f'<th scope="col">{escape(summary.units[u])}</th>' for u in group.columns)
        table.append("</tr></thead><tbody>")
        for student, counts in zip(summary.students, summary.counts, strict=True):
            table.append(f'<tr><th scope="row">{escape(student)}</th>')
            for u in group.columns:
                table.append(f'<td class="h{scale.shade(counts[u])}">{fmt_int(counts[u])}</td>')
            table.append("</tr>")
        table.append("</tbody></table>")
        alt = escape(heat_map_alt(summary, group.columns))  # the PDF's Figure /Alt
        out.append(f'<figure class="heat-map" aria-labelledby="heat-{n}">')
        out.append(f'<figcaption id="heat-{n}">{alt}</figcaption>')
        out.extend(scroll_box(group.caption, table))
        out.append("</figure>")
    label = escape_words(_("Shades: events per cell"))
    out.append(f'<ul class="legend heat-legend" aria-label="{label}">')
    out.append(f"<li>{escape_words(per_cell)}</li>")
    for label, shade in scale.legend():
        out.append(f'<li><span class="h{shade}" aria-hidden="true"></span>{label}</li>')
    out.append("</ul>")
    return out
