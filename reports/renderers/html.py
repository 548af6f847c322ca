"""The HTML report: one standalone document, inline CSS, no scripts, every string escaped."""

from __future__ import annotations

from html import escape
from pathlib import Path

from reports.analysis import Report, StudentReport
from reports.renderers.tables import fmt_time, question_table, student_facts, visit_path

# Served with a CSP that forbids scripts; styles are inline in <style>.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_CSS = (Path(__file__).parent / "report.css").read_text(encoding="utf-8")


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    out = ["<table><thead><tr>"]
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


def _student(student: StudentReport, index: int) -> list[str]:
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
        f'<p class="meta">{report.event_count} events, last activity '
        f"{escape(fmt_time(report.last_activity))} UTC. All times are UTC.</p>",
        "</header>",
        "<main>",
    ]
    for index, student in enumerate(students):
        parts.extend(_student(student, index))
    parts.extend(["</main>", "</body>", "</html>", ""])
    return "\n".join(parts)
