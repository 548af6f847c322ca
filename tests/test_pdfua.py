"""The PDF is tagged and meets PDF/UA-1: two checkers, and the structure read back with pikepdf.

Documents: the seed sample, a class of 12, one student with 10,000 events, and a class of
75 with 20 units (its tables and its two heat maps split over pages, header rows repeated),
a class whose units are listed in a table (over the heat map's budget), and a class with
attention flags and standings (tests/test_attention.py's).
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import page
import pdfua
import pikepdf
import pypdf
import pytest

from bench import payloads
from reports.renderers import render
from reports.renderers.tables import timeline_alt
from reports.report.analysis import build_report
from reports.report.contract import decode_students
from tests.test_attention import shown as attention_class
from tests.test_pdf_layout import student_report
from tests.test_renderers import report_for

pytestmark = pytest.mark.slow  # make test-fast leaves it out (pyproject.toml)

DOCUMENTS = (
    "seed",
    "class of 12",
    "10k events",
    "class of 75",
    "units listed",
    "class with flags",
)


@cache
def document(name: str) -> bytes:
    if name == "seed":
        report = build_report(decode_students(payloads.sample_body()), idle_minutes=30.0)
    elif name == "class of 12":
        report = student_report(8, 40, students=12)
    elif name == "10k events":
        report = report_for(["big"], events_each=10_000)
    elif name == "class with flags":  # Needs attention, Questions, standings, flags
        report = build_report(attention_class(), idle_minutes=30.0)
    elif name == "class of 75":
        report = student_report(20, 9, students=75)  # 20 units: two heat maps
    else:  # over the heat map's budget: a table of the units instead
        students = decode_students(payloads.class_body(6, 30))
        report = build_report(students, idle_minutes=30.0, heat_map_cells=10)
    return render(report, "pdf").content


@pytest.mark.parametrize("name", DOCUMENTS)
def test_page_finds_no_pdfua1_failure(name: str) -> None:
    """page (veraPDF's PDF/UA-1 rules in Rust): every rule it has passes."""
    report = page.validate_pdf_bytes(document(name), profile="ua1")
    failures = [f"{f.rule_id}: {f.message}" for f in report.failures]
    assert failures == [] and report.is_compliant
    assert report.rules.total > 100  # it ran its whole PDF/UA-1 profile


@pytest.mark.parametrize("name", DOCUMENTS)
def test_pdfua_finds_no_error_nor_warning(name: str, tmp_path: Path) -> None:
    """pdfua (the pikepdf-based checker the issue names): no finding, no rule skipped."""
    path = tmp_path / "report.pdf"
    path.write_bytes(document(name))
    report = pdfua.validate(str(path))
    assert [f"{f.rule_id}: {f.message}" for f in report.findings] == []
    assert [f"{o.rule_id}: {o.skipped_reason}" for o in report.skipped] == []
    assert len(report.outcomes) >= 12


# The structure, read back with pikepdf ---------------------------------------------------

_PAINT = {"Tj", "TJ", "'", '"', "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "sh"}
_TEXT = {"Tj", "TJ", "'", '"'}


@dataclass
class PageContent:
    """A page's text by marked-content sequence: MCID -> text, and the artifacts' text."""

    tagged: dict[int, str] = field(default_factory=dict)  # in the order drawn
    artifacts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # every string drawn, in order
    untagged: list[str] = field(default_factory=list)  # operators outside both


@dataclass(frozen=True)
class FontCodes:
    """A font's ToUnicode map and its code length: 1 byte, or 2 (a Type0 font's glyph ids)."""

    size: int
    text: dict[int, str]

    def codes(self, data: bytes) -> list[int]:
        return [int.from_bytes(data[i : i + self.size]) for i in range(0, len(data), self.size)]

    def decode(self, data: bytes) -> str:
        return "".join(self.text[code] for code in self.codes(data))


def to_unicode(font: Any) -> FontCodes:
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    size = 2 if font.Subtype == "/Type0" else 1
    pairs = re.findall(rf"<([0-9A-F]{{{2 * size}}})> <([0-9A-F]{{4,}})>", cmap)
    return FontCodes(size, {int(c, 16): bytes.fromhex(t).decode("utf-16-be") for c, t in pairs})


def shown_bytes(operands: Any, op: str) -> bytes:
    """The string a Tj shows, or a TJ array's strings (its numbers only move the pen)."""
    if op == "TJ":
        return b"".join(bytes(item) for item in operands[0] if isinstance(item, pikepdf.String))
    return bytes(operands[0])


def read_page(pdf_page: pikepdf.Page) -> PageContent:
    """The text drawn, by the fonts' ToUnicode maps; a shaped run's /Span /ActualText is
    its text in the structure (its glyphs may be reordered or stand for several characters)."""
    fonts = {name: to_unicode(font) for name, font in pdf_page.Resources.Font.items()}
    out, stack, font = PageContent(), list[tuple[str, int | None]](), FontCodes(1, {})
    actual: list[str | None] = []  # per open sequence: the ActualText it says, if any
    instructions: list[Any] = pikepdf.parse_content_stream(pdf_page)
    for operands, operator in instructions:
        op = str(operator)
        if op in ("BDC", "BMC"):
            tag = str(operands[0])[1:]
            props = operands[1] if op == "BDC" else None
            mcid = int(props.MCID) if props is not None and "/MCID" in props else None
            # Neither tagged content nor artifacts are nested in the other; a shaped run's
            # span (no MCID) is nested in either.
            nested = tag == "Span" and mcid is None
            assert nested or not any(t == "Artifact" or m is not None for t, m in stack), (
                tag,
                stack,
            )
            stack.append((tag, mcid))
            said = props.get("/ActualText") if props is not None else None
            actual.append(None if said is None else str(said))
            if mcid is not None:
                assert mcid not in out.tagged, f"MCID {mcid} used twice"
                out.tagged[mcid] = ""
        elif op == "EMC":
            stack.pop()
            actual.pop()
        elif op == "Tf":
            font = fonts[str(operands[0])]
        elif op in _PAINT:
            text = font.decode(shown_bytes(operands, op)) if op in _TEXT else f"<{op}>"
            if op in _TEXT:
                out.texts.append(text)
                spans = [i for i, a in enumerate(actual) if a is not None]
                if spans:  # the span's text, once, in the place of its glyphs
                    text, actual[spans[-1]] = actual[spans[-1]] or "", ""
            owner = next(
                ((t, m) for t, m in reversed(stack) if t == "Artifact" or m is not None), None
            )
            if owner is None:
                out.untagged.append(text)
            elif owner[0] == "Artifact":
                out.artifacts.append(text)
            elif op in _TEXT:  # the lines of one sequence (a wrapped cell), spaced
                mcid = owner[1]
                out.tagged[mcid] = f"{out.tagged[mcid]} {text}" if out.tagged[mcid] else text  # type: ignore[index]
    assert stack == [], "a marked-content sequence is left open at the end of the page"
    return out


@dataclass
class Structure:
    pdf: pikepdf.Pdf
    pages: list[PageContent]
    order: list[tuple[str, Any]]  # (role, element), depth first
    content: list[tuple[Any, int, int]]  # (element, page, MCID) in tree order


@cache
def structure_of(name: str) -> Structure:
    return structure(document(name))


def structure(content: bytes) -> Structure:
    pdf = pikepdf.open(io.BytesIO(content))
    index = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    result = Structure(pdf, [read_page(p) for p in pdf.pages], [], [])

    def walk(elem: Any) -> None:
        result.order.append((str(elem.S)[1:], elem))
        kids = elem.K if isinstance(elem.K, pikepdf.Array) else [elem.K]
        for kid in kids:
            if isinstance(kid, int):
                result.content.append((elem, index[elem.Pg.objgen], kid))
            elif kid.get("/Type") == "/MCR":
                result.content.append((elem, index[kid.Pg.objgen], int(kid.MCID)))
            else:
                assert kid.P.objgen == elem.objgen, "a child's /P is not its parent"
                walk(kid)

    root: Any = pdf.Root.StructTreeRoot
    for top in root.K if isinstance(root.K, pikepdf.Array) else [root.K]:
        walk(top)
    return result


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_piece_of_page_content_is_tagged_or_an_artifact(name: str) -> None:
    found = structure_of(name)
    for number, content in enumerate(found.pages, start=1):
        assert content.untagged == [], f"page {number}: drawn outside any marked content"
    # Every MCID on a page belongs to exactly one element, which the parent tree names.
    owned = {(p, m) for _e, p, m in found.content}
    assert len(owned) == len(found.content)
    drawn = {(p, m) for p, content in enumerate(found.pages) for m in content.tagged}
    assert owned == drawn
    parents = found.pdf.Root.StructTreeRoot.ParentTree.Nums
    for number, pdf_page in enumerate(found.pdf.pages):
        assert pdf_page.obj.StructParents == number and pdf_page.obj.Tabs == "/S"
        assert parents[2 * number] == number
        owners = parents[2 * number + 1]
        for elem, p, mcid in found.content:
            if p == number:
                assert owners[mcid].objgen == elem.objgen


@pytest.mark.parametrize("name", DOCUMENTS)
def test_figures_say_what_they_show_and_tables_have_scoped_headers(name: str) -> None:
    found = structure_of(name)
    figures = [e for role, e in found.order if role == "Figure"]
    assert figures, "the timeline (and a class's heat map) are figures"
    for figure in figures:
        assert len(str(figure.get("/Alt", ""))) > 40, "a figure without a text alternative"
    tables = [e for role, e in found.order if role == "Table"]
    assert tables
    for table in tables:
        rows = list(table.K) if isinstance(table.K, pikepdf.Array) else [table.K]
        assert all(str(r.S) == "/TR" for r in rows) and len(rows) >= 2
        cells = [list(r.K) for r in rows]
        assert len({len(c) for c in cells}) == 1, "rows of different lengths"
        assert [str(c.S) for c in cells[0]] == ["/TH"] * len(cells[0])
        assert {str(c.A.Scope) for c in cells[0]} == {"/Column"}
        for row in cells[1:]:  # each row's first cell heads the row, the rest are data
            assert str(row[0].S) == "/TH" and str(row[0].A.Scope) == "/Row"
            assert {str(c.S) for c in row[1:]} <= {"/TD"}


def test_the_figures_text_alternatives_name_what_they_show() -> None:
    found = structure_of("class of 12")
    alts = [str(e.Alt) for role, e in found.order if role == "Figure"]
    heat, timelines = alts[0], alts[1:]
    assert heat.startswith("Heat map of events per student and unit: 12 students in rows, ")
    assert "Busiest unit: 3 (64 events, 12 students). Quietest unit: 0 (56 events" in heat
    assert len(timelines) == 12
    assert timelines[0].startswith("Timeline of 40 events on 8 questions from 2024-07-01 ")
    for words in ("Events per question: Q1 6, Q2 6,", "Longest gap between two events: 2 h"):
        assert words in timelines[0]
    # Many questions: the first 12 are named, the table has the rest.
    report = student_report(30, 90)
    alt = timeline_alt(report, report.students[0])
    assert "Q11 3, Q12 3 and 18 more questions (in the Questions table)." in alt


@pytest.mark.parametrize("name", DOCUMENTS)
def test_headings_nest_without_skipping_a_level(name: str) -> None:
    found = structure_of(name)
    levels = [int(role[1]) for role, _e in found.order if re.fullmatch(r"H[1-6]", role)]
    assert levels[0] == 1 and levels.count(1) == 1  # the report's title
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    texts = _texts_by_element(found)
    h2 = [texts[e.objgen] for role, e in found.order if role == "H2"]
    students = [t for t in h2 if t.startswith("Student ID: ")]
    assert len(students) == {
        "class of 12": 12,
        "class of 75": 75,
        "units listed": 6,
        "class with flags": 30,
    }.get(name, 1)


def _texts_by_element(found: Structure) -> dict[tuple[int, int], str]:
    texts: dict[tuple[int, int], list[str]] = {}
    for elem, p, m in found.content:
        texts.setdefault(elem.objgen, []).append(found.pages[p].tagged[m])
    return {objgen: " ".join(parts) for objgen, parts in texts.items()}


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_structure_trees_text_is_the_visible_text_in_reading_order(name: str) -> None:
    """The tree read in order says what the pages show, less the artifacts (the running
    footers, a table's header row repeated on a continued page), in the order drawn."""
    content = document(name)
    found = structure_of(name)
    # What the pages show (pypdf's extraction) is what was read from them, in order...
    for number, pdf_page in enumerate(pypdf.PdfReader(io.BytesIO(content)).pages):
        shown = "".join(_words(pdf_page.extract_text()))
        assert shown == "".join(_words(" ".join(found.pages[number].texts)))
    # ...and the tree's text in tree order is its tagged part, in the order drawn.
    tree_text = " ".join(found.pages[p].tagged[m] for _e, p, m in found.content)
    drawn = " ".join(t for content_of in found.pages for t in content_of.tagged.values())
    assert _words(tree_text) == _words(drawn)
    # The artifacts are footers and repeated header rows, nothing else.
    header_words = {  # the words of the column headers
        word
        for e, p, m in found.content
        if str(e.S) == "/TH" and str(e.A.Scope) == "/Column"
        for word in found.pages[p].tagged[m].split()
    }
    for number, content_of in enumerate(found.pages, start=1):
        texts = [t for t in content_of.artifacts if not t.startswith("<")]
        assert texts[-1] == f"Page {number} of {len(found.pages)}"
        assert texts[-2].startswith(("Student ID: ", "Class overview"))
        assert {w for t in texts[:-2] for w in t.split()} <= header_words, texts[:-2]
    if name == "class of 75":  # its tables continue on a second page
        assert any(len(c.artifacts) > 2 for c in found.pages)


def test_a_class_report_has_a_bookmark_per_student_and_the_document_claims_pdfua() -> None:
    found = structure_of("class of 12")
    pdf = found.pdf
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        dests: list[Any] = [item.destination for item in outline.root]
        pages = [pdf.pages.index(pikepdf.Page(dest[0])) for dest in dests]
    sections = ["Needs attention", "Questions", "Class overview"]
    assert titles == sections + [f"Student ID: student-{i}" for i in range(12)]
    for title, number in zip(titles, pages, strict=True):  # the page its heading is on
        assert title in found.pages[number].tagged.values()
    assert pdf.pdf_version == "1.7"
    root: Any = pdf.Root
    assert root.Lang == "en" and bool(root.MarkInfo.Marked)
    assert bool(root.ViewerPreferences.DisplayDocTitle)
    meta = pdf.open_metadata()
    assert meta["dc:title"] == str(pdf.docinfo.Title) == "Activity report: 12 students"
    assert meta["pdfuaid:part"] == "1"
    with pikepdf.open(io.BytesIO(document("seed"))) as single:
        assert "/Outlines" not in single.Root  # one page: nothing to jump between


def test_a_long_report_on_one_student_has_a_bookmark_per_heading() -> None:
    found = structure_of("10k events")
    pdf = found.pdf
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        dests: list[Any] = [item.destination for item in outline.root]
    headings = ["Needs attention", "Timeline", "Event order", "Visits", "Questions"]
    assert titles == ["Student ID: big", *headings]  # it runs 5,000 times: stuck in runs
    for title, dest in zip(titles, dests, strict=True):
        assert title in found.pages[pdf.pages.index(pikepdf.Page(dest[0]))].tagged.values()
