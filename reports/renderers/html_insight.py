"""The HTML report's class-relative parts (reports/renderers/insight.py's texts): the
class's Questions table and each student's standing, every string escaped."""

from __future__ import annotations

from html import escape

from reports.renderers.flags import (
    ATTENTION_NOTE,
    ATTENTION_TITLE,
    NO_ATTENTION,
    flag_texts,
    flagged,
)
from reports.renderers.html_class import escape_words
from reports.renderers.i18n import gettext as _
from reports.renderers.insight import (
    COHORT_TITLE,
    QUESTIONS_NOTE,
    QUESTIONS_TITLE,
    SINGLE_NOTE,
    cohort_note,
    cohort_table,
    questions_table,
)
from reports.report.model import Report


def _table(caption: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """A table whose first cell of each row heads it; the others right-aligned numbers
    or words, escaped."""
    out = [
        f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(caption)}">',
        f"<table><caption>{escape(caption)}</caption><thead><tr>",
        *(f'<th scope="col">{escape(h)}</th>' for h in header),
        "</tr></thead><tbody>",
    ]
    for row in rows:
        out.append(f'<tr><th scope="row">{escape(row[0])}</th>')
        out.extend(f"<td>{escape(cell)}</td>" for cell in row[1:])
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return out


def class_opening(report: Report) -> list[str]:
    """What a class report opens with: Needs attention, then Questions (nothing for one
    student)."""
    if report.insight is None:
        return []
    return needs_attention(report) + class_questions(report)


def needs_attention(report: Report) -> list[str]:
    """The flagged students, each linked to their section, with their flags' reasons."""
    out = [
        '<section class="attention" id="attention" aria-labelledby="attention-h">',
        f'<h2 id="attention-h">{escape_words(_(ATTENTION_TITLE))}</h2>',
        f'<p class="meta">{escape_words(_(ATTENTION_NOTE))}</p>',
    ]
    students = flagged(report)
    if not students:
        out.append(f"<p>{escape_words(_(NO_ATTENTION))}</p>")
    else:
        out.append("<ul>")
        for index, student_id, texts in students:
            out.append(f'<li><a href="#s{index + 1}">{escape(student_id)}</a><ul>')
            out.extend(f"<li>{escape(text)}</li>" for text in texts)
            out.append("</ul></li>")
        out.append("</ul>")
    out.append("</section>")
    return out


def class_questions(report: Report) -> list[str]:
    """The class report's Questions section."""
    header, rows = questions_table(report)
    return [
        '<section class="questions" id="questions" aria-labelledby="questions-h">',
        f'<h2 id="questions-h">{escape_words(_(QUESTIONS_TITLE))}</h2>',
        f'<p class="meta">{escape_words(_(QUESTIONS_NOTE))}</p>',
        *_table(_("One row per unit"), header, rows),
        "</section>",
    ]


def student_insight(report: Report, index: int) -> list[str]:
    """A student's attention flags (when any), then their standing in the class."""
    texts = flag_texts(report, index)
    out = []
    if texts:
        out.append(f"<h3>{escape_words(_(ATTENTION_TITLE))}</h3>")
        out.append('<ul class="flags">')
        out.extend(f"<li>{escape(text)}</li>" for text in texts)
        out.append("</ul>")
    return out + student_cohort(report, index)


def student_cohort(report: Report, index: int) -> list[str]:
    """A student's questions beside the class; for one student, why there is nothing."""
    if report.insight is None:
        return [f'<p class="meta">{escape_words(_(SINGLE_NOTE))}</p>']
    header, rows = cohort_table(report, index)
    title = _(COHORT_TITLE)
    out = [f"<h3>{escape_words(title)}</h3>", f'<p class="meta">{escape(cohort_note())}</p>']
    return out + (_table(title, header, rows) if rows else [])
