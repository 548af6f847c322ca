"""The PDF's page layout: a student on one page when possible, tables split sensibly."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import msgspec
import pypdf
import pytest

from reports.renderers import render
from reports.renderers.pdf.fonts import BASE, DocumentFonts
from reports.renderers.pdf.tables import split_rows
from reports.report.analysis import build_report
from reports.report.contract import StudentIn

HEADER = re.compile(r"^Question Unit Events .*Active time$", re.M)
QUESTION_ROW = re.compile(r"^Q\d+ \S+ \d+ ", re.M)


def student_report(questions: int, events: int, students: int = 1):
    start = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    body = [
        {
            "namespace": "course",
            "student_id": f"student-{s}",
            "events": [
                {
                    "type": ("saved_code", "run", "submission", "hint")[k % 4],
                    "created_time": (
                        start + timedelta(seconds=45 * k + k // 20 * 7200)
                    ).isoformat(),
                    "unit": (k // 3 + s) % questions,
                }
                for k in range(events)
            ],
        }
        for s in range(students)
    ]
    return build_report([msgspec.convert(b, StudentIn) for b in body], idle_minutes=30)


def page_texts(report) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(render(report, "pdf").content))
    return [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("events", [40, 60])
def test_a_student_with_8_questions_fits_on_one_page(events: int) -> None:
    pages = page_texts(student_report(8, events))
    assert len(pages) == 1
    assert len(QUESTION_ROW.findall(pages[0])) == 8
    assert "Event Order: Q1 -> Q1 -> Q1 -> Q2" in pages[0]


def test_every_student_of_a_class_gets_one_page() -> None:
    report = student_report(8, 40, students=12)
    pages = page_texts(report)
    student_pages = [p for p in pages if "Student ID: student-" in p.splitlines()[-2]]
    assert len(student_pages) == 12
    for number, text in enumerate(student_pages):
        assert f"Student ID: student-{number}\n" in text
        assert len(QUESTION_ROW.findall(text)) == 8


def test_60_questions_split_the_table_with_at_least_5_rows_and_the_header_on_every_page() -> None:
    pages = page_texts(student_report(60, 200))
    with_rows = [p for p in pages if QUESTION_ROW.search(p)]
    assert len(with_rows) >= 2
    for text in with_rows:
        assert len(HEADER.findall(text)) == 1  # the header row repeats on every page
        assert len(QUESTION_ROW.findall(text)) >= 5
    rows = [r for p in with_rows for r in QUESTION_ROW.findall(p)]
    assert [r.split()[0] for r in rows] == [f"Q{i}" for i in range(1, 61)]


def test_split_rows_keeps_5_rows_on_the_first_and_the_last_page() -> None:
    # 3 rows fit where the table would start: it starts on the next page instead.
    assert split_rows([10.0] * 20, 35.0, 100.0) == [0, 10, 10]
    # 12 rows: 10 fit a page, the last page borrows 3 so that it holds 5.
    assert split_rows([10.0] * 12, 100.0, 100.0) == [7, 5]
    # The first page holds 6, the rest would leave 1 alone: 2 pages of 5 and more.
    chunks = split_rows([10.0] * 17, 60.0, 100.0)
    assert sum(chunks) == 17 and all(c >= 5 for c in chunks if c), chunks
    # Fewer rows than 5 are never split.
    assert split_rows([10.0] * 3, 25.0, 100.0) == [0, 3]
    assert split_rows([10.0] * 3, 100.0, 100.0) == [3]


def test_the_base_font_subset_is_shared_and_other_characters_get_their_own() -> None:
    fonts = DocumentFonts()
    assert fonts.runs("DejaVuSans", "Q1 -> Q2") == [("R0", "Q1 -> Q2")]
    arrow = chr(BASE.index(ord("→")))
    assert fonts.runs("DejaVuSans", "Q1 → Q2…") == [("R0", f"Q1 {arrow} Q2{chr(BASE.index(8230))}")]
    runs = fonts.runs("DejaVuSans", "Zoë → Дмитрий")
    assert [r for r, _ in runs] == ["R0", "R1", "R0", "R1"]
    assert runs[2] == ("R0", " " + chr(BASE.index(ord("→"))) + " ")
    assert fonts.used == {("DejaVuSans", 0), ("DejaVuSans", 1)}


def test_unicode_names_survive_text_extraction() -> None:
    body = {
        "namespace": "ns",
        "student_id": "Zoë Ångström Дмитрий",
        "events": [{"type": "run", "created_time": "2024-01-01T00:00:00Z", "unit": "Ünit ж"}],
    }
    report = build_report([msgspec.convert(body, StudentIn)], idle_minutes=30)
    text = page_texts(report)[0]
    assert "Student ID: Zoë Ångström Дмитрий" in text
    assert "Ünit ж" in text
