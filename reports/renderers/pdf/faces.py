"""The font files the PDF draws with, and which of them draws a character.

DejaVu Sans draws Latin, Greek, Cyrillic, Arabic and Hebrew (its Arabic joining forms
shape well with HarfBuzz); Noto Sans Devanagari draws Hindi; Droid Sans Fallback draws
CJK (one 4 MB file instead of Noto Sans CJK's 16 MB and more) and has no bold.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import uharfbuzz as hb

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
DEVANAGARI, DEVANAGARI_BOLD = "NotoSansDevanagari-Regular", "NotoSansDevanagari-Bold"
CJK = "DroidSansFallbackFull"
# Every face drawn by glyph id, in a fixed order: its place names its PDF resource (/C0...).
FACES = (REGULAR, BOLD, DEVANAGARI, DEVANAGARI_BOLD, CJK)
# Which faces draw a character, first choice first, for the renderer's two font names.
FALLBACKS = {REGULAR: (REGULAR, DEVANAGARI, CJK), BOLD: (BOLD, DEVANAGARI_BOLD, CJK)}


def path(face: str) -> Path:
    return FONT_DIR / f"{face}.ttf"


@cache
def hb_font(face: str) -> hb.Font:
    """HarfBuzz's font, at the scale of the font's own units (its units per em)."""
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(path(face)))))


def upem(face: str) -> int:
    return int(hb_font(face).face.upem)


def glyph_of(face: str, char: str) -> int:
    """The glyph the font's cmap gives ``char``; 0 (.notdef) where it has none."""
    return hb_font(face).get_nominal_glyph(ord(char)) or 0


def face_for(font: str, char: str) -> str:
    """The first face that has ``char`` (else the first: it draws its missing box)."""
    choices = FALLBACKS[font]
    for face in choices:
        if glyph_of(face, char):
            return face
    return choices[0]
