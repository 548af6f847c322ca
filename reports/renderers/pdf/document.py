"""The report's sections laid out in order (title, class overview, one section per student)."""

from __future__ import annotations

from dataclasses import dataclass

from reports.renderers import i18n
from reports.renderers.flags import (
    ATTENTION_NOTE,
    ATTENTION_TITLE,
    NO_ATTENTION,
    flag_texts,
    flagged,
)
from reports.renderers.formats import counted
from reports.renderers.i18n import gettext as _
from reports.renderers.i18n import ngettext
from reports.renderers.insight import (
    COHORT_TITLE,
    QUESTIONS_NOTE,
    QUESTIONS_TITLE,
    SINGLE_NOTE,
    cohort_table,
    questions_table,
)
from reports.renderers.pdf.chart import chart
from reports.renderers.pdf.fonts import REGULAR, register_fonts
from reports.renderers.pdf.heatmap import heat_map
from reports.renderers.pdf.layout import (
    DENSITIES,
    MARGIN,
    MM,
    MUTED,
    NORMAL,
    PAGE_W,
    TIGHTEST,
    WIDTH,
    Density,
    Later,
    Layout,
    Op,
    Page,
    ellipsis,
    text_width,
)
from reports.renderers.pdf.tables import table
from reports.renderers.pdf.writer import write_pdf
from reports.renderers.questions import numeric_columns, process_note, question_table
from reports.renderers.tables import (
    class_table,
    heat_map_omitted,
    report_summary,
    student_facts,
    student_heading,
    unit_table,
    visit_path,
)
from reports.report.model import ARROW, Report, StudentReport


def title(report: Report) -> str:
    n = len(report.students)
    if n == 1:
        return _("Activity report")
    return counted(
        ngettext("Activity report: %(count)s student", "Activity report: %(count)s students", n), n
    )


def layout_pdf(report: Report) -> list[Page]:
    """The pages as drawing operations, before they are written (tests inspect these)."""
    with i18n.override(report.language):
        return _layout(report)


def _layout(report: Report) -> list[Page]:
    register_fonts()
    layout = Layout()
    layout.new_page()
    layout.heading(title(report), 18, level=1)
    layout.paragraph(report_summary(report).split(" "), " ", colour=MUTED)
    layout.paragraph(process_note(report.carried).split(" "), " ", colour=MUTED, size=9)
    several = len(report.students) > 1
    layout.bookmarks = not several  # a class report's bookmarks are its sections
    page_refs: list[tuple[int, Later]] = []
    if several:
        layout.footer = layout.pages[-1].footer = _("Class overview")
        layout.section = layout.element("Sect", layout.document)
        page_refs = _class_section(layout, report)
    starts = []
    for index, student in enumerate(report.students):
        texts = _texts(report, index)
        starts.append(len(layout.pages) + (1 if several else 0))  # its first page's number
        _student_page(layout, report, student, texts, first=index == 0 and not several)
    for index, later in page_refs:  # "Needs attention" names each student's page
        later.fill(_("page %(number)s") % {"number": starts[index]})
    return layout.pages


def render_pdf(report: Report) -> bytes:
    """The document, every word in ``report.language`` (its /Lang and XMP say which)."""
    with i18n.override(report.language):
        pages = _layout(report)
        for number, page in enumerate(pages, start=1):
            page.ops.extend(_footer(page.footer, number, len(pages)))
        name = title(report)
    # The document's date is the report's last activity: the same input, the same bytes.
    date = report.last_activity.strftime("D:%Y%m%d%H%M%S+00'00'")
    outline = len(pages) > 1
    return write_pdf(pages, title=name, date=date, outline=outline, language=report.language)


def _footer(text: str, number: int, total: int) -> list[Op]:
    """The running footer: an artifact, as a screen reader should not read it on each page."""
    right = _("Page %(number)s of %(total)s") % {"number": number, "total": total}
    right_w = text_width(right, REGULAR, 7.5)
    left = ellipsis(text, WIDTH - right_w - 12)
    return [
        ("artifact", "footer"),
        ("text", MARGIN, MARGIN, REGULAR, 7.5, MUTED, left),
        ("text", PAGE_W - MARGIN - right_w, MARGIN, REGULAR, 7.5, MUTED, right),
        ("close",),
    ]


PAGE_REF_ROOM = 60.0  # points kept at the right of a "Needs attention" name: "page 12345"


def _needs_attention(layout: Layout, report: Report) -> list[tuple[int, Later]]:
    """The flagged students by name, each with the page its section starts on (filled in
    once the sections are laid out; they are bookmarked too), and the reasons."""
    layout.section.bookmark = _(ATTENTION_TITLE)
    layout.heading(_(ATTENTION_TITLE), 14, level=2)
    layout.paragraph(_(ATTENTION_NOTE).split(" "), " ", colour=MUTED)
    students = flagged(report)
    if not students:
        layout.paragraph(_(NO_ATTENTION).split(" "), " ")
    page_refs = []
    for index, _id, texts in students:
        heading = student_heading(report.students[index])
        layout.heading(heading, 10.5, 1.4, reserve=PAGE_REF_ROOM)
        assert layout.later is not None
        page_refs.append((index, layout.later))
        for text in texts:
            layout.paragraph(text.split(" "), " ", size=9)
    return page_refs


def _class_section(layout: Layout, report: Report) -> list[tuple[int, Later]]:
    """The class's pages; the student page references of "Needs attention" to fill in."""
    page_refs: list[tuple[int, Later]] = []
    if report.insight is not None:
        page_refs = _needs_attention(layout, report)
        layout.section = layout.element("Sect", layout.document)
        layout.section.bookmark = _(QUESTIONS_TITLE)
        layout.heading(_(QUESTIONS_TITLE), 14, level=2)
        layout.paragraph(_(QUESTIONS_NOTE).split(" "), " ", colour=MUTED)
        header, rows = questions_table(report)
        table(layout, header, rows, frozenset({1, 2, 3, 4}))
        layout.section = layout.element("Sect", layout.document)
    layout.heading(_("Class overview"), 14, level=2)
    layout.section.bookmark = _("Class overview")
    header, rows = class_table(report)
    table(layout, header, rows, frozenset({1, 2}))
    if report.class_summary.counts is None:  # over the heat map's budget: the units instead
        layout.heading(_("Events per unit"), 10.5, 1.4)
        layout.paragraph(heat_map_omitted(report).split(" "), " ")
        header, rows = unit_table(report)
        table(layout, header, rows, frozenset({1, 2}))
    else:
        heat_map(layout, report.class_summary)
    return page_refs


@dataclass(frozen=True, slots=True)
class _Texts:
    """What a student's section says, made once however many densities are tried."""

    facts: list[tuple[str, str]]
    order: list[str]  # the event order line's words
    visits: list[str]
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int]
    cohort: tuple[list[str], list[list[str]]]  # no rows without a class
    flags: list[str]


def _texts(report: Report, index: int) -> _Texts:
    student, zone = report.students[index], report.zone
    aliases = [q.alias for q in student.questions]
    words = ["Event Order:", *(aliases[i] for i in student.event_questions)]
    header, rows = question_table(student, zone, report.carried)
    return _Texts(
        facts=student_facts(student, zone),
        # "Event Order: Q1 -> Q2": the first separator is a plain space.
        order=[f"{words[0]} {words[1]}", *words[2:]],
        visits=visit_path(student).split(" → "),
        header=header,
        rows=rows,
        numeric=numeric_columns(student, report.carried),
        cohort=cohort_table(report, index),
        flags=flag_texts(report, index),
    )


def _student_page(
    layout: Layout, report: Report, student: StudentReport, texts: _Texts, first: bool
) -> None:
    """A student's section on one page when any density makes it fit, else flowing on at
    the normal density. Tried in the order normal, tightest, tight: at most three layouts."""
    layout.footer = student_heading(student)
    layout.section = layout.element("Sect", layout.document)
    if first:
        layout.pages[-1].footer = layout.footer
    else:
        layout.section.bookmark = layout.footer  # a class report's outline: each student
        layout.new_page()
    start = layout.mark()
    _student(layout, report, student, texts, NORMAL)
    if layout.pages_since(start) == 1:
        return
    normal = layout.back_to(start)
    if layout.pages_since(start) + len(normal.pages) > 2:  # no density saves a whole page
        layout.redo(normal)
        return
    _student(layout, report, student, texts, TIGHTEST)
    if layout.pages_since(start) > 1:
        layout.back_to(start)
        layout.redo(normal)
        return
    tightest = layout.back_to(start)
    for density in DENSITIES[1:-1]:
        _student(layout, report, student, texts, density)
        if layout.pages_since(start) == 1:
            return
        layout.back_to(start)
    layout.redo(tightest)


def _student(
    layout: Layout, report: Report, student: StudentReport, texts: _Texts, density: Density
) -> None:
    gap = density.heading_gap
    layout.heading(student_heading(student), 15, gap, level=2)
    namespace = _("Namespace: %(namespace)s") % {"namespace": student.namespace}
    layout.paragraph(namespace.split(" "), " ", colour=MUTED)
    facts = layout.element("L")
    for label, value in texts.facts:  # a list: each item a label and its value
        layout.need(density.fact_leading)
        layout.y -= density.fact_leading
        item = layout.element("LI", facts)
        layout.text(MARGIN, label, REGULAR, 9.5, MUTED, layout.element("Lbl", item))
        layout.text(MARGIN + 32 * MM, value, tag=layout.element("LBody", item))
    layout.y -= 6 * gap / 1.4
    if texts.flags:
        layout.heading(_(ATTENTION_TITLE), 11.5, gap)
        for text in texts.flags:
            layout.paragraph(text.split(" "), " ", size=9)
    layout.heading(_("Timeline"), 11.5, gap)
    chart(layout, report, student, density)
    layout.heading(_("Event order"), 11.5, gap)
    layout.paragraph(texts.order, ARROW, size=9)
    layout.heading(_("Visits"), 11.5, gap)
    layout.paragraph(texts.visits, " → ", size=9)
    title = _("Questions")
    table(layout, texts.header, texts.rows, texts.numeric, title=title, density=density)
    header, rows = texts.cohort
    if report.insight is None:
        layout.paragraph(_(SINGLE_NOTE).split(" "), " ", colour=MUTED, size=9)
    title = _(COHORT_TITLE)
    table(layout, header, rows, frozenset({1, 3, 5}), title=title, density=density)
