"""Shaped text in the PDF: fonts that address glyph ids, and the operators that draw runs.

A shaped run (shaping.py) is a list of glyph ids, which a simple TrueType font cannot
address. Each face drawn that way is one Type0 font per document: /Identity-H, so a
2-byte code is a CID, /CIDToGIDMap /Identity, so the CID is the glyph id, /W the widths of
the glyphs used, and a TrueType subset keeping those glyphs at their ids (truetype.py).
HarfBuzz's advances and offsets are kept with TJ adjustments (and Ts for a raised mark).

Text extraction: the ToUnicode map gives each glyph the characters it stands for (the
first ones it was drawn for in the document). Where the glyphs of a run, read in drawn
order, do not give its text back (a reordered vowel sign "कि", right-to-left text, a glyph
drawn for other characters before), the run is wrapped in a /Span with /ActualText.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache, lru_cache

from reports.renderers.pdf.faces import FACES, hb_font, upem
from reports.renderers.pdf.fonts import FONT_ZLIB, stream, to_unicode_cmap
from reports.renderers.pdf.shaping import Run
from reports.renderers.pdf.truetype import metrics, subset

_ADJUST = 0.05  # TJ adjustments smaller than this (1/1000 em) are left out


@dataclass
class DocumentGlyphs:
    """The glyphs one document draws by id, per face, with the text each stands for."""

    texts: dict[str, dict[int, str]] = field(default_factory=dict)

    def show(self, run: Run, size: float) -> tuple[str, list[str]]:
        """The resource name to select and the operators drawing ``run``."""
        mapped = self.texts.setdefault(run.face, {})
        for glyph, text in zip(run.glyphs, run.texts, strict=True):
            mapped.setdefault(glyph, text)
        ops = _operators(run, size)
        if not _reads_back(run, [mapped[g] for g in run.glyphs]):
            actual = ("\ufeff" + run.text).encode("utf-16-be").hex().upper()
            ops = [f"/Span <</ActualText <{actual}>>> BDC", *ops, "EMC"]
        return f"C{FACES.index(run.face)}", ops

    def fonts(self) -> list[tuple[str, Type0Objects]]:
        """(resource name, objects) of every face drawn by glyph id, in a fixed order."""
        return [
            (f"C{FACES.index(face)}", type0_objects(face, tuple(sorted(self.texts[face].items()))))
            for face in FACES
            if face in self.texts
        ]


def _reads_back(run: Run, texts: list[str]) -> bool:
    """Whether the glyphs' ToUnicode texts give the run's text back. Right-to-left glyphs
    are drawn in visual order, which extractors (poppler) turn back character by character,
    so there each glyph must stand for one character."""
    if run.rtl:
        return all(len(t) == 1 for t in texts) and "".join(reversed(texts)) == run.text
    return "".join(texts) == run.text


@cache
def advance(face: str, glyph: int) -> float:
    """A glyph's own advance in 1/1000 em, as /W states it."""
    return round(float(hb_font(face).get_glyph_h_advance(glyph)) * 1000 / upem(face), 1)


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _operators(run: Run, size: float) -> list[str]:
    """TJ arrays: before a glyph, the move to its offset; after it, the move from its own
    advance to the shaped one. A glyph raised or lowered (a mark) is drawn with Ts."""
    ops: list[str] = []
    items: list[str] = []
    rise, pending = 0.0, 0.0  # the current Ts (1/1000 em); the move owed before a glyph
    for glyph, (move, dx, dy) in zip(run.glyphs, run.moves, strict=True):
        if dy != rise:
            if items:
                ops.append(f"[{' '.join(items)}] TJ")
                items = []
            ops.append(f"{_number(dy * size / 1000)} Ts")
            rise = dy
        pending -= dx
        if abs(pending) >= _ADJUST:
            items.append(_number(pending))
        items.append(f"<{glyph:04X}>")
        pending = dx + advance(run.face, glyph) - move
    if abs(pending) >= _ADJUST:
        items.append(_number(pending))
    if items:
        ops.append(f"[{' '.join(items)}] TJ")
    if rise:
        ops.append("0 Ts")
    return ops


@dataclass(frozen=True, slots=True)
class Type0Objects:
    """A Type0 font's PDF objects, except the numbers they get in a document."""

    name: str
    widths: str  # the /W array's contents
    descriptor: str  # the FontDescriptor, up to its /FontFile2 reference
    font_file: bytes
    to_unicode: bytes

    def bodies(self, first: int) -> list[bytes]:
        """The five objects numbered ``first`` (the Type0 font) to ``first + 4``."""
        system = "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
        return [
            (
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{self.name} /Encoding /Identity-H "
                f"/DescendantFonts [{first + 1} 0 R] /ToUnicode {first + 4} 0 R >>"
            ).encode(),
            (
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{self.name} "
                f"/CIDSystemInfo {system} /FontDescriptor {first + 2} 0 R "
                f"/CIDToGIDMap /Identity /W [{self.widths}] >>"
            ).encode(),
            f"{self.descriptor} /FontFile2 {first + 3} 0 R >>".encode(),
            self.font_file,
            self.to_unicode,
        ]


@lru_cache(maxsize=32)
def type0_objects(face: str, glyphs: tuple[tuple[int, str], ...]) -> Type0Objects:
    """The same glyphs give the same bytes (the subset's tag is made from the glyph ids)."""
    ids = [glyph for glyph, _text in glyphs]
    data = subset(face, ids)
    digest = hashlib.md5(repr((face, ids)).encode(), usedforsecurity=False).digest()
    facts = metrics(face)
    name = "".join(chr(65 + b % 26) for b in digest[:6]) + "+" + str(facts["name"])
    descriptor = (
        f"<< /Type /FontDescriptor /FontName /{name} /Flags 4 /FontBBox [{facts['bbox']}] "
        f"/ItalicAngle {facts['italic']:g} /Ascent {facts['ascent']} "
        f"/Descent {facts['descent']} /CapHeight {facts['cap']} /StemV 80"
    )
    return Type0Objects(
        name=name,
        widths=" ".join(f"{g} [{advance(face, g):g}]" for g in ids),
        descriptor=descriptor,
        font_file=stream(data, f" /Length1 {len(data)}", FONT_ZLIB),
        to_unicode=stream(_cmap(glyphs), zlib_args=FONT_ZLIB),
    )


def _cmap(glyphs: tuple[tuple[int, str], ...]) -> bytes:
    return to_unicode_cmap(("Adobe", "UCS", "Adobe-Identity-UCS"), 4, 0xFFFF, glyphs)
