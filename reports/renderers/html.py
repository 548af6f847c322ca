"""The HTML report: one standalone document, inline CSS, no scripts, every string escaped."""

from __future__ import annotations

from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from reports.renderers import i18n
from reports.renderers.formats import counted, fmt_gap, fmt_tick
from reports.renderers.geometry import ChartSize, Scale, chart_marks, chart_scale
from reports.renderers.heatmap import HEAT_COLOURS, HeatScale
from reports.renderers.html_class import class_section, escape_words, table
from reports.renderers.html_insight import class_opening, student_insight
from reports.renderers.i18n import gettext as _
from reports.renderers.i18n import ngettext
from reports.renderers.questions import numeric_columns, process_note, question_table
from reports.renderers.tables import (
    report_summary,
    student_facts,
    student_heading,
    student_type_colours,
    timeline_alt,
    visit_path,
)
from reports.report.model import Report, StudentReport
from reports.report.timeline import Timeline

# Served with a CSP that forbids scripts; styles are inline in <style>.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

# The heat map's shades come from heatmap.py, so both formats use the same scale.
_HEAT_CSS = "".join(
    f".h{shade}{{background:{HeatScale.colour(shade)}"
    f"{';color:#fff' if HeatScale.white_text(shade) else ''}}}"
    for shade in range(len(HEAT_COLOURS) + 1)
)
_CSS = (Path(__file__).parent / "report.css").read_text(encoding="utf-8") + _HEAT_CSS


# The chart's geometry, in SVG user units (the SVG scales to the page width).
_W, _LEFT, _RIGHT, _TOP, _AXIS = 1000.0, 52.0, 40.0, 30.0, 34.0
_SIZE = ChartSize(row=18.0, plot_h=300.0, label=11.0, radius=(1.2, 4.0), bar_w=2.5)


def _chart(report: Report, student: StudentReport, sid: str) -> list[str]:
    tl = student.timeline
    scale = chart_scale(tl, _SIZE, left=_LEFT, width=_W - _LEFT - _RIGHT)
    colours = student_type_colours(report, student)
    # The PDF's Figure /Alt, word for word: the caption and the chart's description.
    alt = escape(timeline_alt(report, student))
    chart_title = _("Timeline chart: %(student)s") % {"student": student.student_id}
    out = [
        '<figure class="timeline">',
        f'<svg viewBox="0 0 {_W:.0f} {_TOP + scale.plot_h + _AXIS:.0f}" role="img" '
        f'aria-labelledby="{sid}-tt" aria-describedby="{sid}-td" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{sid}-tt">{escape(chart_title)}</title>',
    ]
    out += _plot_area(tl, scale)
    out += _question_labels(student, scale)
    out += _ticks(tl, scale, report.zone)
    out += _breaks(tl, scale)
    out += _marks(tl, scale, colours)
    out.append("</svg>")
    out += _legend(student, colours)
    out.append(f'<figcaption id="{sid}-td">{alt}</figcaption>')
    out.append("</figure>")
    return out


def _plot_area(tl: Timeline, scale: Scale) -> list[str]:
    """Shaded active stretches, and a line between questions (when there are few)."""
    out = ['<g fill="#f6f8fa">']
    for seg in tl.segments:
        out.append(
            f'<rect x="{scale.x(seg.x0):.1f}" y="{_TOP:.1f}" '
            f'width="{(seg.x1 - seg.x0) * scale.width:.1f}" height="{scale.plot_h:.1f}"/>'
        )
    out.append('</g><g stroke="#d0d7de" stroke-width="0.5">')
    if tl.questions <= 80:
        for q in range(tl.questions + 1):
            y = _TOP + q * scale.row
            out.append(f'<line x1="{_LEFT:.0f}" y1="{y:.1f}" x2="{_W - _RIGHT:.0f}" y2="{y:.1f}"/>')
    out.append("</g>")
    return out


def _question_labels(student: StudentReport, scale: Scale) -> list[str]:
    out = ['<g font-size="11" fill="#57606a" text-anchor="end" dominant-baseline="middle">']
    for q in range(0, scale.questions, scale.label_every):
        y = _TOP + scale.middle(q)
        out.append(f'<text x="{_LEFT - 6:.0f}" y="{y:.1f}">{student.questions[q].alias}</text>')
    out.append("</g>")
    return out


def _ticks(tl: Timeline, scale: Scale, zone: ZoneInfo) -> list[str]:
    bottom = _TOP + scale.plot_h
    out = ['<g font-size="11" fill="#57606a" text-anchor="middle">']
    for tick in tl.ticks:
        x = scale.x(tick.x)
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 5:.1f}" '
            f'stroke="#57606a"/><text x="{x:.1f}" y="{bottom + 18:.1f}">'
            f"{fmt_tick(tick.moment, tl, zone)}</text>"
        )
    out.append("</g>")
    return out


def _breaks(tl: Timeline, scale: Scale) -> list[str]:
    """Each compressed idle stretch: a white gap with a dashed zigzag, labelled with its length."""
    out, plot_h, idle = [], scale.plot_h, _("Idle for %(gap)s")
    for brk in tl.breaks:
        x = scale.x(brk.x)
        gap = fmt_gap(brk.seconds)
        out.append(
            f'<g class="break"><title>{escape(idle % {"gap": gap})}</title>'
            f'<rect x="{x - 4:.1f}" y="{_TOP - 2:.1f}" width="8" '
            f'height="{plot_h + 4:.1f}" fill="#fff"/>'
            f'<path d="M{x - 3:.1f} {_TOP - 2:.1f}l6 {plot_h / 2 + 2:.1f}l-6 {plot_h / 2 + 2:.1f}" '
            f'fill="none" stroke="#57606a" stroke-dasharray="3 2"/>'
        )
        if brk.labelled:
            out.append(
                f'<text x="{x:.1f}" y="{_TOP - 8:.1f}" font-size="10" fill="#57606a" '
                f'text-anchor="middle">{gap}</text>'
            )
        out.append("</g>")
    return out


def _marks(tl: Timeline, scale: Scale, colours: list[str]) -> list[str]:
    dots, bars = chart_marks(tl, scale)
    r = f"{scale.radius:.1f}"
    out = ['<g fill-opacity="0.85">']
    for x, y, event_type in dots:
        out.append(
            f'<circle cx="{x:.1f}" cy="{_TOP + y:.1f}" r="{r}" fill="{colours[event_type]}"/>'
        )
    for x, y, w, h, event_type in bars:
        out.append(
            f'<rect x="{x:.1f}" y="{_TOP + y:.2f}" width="{w:.1f}" '
            f'height="{h:.2f}" fill="{colours[event_type]}"/>'
        )
    out.append("</g>")
    return out


def _legend(student: StudentReport, colours: list[str]) -> list[str]:
    label = _("Event types")
    out = [f'<ul class="legend" aria-label="{escape_words(label)}">']
    for name, colour in zip(student.event_types, colours, strict=True):
        out.append(
            f'<li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" '
            f'fill="{colour}"/></svg>{escape(name)}</li>'
        )
    out.append("</ul>")
    return out


def _h3(text: str) -> str:
    return f"<h3>{escape_words(text)}</h3>"


def _student(report: Report, student: StudentReport, index: int) -> list[str]:
    namespace = _("Namespace: %(namespace)s") % {"namespace": student.namespace}
    header, rows = question_table(student, report.zone, report.carried)
    numeric = set(numeric_columns(student, report.carried))
    out = [
        f'<section class="student" id="s{index + 1}" aria-labelledby="s{index + 1}-h">',
        f'<h2 id="s{index + 1}-h">{escape(student_heading(student))}</h2>',
        f'<p class="meta">{escape(namespace)}</p>',
        '<dl class="facts">',
    ]
    for label, value in student_facts(student, report.zone):
        out.append(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>")
    out.append("</dl>")
    out.append(_h3(_("Timeline")))
    out.extend(_chart(report, student, f"s{index + 1}"))
    out.append(_h3(_("Event order")))
    # Only generated aliases and " -> " here, nothing from the user; left unescaped so the
    # contract line "Event Order: Q1 -> Q2" is found verbatim in the raw HTML too.
    out.append(f'<p class="order">{student.event_order_line}</p>')
    out.append(_h3(_("Visits")))
    out.append(f'<p class="path">{escape(visit_path(student))}</p>')
    out.extend(student_insight(report, index))
    out.append(_h3(_("Questions")))
    out.extend(table(header, rows, numeric))
    out.append("</section>")
    return out


def render_html(report: Report) -> str:
    """The document, every word in ``report.language``."""
    with i18n.override(report.language):
        return _document(report)


def _document(report: Report) -> str:
    students = report.students
    n = len(students)
    if n == 1:
        title = _("Activity report: %(student)s") % {"student": students[0].student_id}
    else:
        title = counted(
            ngettext(
                "Activity report: %(count)s student", "Activity report: %(count)s students", n
            ),
            n,
        )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{report.language}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(report_summary(report))}</p>',
        f'<p class="meta">{escape(process_note(report.carried))}</p>',
        "</header>",
        "<main>",
    ]
    parts.extend(class_opening(report))
    if len(students) > 1:
        parts.extend(class_section(report))
    for index, student in enumerate(students):
        parts.extend(_student(report, student, index))
    parts.extend(["</main>", "</body>", "</html>", ""])
    return "\n".join(parts)
