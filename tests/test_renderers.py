from __future__ import annotations

import io
from html.parser import HTMLParser

import msgspec
import pypdf

from reports.analysis import build_report
from reports.contract import StudentIn
from reports.renderers import render
from reports.renderers.html import render_html

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
    for forbidden in ("src=", "href=", "@import", "url("):
        assert forbidden not in html  # no external requests


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
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in pypdf.PdfReader(io.BytesIO(rendered.content)).pages
        for font in page["/Resources"]["/Font"].values()
    }
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
