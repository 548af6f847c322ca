from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import msgspec
import pypdf
import pytest

from reports.renderers import render
from reports.renderers.html import render_html
from reports.report.analysis import build_report
from reports.report.contract import StudentIn

NAMES = ["Zoë Ångström", "Дмитрий", "<script>alert(1)</script>"]


def report_for(names: list[str], events_each: int = 3):
    students = [
        msgspec.convert(
            {
                "namespace": f"ns & {i}",
                "student_id": name,
                "events": [
                    {
                        "type": "saved_code" if k % 2 else "run",
                        "created_time": f"2024-07-21T03:{k // 60 % 60:02d}:{k % 60:02d}Z",
                        "unit": (k * 7) % 5 + 1,
                    }
                    for k in range(events_each)
                ],
            },
            StudentIn,
        )
        for i, name in enumerate(names)
    ]
    return build_report(students, idle_minutes=30)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_a_standalone_document_with_every_fact_and_escaped_strings() -> None:
    report = report_for(NAMES)
    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>")
    parser = _Collector()
    parser.feed(html)
    text = "".join(parser.text)
    for student in report.students:
        assert f"Student ID: {student.student_id}" in text
        assert student.event_order_line in text
    assert "script" not in parser.tags  # the hostile name stayed text
    assert "&lt;script&gt;" in html
    assert "ns &amp; 0" in html
    for forbidden in ("src=", "@import", "url("):
        assert forbidden not in html  # no external requests
    # Only in-page links (Needs attention's, to a flagged student's section).
    assert all(link.startswith("#s") for link in re.findall(r'href="([^"]*)"', html))


def test_html_is_deterministic() -> None:
    assert render_html(report_for(NAMES)) == render_html(report_for(NAMES))


def pdf_text(content: bytes) -> str:
    """The text of every page without its running footer (student id, page n of m)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        lines = page.extract_text().splitlines()
        assert lines[-1] == f"Page {number} of {len(reader.pages)}"
        assert lines[-2].startswith(("Student ID: ", "Class overview"))
        pages.append("\n".join(lines[:-2]))
    return "\n".join(pages)


def test_pdf_holds_unicode_names_and_the_event_order() -> None:
    report = report_for(NAMES[:2])
    rendered = render(report, "pdf")
    assert rendered.content.startswith(b"%PDF-")
    text = pdf_text(rendered.content)
    for student in report.students:
        assert f"Student ID: {student.student_id}" in text
        assert student.event_order_line in text
    resources: list[Any] = [  # dictionaries, which pypdf types as any PDF object
        page["/Resources"] for page in pypdf.PdfReader(io.BytesIO(rendered.content)).pages
    ]
    fonts = {str(font.get_object()["/BaseFont"]) for r in resources for font in r["/Font"].values()}
    assert all("DejaVu" in f for f in fonts), fonts  # embedded TrueType, not the standard 14


def test_pdf_flows_10000_events_over_pages_without_losing_any() -> None:
    report = report_for(["big"], events_each=10_000)
    rendered = render(report, "pdf")
    reader = pypdf.PdfReader(io.BytesIO(rendered.content))
    assert len(reader.pages) > 3
    text = pdf_text(rendered.content)
    # The order line wraps over lines and pages; joined back it is complete.
    flat = " ".join(text.split())
    assert report.students[0].event_order_line in flat
    for page in reader.pages:  # nothing drawn outside the page
        assert float(page.mediabox.width) < 600


def test_pdf_is_deterministic() -> None:
    assert render(report_for(NAMES), "pdf").content == render(report_for(NAMES), "pdf").content


def report_of(students: list[dict], idle_minutes: float = 30):
    return build_report(
        [msgspec.convert(s, StudentIn) for s in students], idle_minutes=idle_minutes
    )


def test_html_chart_has_a_text_alternative_legend_and_one_mark_per_event() -> None:
    report = report_of(
        [
            {
                "namespace": "n",
                "student_id": "s",
                "events": [
                    {"type": "run", "created_time": "2024-01-01T10:00:00Z", "unit": 1},
                    {"type": "<b>odd</b>", "created_time": "2024-01-01T10:01:00Z", "unit": 2},
                    {"type": "run", "created_time": "2024-01-03T10:01:00Z", "unit": 1},
                ],
            }
        ]
    )
    html = render_html(report)
    assert html.count("<svg viewBox") == 1
    swatches = html.count('<circle cx="6" cy="6" r="5"')
    assert swatches == 2
    assert html.count("<circle cx") - swatches == 3  # one mark per event
    assert 'role="img"' in html and "<title id=" in html and "aria-describedby=" in html
    assert "1 idle stretch longer than 30 min is compressed" in html
    assert ">2 d 00 h</text>" in html  # the break says how long the stretch was
    assert "&lt;b&gt;odd&lt;/b&gt;" in html and "<b>" not in html
    assert "#0072B2" in html and "#E69F00" in html  # Okabe-Ito
    assert "Event Order: Q1 -> Q2 -> Q1" in html
    for forbidden in ("<script", "src=", "href=", "url(", "@import"):
        assert forbidden not in html


def _grid_student(name: str, units: Sequence[object]) -> dict:
    return {
        "namespace": "n",
        "student_id": name,
        "events": [
            {"type": "run", "created_time": f"2024-01-01T10:{i:02d}:00Z", "unit": u}
            for i, u in enumerate(units)
        ],
    }


def _heat_rows(html: str, caption: str = "Events per student and unit") -> list[list[str]]:
    start = html.index(f"<caption>{caption}")
    grid = html[start : html.index("</table>", start)]
    return [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", r) for r in grid.split("<tr>")[1:]]


def test_html_heat_map_has_a_row_per_student_a_number_per_cell_and_a_legend() -> None:
    report = report_of(
        [
            _grid_student("amy", [3, 3, "x"]),
            _grid_student("<b>bob</b>", ["3", 1]),
            _grid_student("cy", [1] * 9),
        ]
    )
    html = render_html(report)
    assert html.index('<h2 id="class-h">Class overview</h2>') < html.index("Student ID: amy")
    rows = _heat_rows(html)
    assert rows[0] == ["Student", "1", "3", "x"]  # one column per unit, in unit order
    assert rows[1:] == [
        ["amy", "0", "2", "1"],
        ["&lt;b&gt;bob&lt;/b&gt;", "1", "1", "0"],  # the id is escaped
        ["cy", "9", "0", "0"],
    ]
    assert "<b>bob" not in html
    # Shaded by count on one scale: 0 is white, the largest count the darkest shade.
    assert '<td class="h0">0</td>' in html and '<td class="h6">9</td>' in html
    assert '<td class="h1">1</td>' in html  # 1 of at most 9: the lightest shade
    assert ".h6{background:#084594;color:#fff}" in html  # white numbers on dark cells
    assert ".h4{background:#4292c6}" in html  # dark numbers on light cells
    legend = html[html.index('<ul class="legend heat-legend"') :]
    legend = legend[: legend.index("</ul>")]
    labels = re.findall(r"<li>(?:<span[^>]*></span>)?([^<]*)</li>", legend)
    assert labels == ["Events per cell:", "0", "1-2", "3", "4-5", "6", "7-8", "9"]


def test_heat_map_splits_many_units_into_tables_of_16_and_keeps_300_students_in_rows() -> None:
    many_units = report_of([_grid_student("a", list(range(40))), _grid_student("b", [1])])
    html = render_html(many_units)
    assert html.count("<caption>Events per student and unit (units ") == 3
    assert "(units 33-40 of 40)" in html
    assert len(_heat_rows(html, "Events per student and unit (units 17-32")[0]) == 17
    big = report_of([_grid_student(f"s{i}", [i % 7]) for i in range(300)])
    rows = _heat_rows(render_html(big))
    assert len(rows) == 301 and len(rows[0]) == 8  # a row per student, never a column each
    assert "Class overview" not in render_html(report_of([_grid_student("one", [1])]))


@pytest.mark.slow
def test_pdf_heat_map_rows_flow_over_pages_with_the_header_repeated() -> None:
    report = report_of([_grid_student(f"student-{i:03d}", [i % 3, 7]) for i in range(300)])
    reader = pypdf.PdfReader(io.BytesIO(render(report, "pdf").content))
    overview = [p.extract_text() for p in reader.pages]
    overview = [t for t in overview if t.splitlines()[-2] == "Class overview"]
    heat_pages = [t for t in overview if "student-299" in t or "Events per cell" in t]
    rows = [r for t in overview for r in re.findall(r"^student-\d{3} [01] [01] [01] 1$", t, re.M)]
    assert len(rows) == 300  # one row per student, the number in each cell
    pages_with_rows = [
        t for t in overview if re.search(r"^student-\d{3} [01] [01] [01] 1$", t, re.M)
    ]
    assert len(pages_with_rows) >= 4  # ~70 students a page
    for text in pages_with_rows:
        assert re.search(r"^Student 0 1 2 7$", text, re.M), text[:300]  # the header row
        assert len(re.findall(r"^student-\d{3} [01] [01] [01] 1$", text, re.M)) >= 5
    assert "Events per cell:" in heat_pages[-1]


def test_pdf_is_byte_identical_and_dated_by_the_last_activity() -> None:
    report = report_for(NAMES)
    first = render(report, "pdf").content
    assert render(report_for(NAMES), "pdf").content == first
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info is not None
    assert str(info["/CreationDate"]) == "D:20240721030002+00'00'" == str(info["/ModDate"])
    assert render(report, "html").content == render(report_for(NAMES), "html").content


def _text_ops(pages):
    for page in pages:
        for op in page.ops:
            if op[0] == "text":
                yield op[1], op[3], op[4], op[6]
            elif op[0] == "texts":
                for x, _y, s in op[4]:
                    yield x, op[1], op[2], s
            elif op[0] == "cells":
                for x, _y, s, _colour in op[3]:
                    yield x, op[1], op[2], s


def test_pdf_wide_tables_and_long_ids_stay_on_the_page() -> None:
    from reports.renderers.pdf import MARGIN, PAGE_W, layout_pdf, text_width

    types = [f"event type number {k}" for k in range(24)]
    long_id = "x" * 255
    report = report_of(
        [
            {
                "namespace": "n",
                "student_id": long_id,
                "events": [
                    {"type": t, "created_time": f"2024-01-01T10:{i:02d}:00Z", "unit": "a " * 40}
                    for i, t in enumerate(types)
                ],
            }
        ]
    )
    for x, font, size, s in _text_ops(layout_pdf(report)):
        assert x + text_width(s, font, size) <= PAGE_W - MARGIN + 0.5, s
    content = render(report, "pdf").content
    for number, page in enumerate(pypdf.PdfReader(io.BytesIO(content)).pages, start=1):
        footer = page.extract_text().splitlines()[-2]
        assert footer.startswith("Student ID: xxx") and footer.endswith("…")


def test_pdf_heat_map_with_long_ids_and_many_long_units_stays_on_the_page() -> None:
    from reports.renderers.pdf import MARGIN, PAGE_W, layout_pdf, text_width

    units = [f"unit with a rather long name {k}" for k in range(30)]
    report = report_of([_grid_student("y" * 200, units), _grid_student("short", units[:3])])
    pages = layout_pdf(report)
    for x, font, size, s in _text_ops(pages):
        assert x + text_width(s, font, size) <= PAGE_W - MARGIN + 0.5, s
    overview = [p for p in pages if p.footer == "Class overview"]
    upright = [op for p in overview for op in p.ops if op[0] == "vtext"]
    assert len(upright) == 30  # long unit names drawn upwards, once per unit
    labels = [op[-1] for op in upright]
    assert all("…" in s for s in labels) and len(set(labels)) == 30  # cut, still told apart
    assert any(s.endswith(" name 12") for s in labels)


def _check_large(report) -> None:
    from reports.renderers.pdf import layout_pdf

    html = render(report, "html").content.decode()
    for student in report.students:
        assert student.event_order_line in html
        assert sum(q.events for q in student.questions) == student.event_count
        assert sum(m.events for m in student.timeline.marks) == student.event_count
        assert len(student.timeline.marks) <= 600
    # The PDF's order lines, joined back over line and page breaks, are complete.
    pages = layout_pdf(report)
    text = " ".join(s for _x, _f, _s, s in _text_ops(pages))
    flat = " ".join(text.split())
    for student in report.students:
        assert student.event_order_line in flat
    pdf = render(report, "pdf").content
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == len(pages)


@pytest.mark.slow
def test_one_student_with_50000_events() -> None:
    report = report_for(["big"], events_each=50_000)
    assert report.event_count == 50_000
    _check_large(report)


@pytest.mark.slow
def test_300_students_with_100_events_each() -> None:
    report = report_for([f"student {i}" for i in range(300)], events_each=100)
    assert report.event_count == 30_000
    assert sum(report.class_summary.unit_totals) == 30_000
    _check_large(report)


def test_counts_are_singular_for_one() -> None:
    one = report_for(["solo"], events_each=1)
    html = render_html(one)
    assert "1 event, last activity" in html and "1 events" not in html
    assert "Timeline of 1 event on 1 question " in html
    assert "1 event, last activity" in " ".join(pdf_text(render(one, "pdf").content).split())
