"""DejaVu Sans for the PDF: metrics, per-document character codes, and cached font subsets.

This is the byte path, a glyph per character, for the plain text most reports are made
of; text that needs shaping or another face is measured here from shaping.py's runs and
drawn by cidfonts.py.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import cast

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

from reports.renderers.pdf.faces import BOLD as BOLD  # the renderer's two font names
from reports.renderers.pdf.faces import FONT_DIR
from reports.renderers.pdf.faces import REGULAR as REGULAR
from reports.renderers.pdf.shaping import plain, runs

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_PREFIX = {REGULAR: "R", BOLD: "B"}  # resource names: /R0 is the regular base subset
# Page contents are compressed per document: level 3 costs half of zlib's default level for
# ~10% more bytes, and an 8 KB window with a small hash table (48 KB of state instead of
# 256 KB) makes the set-up of a one-page document cheap. The font subsets are built once
# per process, so they get the best level.
CONTENT_ZLIB = (3, zlib.DEFLATED, 13, 5)  # level, method, window bits, memory level
FONT_ZLIB = (9, zlib.DEFLATED, 15, 9)

# Subset 0 of each font is the same in every document, so it is built once per process:
# ASCII at its own codes (so ASCII text needs no mapping) and the few other characters
# the renderer writes itself. Anything else goes into per-document subsets 1, 2, ...
_OWN = "…→"
BASE: tuple[int, ...] = (0,) * 32 + tuple(range(32, 127)) + (0,) + tuple(ord(c) for c in _OWN)
_BASE_CODE = {ord(c): 128 + i for i, c in enumerate(_OWN)}
_OUTSIDE_BASE = re.compile(f"[^\x00-\x7f{_OWN}]")


@cache
def register_fonts() -> None:
    """Parse the fonts once per process (ReportLab keeps them for string widths)."""
    for name, file in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))


def width(text: str, font: str, size: float) -> float:
    """The advance of ``text``: shaped text's is the sum of its glyphs' shaped advances."""
    if plain(text, font):
        return float(pdfmetrics.stringWidth(text, font, size))
    return sum(
        run.width * size / 1000 if run.shaped else pdfmetrics.stringWidth(run.text, font, size)
        for run in runs(text, font)
    )


def _face(font: str) -> TTFontFace:
    register_fonts()
    # register_fonts registers every name this module uses as a TTFont (getFont says Font).
    return cast(TTFont, pdfmetrics.getFont(font)).face


@dataclass
class DocumentFonts:
    """The codes one document gives its characters, and the subsets it uses."""

    used: set[tuple[str, int]] = field(default_factory=set)
    _extra: dict[str, list[list[int]]] = field(default_factory=dict)
    _codes: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)

    def runs(self, font: str, text: str) -> list[tuple[str, str]]:
        """``text`` as (resource name, one byte per character) runs, one run per subset."""
        if text.isascii():  # the common case: all in the base subset, at their own codes
            self.used.add((font, 0))
            return [(_PREFIX[font] + "0", text)]
        if not _OUTSIDE_BASE.search(text):  # "Q1 → Q2": still one run in the base subset
            self.used.add((font, 0))
            return [(_PREFIX[font] + "0", text.translate(_BASE_CODE))]
        runs: list[tuple[str, str]] = []
        current, chars = -1, list[str]()
        for char in text:
            subset, code = self._code(font, ord(char))
            if subset != current and chars:
                runs.append((f"{_PREFIX[font]}{current}", "".join(chars)))
                chars = []
            current = subset
            chars.append(chr(code))
        runs.append((f"{_PREFIX[font]}{current}", "".join(chars)))
        return runs

    def _code(self, font: str, point: int) -> tuple[int, int]:
        if point == 0xA0:  # no-break space: drawn as a space
            point = 32
        if point < 128 or point in _BASE_CODE:
            self.used.add((font, 0))
            return 0, point if point < 128 else _BASE_CODE[point]
        codes = self._codes.setdefault(font, {})
        if point not in codes:
            codes[point] = self._assign(font, point)
        subset, code = codes[point]
        self.used.add((font, subset))
        return subset, code

    def _assign(self, font: str, point: int) -> tuple[int, int]:
        if point not in _face(font).charToGlyph:
            return 0, 0  # the font's "missing character" box, as ReportLab drew it
        extra = self._extra.setdefault(font, [])
        if not extra or len(extra[-1]) == 256:
            extra.append([0])  # code 0 of every subset is the missing-character box
        extra[-1].append(point)
        return len(extra), len(extra[-1]) - 1

    def subsets(self) -> list[tuple[str, SubsetObjects]]:
        """(resource name, objects) of every subset used, in a fixed order."""
        out = []
        for font, subset in sorted(self.used):
            codes = BASE if subset == 0 else tuple(self._extra[font][subset - 1])
            out.append((f"{_PREFIX[font]}{subset}", subset_objects(font, codes, subset)))
        return out


@dataclass(frozen=True, slots=True)
class SubsetObjects:
    """A font subset's PDF objects, except the numbers they get in a document."""

    font: str  # the Font dictionary, up to its references
    descriptor: str  # the FontDescriptor, up to its /FontFile2 reference
    font_file: bytes  # the compressed TrueType subset, as a stream object
    to_unicode: bytes  # the compressed ToUnicode CMap, as a stream object (text extraction)

    def bodies(self, first: int) -> list[bytes]:
        """The four objects numbered ``first`` (the Font) to ``first + 3``."""
        return [
            f"{self.font} /FontDescriptor {first + 1} 0 R /ToUnicode {first + 3} 0 R >>".encode(),
            f"{self.descriptor} /FontFile2 {first + 2} 0 R >>".encode(),
            self.font_file,
            self.to_unicode,
        ]


def stream(
    data: bytes, extra: str = "", zlib_args: tuple[int, int, int, int] = CONTENT_ZLIB
) -> bytes:
    packer = zlib.compressobj(*zlib_args)
    packed = packer.compress(data) + packer.flush()
    head = f"<< /Filter /FlateDecode /Length {len(packed)}{extra} >>\nstream\n"
    return head.encode() + packed + b"\nendstream"


_SUBSETTING = threading.Lock()  # TTFontFile reads through one shared file position


@lru_cache(maxsize=64)
def subset_objects(font: str, codes: tuple[int, ...], index: int) -> SubsetObjects:
    """Built once per process for the base subsets; the same codes give the same bytes."""
    face = _face(font)
    with _SUBSETTING:
        data = face.makeSubset(list(codes))
    tag = f"{index:06d}".translate(str.maketrans("0123456789", "ABCDEFGIJK"))
    name = f"{tag}+{face.name.decode('latin-1')}"
    widths = " ".join(f"{face.getCharWidth(c):g}" for c in codes)
    bbox = " ".join(f"{v:g}" for v in face.bbox)
    flags = (face.flags & ~32) | 4  # symbolic, as ReportLab marks its subsets
    return SubsetObjects(
        font=(
            f"<< /Type /Font /Subtype /TrueType /BaseFont /{name} /FirstChar 0 "
            f"/LastChar {len(codes) - 1} /Widths [{widths}]"
        ),
        descriptor=(
            f"<< /Type /FontDescriptor /FontName /{name} /Flags {flags} /FontBBox [{bbox}] "
            f"/ItalicAngle {face.italicAngle:g} /Ascent {face.ascent:g} "
            f"/Descent {face.descent:g} /CapHeight {face.capHeight:g} /StemV {face.stemV:g} "
            f"/MissingWidth {face.defaultWidth:g}"
        ),
        font_file=stream(data, f" /Length1 {len(data)}", FONT_ZLIB),
        to_unicode=stream(_cmap(name, codes), zlib_args=FONT_ZLIB),
    )


def _cmap(name: str, codes: tuple[int, ...]) -> bytes:
    pairs = [(i, chr(c)) for i, c in enumerate(codes) if c]
    return to_unicode_cmap((name, name, name), 2, len(codes) - 1, pairs)


def to_unicode_cmap(
    names: tuple[str, str, str], digits: int, last: int, pairs: Sequence[tuple[int, str]]
) -> bytes:
    """A ToUnicode CMap (text extraction): each code, of ``digits`` hex digits from 0 to
    ``last``, to the text it stands for. ``names``: its registry, ordering and CMap name."""
    registry, ordering, cmap_name = names
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        f"/CIDSystemInfo << /Registry ({registry}) /Ordering ({ordering}) /Supplement 0 >> def",
        f"/CMapName /{cmap_name} def /CMapType 2 def",
        f"1 begincodespacerange <{0:0{digits}X}> <{last:0{digits}X}> endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):  # at most 100 entries per block
        block = pairs[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        for code, text in block:
            lines.append(f"<{code:0{digits}X}> <{text.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode()
