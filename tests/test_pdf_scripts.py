"""Any script in the PDF: Devanagari, Arabic and CJK are drawn, shaped, and read back.

Two documents: a class report whose student ids and unit names are Hindi (conjuncts, the
vowel sign "ि" drawn before its consonant), Arabic (joined, right to left) and Chinese,
and a page of ordinary text, a Hindi paragraph wrapped over lines and a line mixing
scripts. No glyph drawn is .notdef (the missing box), pdftotext gives every string back,
the fonts are embedded subsets, the bytes are the same every time, and PDF/UA holds.
"""

from __future__ import annotations

import io
import itertools
import subprocess
import unicodedata
from functools import cache
from typing import Any

import msgspec
import page
import pdfua
import pikepdf
import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont

from reports.renderers import render
from reports.renderers.pdf.cidfonts import type0_objects
from reports.renderers.pdf.faces import CJK, DEVANAGARI, REGULAR, path
from reports.renderers.pdf.fonts import register_fonts, subset_objects
from reports.renderers.pdf.layout import WIDTH, Layout, _cut, ellipsis
from reports.renderers.pdf.shaping import runs
from reports.renderers.pdf.writer import write_pdf
from reports.report.analysis import build_report
from reports.report.contract import StudentIn
from tests.test_pdfua import FontCodes, shown_bytes, structure, to_unicode
from tests.test_visual import _tool

IDS = ["छात्र-क्षेत्र", "طالب", "学生一号", "किताब"]
UNITS = ["क्षेत्र", "कि", "وحدة", "单元"]
SENTENCE = (
    "यह रिपोर्ट हर छात्र की गतिविधि दिखाती है: किसने कौन सा प्रश्न खोला, कितनी बार कोड "
    "चलाया और कब उत्तर जमा किया। शिक्षक इससे समझ सकते हैं कि किस क्षेत्र में छात्रों को "
    "अधिक सहायता की आवश्यकता है।"
)
MIXED = "Student ID: طالب, छात्र and 学生 (Zoë)"
SIZE = 9.5


def _report() -> Any:
    students = [
        msgspec.convert(
            {
                "namespace": "ns",
                "student_id": student,
                "events": [
                    {
                        "type": "saved_code" if k % 2 else "run",
                        "created_time": f"2024-07-21T03:{k:02d}:00Z",
                        "unit": UNITS[(k + s) % len(UNITS)],
                    }
                    for k in range(12)
                ],
            },
            StudentIn,
        )
        for s, student in enumerate(IDS)
    ]
    return build_report(students, idle_minutes=30)


def _text_page() -> Any:
    register_fonts()  # as layout_pdf does
    layout = Layout()
    layout.new_page()
    layout.heading("हिंदी में रिपोर्ट", 18, level=1)
    layout.paragraph(SENTENCE.split(" "), " ", size=SIZE)
    layout.paragraph(MIXED.split(" "), " ", size=SIZE)
    return layout


@cache
def document(name: str) -> bytes:
    if name == "ids":
        return render(_report(), "pdf").content
    pages = _text_page().pages
    return write_pdf(pages, title="हिंदी में रिपोर्ट", date="D:20240721030000+00'00'")


DOCUMENTS = ("ids", "text")


def _shown(content: bytes) -> list[tuple[str, tuple[int, ...]]]:
    """(font's BaseFont, codes) of every Tj and TJ; a Type0 font's codes are glyph ids."""
    out: list[tuple[str, tuple[int, ...]]] = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for pdf_page in pdf.pages:
            fonts = {
                str(n): (str(f.BaseFont), to_unicode(f)) for n, f in pdf_page.Resources.Font.items()
            }
            current = ("", FontCodes(1, {}))  # set by the first Tf
            instructions: list[Any] = pikepdf.parse_content_stream(pdf_page)
            for operands, operator in instructions:
                op = str(operator)
                if op == "Tf":
                    current = fonts[str(operands[0])]
                elif op in ("Tj", "TJ"):
                    base, codes = current
                    out.append((base, tuple(codes.codes(shown_bytes(operands, op)))))
    return out


def _drawn(content: bytes) -> list[tuple[str, int]]:
    return [(base, code) for base, codes in _shown(content) for code in codes]


def _harfbuzz(face: str, text: str) -> tuple[int, ...]:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(hb.Face(hb.Blob.from_file_path(str(path(face))))), buffer, {})
    return tuple(info.codepoint for info in buffer.glyph_infos)


def test_the_glyphs_drawn_are_the_shaped_ones() -> None:
    """The glyph ids HarfBuzz gives (conjuncts, the vowel sign "ि" before its consonant,
    Arabic's joining forms, right to left), not the characters' own glyphs, are drawn."""
    shown = _shown(document("ids"))
    for face, word in [(DEVANAGARI, w) for w in ("छात्र", "क्षेत्र", "कि")] + [(REGULAR, "طالب")]:
        glyphs = _harfbuzz(face, word)
        nominal = tuple(
            hb.Font(hb.Face(hb.Blob.from_file_path(str(path(face))))).get_nominal_glyph(ord(c))
            for c in word
        )
        assert glyphs != nominal, word
        drawn = [codes for base, codes in shown if base.endswith("+" + face)]
        assert any(_contains(codes, glyphs) for codes in drawn), word


def _contains(codes: tuple[int, ...], part: tuple[int, ...]) -> bool:
    return any(codes[i : i + len(part)] == part for i in range(len(codes) - len(part) + 1))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_glyph_drawn_is_the_missing_box(name: str) -> None:
    """Code 0 is .notdef in every font: glyph id 0 of a Type0 font, and the missing-character
    box of a DejaVu subset (the byte path draws a character DejaVu lacks with it)."""
    drawn = _drawn(document(name))
    assert [d for d in drawn if d[1] == 0] == []
    faces = {base.split("+")[1] for base, _code in drawn}  # "/ABCDEF+name"
    assert {"NotoSansDevanagari-Regular", "NotoSansDevanagari-Bold"} <= faces
    if name == "ids":
        assert "DroidSansFallback" in faces


def _pdftotext(content: bytes) -> str:
    tool = _tool("pdftotext")
    text = subprocess.run([tool, "-", "-"], input=content, capture_output=True, check=True)
    # poppler marks a right-to-left run it turned back with RLE ... PDF (bidi controls).
    return unicodedata.normalize(
        "NFC", text.stdout.decode().translate({0x202B: None, 0x202C: None})
    )


def test_pdftotext_gives_back_every_id_and_unit() -> None:
    text = _pdftotext(document("ids"))
    for word in [*IDS, *UNITS]:
        assert unicodedata.normalize("NFC", word) in text, word
    assert "Student ID: छात्र-क्षेत्र" in text and "Student ID: طالب" in text


def test_pdftotext_gives_back_the_hindi_paragraph_and_the_mixed_line() -> None:
    words = " ".join(_pdftotext(document("text")).split())
    assert unicodedata.normalize("NFC", SENTENCE) in words
    assert MIXED in words


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_fonts_are_embedded_subsets(name: str) -> None:
    with pikepdf.open(io.BytesIO(document(name))) as pdf:
        fonts = {n: f for p in pdf.pages for n, f in p.Resources.Font.items()}
        assert any(f.Subtype == "/Type0" for f in fonts.values())
        for font in fonts.values():
            base = str(font.BaseFont)[1:]
            assert base[6] == "+" and base[:6].isupper(), base  # a subset's tag
            if font.Subtype != "/Type0":
                assert len(font.FontDescriptor.FontFile2.read_bytes()) < 100_000
                continue
            assert font.Encoding == "/Identity-H"
            (cid,) = font.DescendantFonts
            assert cid.Subtype == "/CIDFontType2" and cid.CIDToGIDMap == "/Identity"
            data = cid.FontDescriptor.FontFile2.read_bytes()
            assert len(data) < 400_000  # the CJK font is 4 MB; its subset is far less
            drawn = [int(g) for g in list(cid.W)[::2]]
            _same_outlines(TTFont(io.BytesIO(data)), base.split("+")[1], drawn)


def _same_outlines(embedded: TTFont, name: str, drawn: list[int]) -> None:
    """The glyphs drawn have their outlines, at their own ids; the others are empty."""
    original = TTFont(str(path({"DroidSansFallback": CJK}.get(name, name))))
    count = len(original.getGlyphOrder())
    assert len(embedded.getGlyphOrder()) == count

    def contours(font: TTFont, glyph: int) -> int:
        return int(font["glyf"][font.getGlyphName(glyph)].numberOfContours)

    parts = set()
    for glyph in drawn:
        assert contours(embedded, glyph) == contours(original, glyph), glyph
        outline = original["glyf"][original.getGlyphName(glyph)]
        if outline.isComposite():
            parts |= {original.getGlyphID(c.glyphName) for c in outline.components}
    assert all(contours(embedded, part) == contours(original, part) for part in parts)
    others = [g for g in range(1, count) if g not in drawn and g not in parts]
    assert not any(contours(embedded, g) for g in others), "only the glyphs drawn are kept"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_same_input_gives_the_same_bytes(name: str) -> None:
    """Shaped and subset afresh (the caches emptied), the bytes are the same."""
    first = document(name)
    for cached in (document, runs, type0_objects, subset_objects):
        cached.cache_clear()
    assert document(name) == first


@pytest.mark.parametrize("name", DOCUMENTS)
def test_pdfua_checkers_find_nothing(name: str, tmp_path: Any) -> None:
    content = document(name)
    report = page.validate_pdf_bytes(content, profile="ua1")
    assert [f"{f.rule_id}: {f.message}" for f in report.failures] == []
    file = tmp_path / "report.pdf"
    file.write_bytes(content)
    found = pdfua.validate(str(file))
    assert [f"{f.rule_id}: {f.message}" for f in found.findings] == []
    assert [f"{o.rule_id}: {o.skipped_reason}" for o in found.skipped] == []


def test_the_structure_says_the_strings_themselves() -> None:
    """The structure tree's text (ActualText where the glyphs are reordered) has each id."""
    found = structure(document("ids"))
    tagged = " ".join(t for p in found.pages for t in p.tagged.values())
    for word in [*IDS, *UNITS]:
        # Right-to-left glyphs are drawn in visual order, and read so without a bidi step
        # (which poppler, pdf.js and screen readers apply; pdftotext's test shows it).
        rtl = unicodedata.bidirectional(word[0]) == "AL"
        assert (word[::-1] if rtl else word) in tagged, word
    pages = structure(document("text")).pages
    said = "".join("".join(t.split()) for p in pages for t in p.tagged.values())
    assert "".join(SENTENCE.split()) in said


def _shaped(face: str, text: str, size: float) -> float:
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path(face)))))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    return sum(p.x_advance for p in buffer.glyph_positions) * size / font.face.upem


def _advance(text: str, size: float) -> float:
    """The width drawn, measured here with HarfBuzz itself: each word shaped in Noto Sans
    Devanagari, each space DejaVu's."""
    words = text.split(" ")
    space = _shaped(REGULAR, " ", size)
    return sum(_shaped(DEVANAGARI, w, size) for w in words) + space * (len(words) - 1)


def test_wrapping_and_ellipsis_use_the_shaped_widths() -> None:
    lines = [op[6] for op in _text_page().ops if op[0] == "text" and op[4] == SIZE]
    hindi = [line for line in lines if not line.startswith("Student")]
    assert len(hindi) >= 2  # the paragraph wraps
    for line, after in itertools.pairwise(hindi):
        assert _advance(line, SIZE) <= WIDTH
        # Greedy filling: the next line's first word would not have fitted.
        assert _advance(f"{line} {after.split(' ')[0]}", SIZE) > WIDTH
    cut = ellipsis(SENTENCE, 100, size=SIZE)
    assert cut.endswith("…") and _advance(cut[:-1], SIZE) <= 100
    assert _advance(SENTENCE[: len(cut)], SIZE) > 100 - SIZE  # "…" is about 1 em wide


def test_ellipsis_and_long_words_are_cut_between_clusters() -> None:
    """Never before a vowel sign or after a virama: "कि" and "क्ष" stay whole."""
    register_fonts()
    for room in range(20, 200, 3):
        kept = ellipsis(SENTENCE, room, size=SIZE)[:-1]
        after = SENTENCE[len(kept)]
        assert unicodedata.category(after)[0] != "M" and kept[-1:] != "\u094d", (room, kept)
    pieces = _cut("क्षेत्रकिताबक्षेत्र", REGULAR, SIZE, 25)
    assert len(pieces) > 1 and "".join(pieces) == "क्षेत्रकिताबक्षेत्र"
    assert all(p[0] not in "\u093f\u094d\u0947" for p in pieces), pieces


def test_a_character_no_font_has_is_the_replacement_character_and_reads_back() -> None:
    """Thai and emoji are in none of the fonts: "�" is drawn (not .notdef, which PDF/UA
    forbids), and text extraction still gives the characters themselves."""
    register_fonts()
    layout = Layout()
    layout.new_page()
    layout.heading("Scripts", 18, level=1)
    layout.paragraph("ไทย 😀 ok".split(" "), " ")
    content = write_pdf(layout.pages, title="Scripts", date="D:20240721030000+00'00'")
    assert [d for d in _drawn(content) if d[1] == 0] == []
    assert "ไทย 😀 ok" in _pdftotext(content)
    report = page.validate_pdf_bytes(content, profile="ua1")
    assert [f"{f.rule_id}: {f.message}" for f in report.failures] == []
