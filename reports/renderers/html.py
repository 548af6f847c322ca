"""The HTML report: one standalone document, inline CSS, no scripts, every string escaped."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from reports.analysis import Report, StudentReport
from reports.renderers.tables import (
    class_grids,
    class_table,
    fmt_gap,
    fmt_tick,
    mark_scale,
    question_table,
    report_summary,
    stacked,
    student_facts,
    student_type_colours,
    timeline_summary,
    visit_path,
)

# Served with a CSP that forbids scripts; styles are inline in <style>.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_CSS = (Path(__file__).parent / "report.css").read_text(encoding="utf-8")


def _table(
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


# The chart's geometry, in SVG user units (the SVG scales to the page width).
_W, _LEFT, _RIGHT, _TOP, _AXIS = 1000.0, 52.0, 40.0, 30.0, 34.0
_PLOT_W = _W - _LEFT - _RIGHT


def _chart(report: Report, student: StudentReport, sid: str) -> list[str]:
    tl = student.timeline
    nq = tl.questions
    row = min(18.0, 300.0 / nq)
    plot_h = row * nq
    height = _TOP + plot_h + _AXIS
    label_every = math.ceil(11 / row)
    colours = student_type_colours(report, student)
    summary = escape(timeline_summary(student, report.idle_minutes))
    bottom = _TOP + plot_h
    out = [
        '<figure class="timeline">',
        f'<svg viewBox="0 0 {_W:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="{sid}-tt {sid}-td" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{sid}-tt">Timeline chart: {escape(student.student_id)}</title>',
        f'<desc id="{sid}-td">{summary}</desc>',
        '<g fill="#f6f8fa">',
    ]
    for seg in tl.segments:
        x = _LEFT + seg.x0 * _PLOT_W
        out.append(
            f'<rect x="{x:.1f}" y="{_TOP:.1f}" width="{(seg.x1 - seg.x0) * _PLOT_W:.1f}" '
            f'height="{plot_h:.1f}"/>'
        )
    out.append('</g><g stroke="#d0d7de" stroke-width="0.5">')
    if nq <= 80:
        for q in range(nq + 1):
            y = _TOP + q * row
            out.append(f'<line x1="{_LEFT:.0f}" y1="{y:.1f}" x2="{_W - _RIGHT:.0f}" y2="{y:.1f}"/>')
    out.append('</g><g font-size="11" fill="#57606a" text-anchor="end" dominant-baseline="middle">')
    for q in range(0, nq, label_every):
        y = _TOP + (q + 0.5) * row
        out.append(f'<text x="{_LEFT - 6:.0f}" y="{y:.1f}">{student.questions[q].alias}</text>')
    out.append('</g><g font-size="11" fill="#57606a" text-anchor="middle">')
    for tick in tl.ticks:
        x = _LEFT + tick.x * _PLOT_W
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 5:.1f}" '
            f'stroke="#57606a"/><text x="{x:.1f}" y="{bottom + 18:.1f}">'
            f"{fmt_tick(tick.moment, tl)}</text>"
        )
    out.append("</g>")
    for brk in tl.breaks:
        x = _LEFT + brk.x * _PLOT_W
        gap = fmt_gap(brk.seconds)
        out.append(
            f'<g class="break"><title>Idle for {gap}</title>'
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
    radius = max(1.2, min(4.0, row * 0.3))
    largest = tl.max_events_per_mark
    bar_w = max(tl.bin_width * _PLOT_W * 0.9, 2.5)
    out.append('<g fill-opacity="0.85">')
    for mark in tl.marks:
        x = _LEFT + mark.x * _PLOT_W
        y = _TOP + (mark.question + 0.5) * row
        if mark.events == 1:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                f'fill="{colours[mark.event_type]}"/>'
            )
            continue
        height = row * (0.35 + 0.5 * mark_scale(mark.events, largest))
        base = y + height / 2
        for event_type, offset, part in stacked(mark, height):
            out.append(
                f'<rect x="{x - bar_w / 2:.1f}" y="{base - offset - part:.2f}" '
                f'width="{bar_w:.1f}" height="{part:.2f}" fill="{colours[event_type]}"/>'
            )
    out.append("</g></svg>")
    out.append(f"<figcaption>{summary}</figcaption>")
    out.append('<ul class="legend" aria-label="Event types">')
    for name, colour in zip(student.event_types, colours, strict=True):
        out.append(
            f'<li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" '
            f'fill="{colour}"/></svg>{escape(name)}</li>'
        )
    out.append("</ul></figure>")
    return out


def _class_section(report: Report) -> list[str]:
    header, rows = class_table(report)
    out = [
        '<section class="class" aria-labelledby="class-h">',
        '<h2 id="class-h">Class overview</h2>',
    ]
    out.extend(_table(header, rows, {1, 2}, "One row per student"))
    for caption, grid_header, grid_rows in class_grids(report):
        out.extend(_table(grid_header, grid_rows, set(range(1, len(grid_header))), caption))
    out.append("</section>")
    return out


def _student(report: Report, student: StudentReport, index: int) -> list[str]:
    sid = escape(student.student_id)
    header, rows = question_table(student)
    numeric = {2, *range(3, 3 + len(student.event_types) + 1)}
    out = [
        f'<section class="student" id="s{index + 1}" aria-labelledby="s{index + 1}-h">',
        f'<h2 id="s{index + 1}-h">Student ID: {sid}</h2>',
        f'<p class="meta">Namespace: {escape(student.namespace)}</p>',
        '<dl class="facts">',
    ]
    for label, value in student_facts(student):
        out.append(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>")
    out.append("</dl>")
    out.append("<h3>Timeline</h3>")
    out.extend(_chart(report, student, f"s{index + 1}"))
    out.append("<h3>Event order</h3>")
    # Only generated aliases and " -> " here, nothing from the user; left unescaped so the
    # contract line "Event Order: Q1 -> Q2" is found verbatim in the raw HTML too.
    out.append(f'<p class="order">{student.event_order_line}</p>')
    out.append("<h3>Visits</h3>")
    out.append(f'<p class="path">{escape(visit_path(student))}</p>')
    out.append("<h3>Questions</h3>")
    out.extend(_table(header, rows, numeric))
    out.append("</section>")
    return out


def render_html(report: Report) -> str:
    students = report.students
    if len(students) == 1:
        title = f"Activity report: {students[0].student_id}"
    else:
        title = f"Activity report: {len(students)} students"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
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
        "</header>",
        "<main>",
    ]
    if len(students) > 1:
        parts.extend(_class_section(report))
    for index, student in enumerate(students):
        parts.extend(_student(report, student, index))
    parts.extend(["</main>", "</body>", "</html>", ""])
    return "\n".join(parts)
