"""The reports as people see them: the HTML in headless Chromium, the PDF through pdftoppm.

Skipped when the tools are missing, unless REPORT_REQUIRE_INTEGRATION is set (CI).
Set REPORT_SCREENSHOT_DIR to keep the PNGs (that is how docs/report-*.png are made).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pypdf
import pytest

from reports.renderers import render
from reports.report.analysis import build_report
from reports.report.contract import StudentIn
from tests.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow  # make test-fast leaves it out (pyproject.toml)


def mixed_report(language: str = "en", names: tuple[str, ...] = ()):
    """Three students, four event types, a two-day idle gap, a Cyrillic name."""
    start = datetime(2024, 7, 22, 9, 0, tzinfo=UTC)
    types = ["saved_code", "run", "submission", "hint"]

    def events(seed: int, n: int, gap_after: int) -> list[dict]:
        out, t = [], start + timedelta(minutes=seed * 7)
        for k in range(n):
            t += timedelta(seconds=40 + (k * 37 + seed * 11) % 300)
            if k == gap_after:
                t += timedelta(days=2, hours=3)
            out.append(
                {
                    "type": types[(k * (seed + 1)) % 4 if k % 5 else 0],
                    "created_time": t.isoformat(),
                    "unit": (k // 6 + seed) % 7 + 1,
                }
            )
        return out

    students = [
        {
            "namespace": "course-2024",
            "student_id": "Дмитрий Шостакович",
            "events": events(0, 60, 30),
        },
        {"namespace": "course-2024", "student_id": "zoë.ångström", "events": events(1, 45, 20)},
        {"namespace": "course-2024", "student_id": "s-003", "events": events(2, 25, 99)},
    ]
    for student, name in zip(students, names, strict=False):
        student["student_id"] = name
    return build_report(
        [msgspec.convert(s, StudentIn) for s in students], idle_minutes=30, language=language
    )


def _tool(path: str) -> str:
    found = shutil.which(path)
    if found is None:
        message = f"{path} is not installed (apt-get install -y chromium poppler-utils)"
        if os.environ.get("REPORT_REQUIRE_INTEGRATION"):
            pytest.fail(message + "; REPORT_REQUIRE_INTEGRATION is set: no skipping")
        pytest.skip(message)
    return found


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit RGB/RGBA PNG (standard library only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 8 + length]
        elif kind == b"IDAT":
            idat.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def coloured_pixels(data: bytes) -> tuple[int, int]:
    """(pixels that are not near-white, pixels that are clearly coloured, not grey)."""
    width, _height, rows = png_pixels(data)
    bpp = len(rows[0]) // width
    ink = colour = 0
    for line in rows[::2]:
        for i in range(0, len(line), bpp * 2):
            r, g, b = line[i], line[i + 1], line[i + 2]
            if min(r, g, b) < 200:
                ink += 1
            if max(r, g, b) - min(r, g, b) > 80:
                colour += 1
    return ink, colour


def _keep(name: str, data: bytes) -> None:
    target = os.environ.get("REPORT_SCREENSHOT_DIR")
    if target:
        Path(target, name).write_bytes(data)


def test_html_screenshot_shows_the_report_and_its_charts(tmp_path: Path) -> None:
    chromium = _tool(CHROMIUM)
    report = mixed_report()
    html = render(report, "html").content
    assert html.count(b"<svg viewBox") == 3  # one chart per student
    page = tmp_path / "report.html"
    page.write_bytes(html)
    png = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            *CHROMIUM_ARGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1200,2000",
            "--hide-scrollbars",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    data = png.read_bytes()
    _keep("report-html.png", data)
    width, height, _ = png_pixels(data)
    assert (width, height) == (1200, 2000)
    ink, colour = coloured_pixels(data)
    assert ink > 5_000, "the page looks blank"
    assert colour > 200, "no coloured chart marks are visible"


def test_pdf_pages_are_a4_with_vector_charts(tmp_path: Path) -> None:
    pdftoppm = _tool("pdftoppm")
    report = mixed_report()
    pdf = render(report, "pdf").content
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 595
        assert round(float(page.mediabox.height)) == 842
    # The student pages carry the chart: its marks are round-capped strokes ("l S"), the
    # legend's swatches filled circles (Bézier curves), the segments filled rectangles.
    student_pages = [p for p in reader.pages if "Timeline" in p.extract_text()]
    assert len(student_pages) == 3
    for page in student_pages:
        contents = page.get_contents()
        assert contents is not None
        content = contents.get_data()
        assert content.count(b" l S") >= 20  # chart marks
        assert content.count(b" re f") >= 2  # shaded active segments
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-r", "50", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=90,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == len(reader.pages)
    for index, path in enumerate(pages):
        data = path.read_bytes()
        width, height, _ = png_pixels(data)
        assert (width, height) == (414, 585)  # A4 at 50 dpi
        ink, _colour = coloured_pixels(data)
        assert ink > 500, f"page {index + 1} looks blank"
    first_student = str(1 + [("Timeline" in p.extract_text()) for p in reader.pages].index(True))
    if os.environ.get("REPORT_SCREENSHOT_DIR"):  # the docs' pictures: sharper
        for number, name in (("1", "report-pdf-class.png"), (first_student, "report-pdf.png")):
            subprocess.run(
                [pdftoppm, "-r", "80", "-png", "-f", number, "-l", number, "-singlefile",
                 str(tmp_path / "report.pdf"), str(tmp_path / "docs")],
                check=True, capture_output=True, timeout=90,
            )  # fmt: skip
            _keep(name, (tmp_path / "docs.png").read_bytes())
    chart_page = pages[int(first_student) - 1]
    assert coloured_pixels(chart_page.read_bytes())[1] > 30, "no coloured chart marks"


def _chart_marks(page: Any) -> int:
    """A chart's marks on a page: round-capped strokes ("l S")."""
    contents = page.get_contents()
    return 0 if contents is None else contents.get_data().count(b" l S")


def test_a_hindi_pdf_page_is_drawn_with_its_script(tmp_path: Path) -> None:
    """The README's Hindi page: Devanagari words and a Devanagari student name, shaped
    (tests/test_pdf_scripts.py checks the glyphs; this one that the page is drawn)."""
    pdftoppm = _tool("pdftoppm")
    report = mixed_report("hi", ("अनन्या कृष्णमूर्ति",))
    (tmp_path / "report.pdf").write_bytes(render(report, "pdf").content)
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    marks = [_chart_marks(page) for page in reader.pages]
    first_student = 1 + [count >= 20 for count in marks].index(True)  # her timeline's page
    subprocess.run(
        [pdftoppm, "-r", "80", "-png", "-f", str(first_student), "-l", str(first_student),
         "-singlefile", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True, capture_output=True, timeout=90,
    )  # fmt: skip
    data = (tmp_path / "page.png").read_bytes()
    ink, colour = coloured_pixels(data)
    assert ink > 500 and colour > 30, "the Hindi page looks blank or has no chart"
    _keep("report-pdf-hi.png", data)
