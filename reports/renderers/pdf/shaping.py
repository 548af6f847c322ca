"""Text that one glyph per character cannot draw, cut into runs and shaped with HarfBuzz.

Most report text (ASCII, Latin, Greek, Cyrillic) is "plain": fonts.py draws it a byte per
character, as it always did, and never comes here. A string with a complex script
(Devanagari's conjuncts and vowel signs, Arabic's joining forms) or a character DejaVu Sans
lacks is cut into runs of one face (faces.py picks it per character) and one direction.
Runs that DejaVu draws plainly stay on the byte path; the others are shaped, and their
glyphs, positions and the characters each glyph stands for are drawn by cidfonts.py.

Bidi is kept simple: the line reads left to right, and a run of right-to-left letters
(with the spaces and punctuation between them) is shaped right to left in its place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import uharfbuzz as hb

from reports.renderers.pdf.faces import face_for, glyph_of, hb_font, upem

# Characters that need shaping even where DejaVu has a glyph for each: combining marks,
# the scripts from Hebrew to Mongolian and Indic, joiners and bidi controls, CJK and after.
COMPLEX = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0590-\u1cff\u1dc0-\u1dff\u200c-\u200f\u202a-\u202e"
    "\u2066-\u2069\u20d0-\u20ff\u2e80-\U0010ffff]"
)
Move = tuple[float, float, float]  # a glyph's advance, x and y offset, in 1/1000 em


@dataclass(frozen=True, slots=True)
class Run:
    face: str
    text: str  # in logical order
    shaped: bool  # False: the byte path draws it, a glyph per character
    glyphs: tuple[int, ...] = ()  # glyph ids, in visual order (left to right)
    moves: tuple[Move, ...] = ()
    texts: tuple[str, ...] = ()  # per glyph: the characters it stands for
    width: float = 0.0  # the advances' sum, in 1/1000 em
    rtl: bool = False  # shaped right to left: its glyphs read backwards


def plain(text: str, font: str) -> bool:
    """Whether ``font``'s byte path draws ``text`` right: no shaping, no other face."""
    return text.isascii() or not _not_plain(font).search(text)


@cache
def _not_plain(font: str) -> re.Pattern[str]:
    """COMPLEX, and the characters before it that ``font`` lacks: one scan of a string."""
    has = set(hb_font(font).face.unicodes)
    lacks = [p for p in range(0x80, 0x2E80) if p not in has]
    ranges, start = [], 0
    for at, point in enumerate(lacks):  # runs of consecutive code points, as a-b
        if at + 1 == len(lacks) or lacks[at + 1] != point + 1:
            ranges.append(f"{re.escape(chr(lacks[start]))}-{re.escape(chr(point))}")
            start = at + 1
    return re.compile(f"{COMPLEX.pattern}|[{''.join(ranges)}]")


@lru_cache(maxsize=8192)
def runs(text: str, font: str) -> tuple[Run, ...]:
    """``text`` (not plain) as runs drawn one after the other, left to right."""
    out = []
    for face, rtl, chars in _pieces(text, font):
        if face == font and not rtl and not _not_plain(font).search(chars):
            out.append(Run(face, chars, shaped=False))
        else:
            out.append(_shape(face, chars, rtl))
    return tuple(out)


def can_cut(text: str, at: int) -> bool:
    """Whether ``text`` may be cut before ``text[at]`` ("…", a word wider than a line):
    not before a mark or joiner, nor after a virama (inside a conjunct or a cluster)."""
    if not 0 < at < len(text) or (text[at] < "\u0300" and text[at - 1] < "\u0300"):
        return True
    return _kind(text[at]) != "M" and unicodedata.combining(text[at - 1]) != 9


def _kind(char: str) -> str:
    """A character's part in a run: R (right to left), L, M (a mark or joiner: goes with
    the character before), or nothing (a space or punctuation: goes with its neighbours)."""
    if unicodedata.category(char)[0] == "M" or char in "\u200c\u200d":
        return "M"
    bidi = unicodedata.bidirectional(char)
    if bidi in ("R", "AL"):
        return "R"
    return "L" if bidi in ("L", "EN", "AN") else ""


def _pieces(text: str, font: str) -> list[tuple[str, bool, str]]:
    """(face, right to left, characters) of each run, in logical order. A space is always
    DejaVu's, so that a line is as wide as its words and spaces measured one by one."""
    kinds = [_kind(c) for c in text]
    faces: list[str] = []
    for char, kind in zip(text, kinds, strict=True):
        joins = kind == "M" or (not kind and char != " ")  # a mark, punctuation
        if faces and joins and (glyph_of(faces[-1], char) or char in "\u200c\u200d"):
            faces.append(faces[-1])  # stay in the run, if its font has them
        else:
            faces.append(face_for(font, char))
    rtl, before = [], ""
    for kind in kinds:  # the strong direction before each character
        before = kind if kind in ("R", "L") else before
        rtl.append(before)
    after = ""
    for i in range(len(text) - 1, -1, -1):  # a neutral between two RTL letters is RTL
        kind = kinds[i]
        if not kind or kind == "M":
            rtl[i] = "R" if rtl[i] == "R" and (after == "R" or kind == "M") else "L"
        after = kind if kind in ("R", "L") else after
    pieces: list[tuple[str, bool, str]] = []
    for char, face, direction in zip(text, faces, rtl, strict=True):
        key = (face, direction == "R")
        if pieces and pieces[-1][:2] == key:
            pieces[-1] = (*key, pieces[-1][2] + char)
        else:
            pieces.append((*key, char))
    return pieces


def _shape(face: str, text: str, rtl: bool) -> Run:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if rtl else "ltr"
    hb.shape(hb_font(face), buffer, {})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    scale = 1000 / upem(face)
    moves = tuple((p.x_advance * scale, p.x_offset * scale, p.y_offset * scale) for p in positions)
    glyphs = tuple(info.codepoint for info in infos)
    replacement = glyph_of(face, "\ufffd")
    if 0 in glyphs and replacement:  # a character no font has: "�", not the missing box
        wide = hb_font(face).get_glyph_h_advance(replacement) * scale
        moves = tuple((wide, 0.0, 0.0) if g == 0 else m for g, m in zip(glyphs, moves, strict=True))
        glyphs = tuple(replacement if g == 0 else g for g in glyphs)
    clusters = [info.cluster for info in infos]
    texts = _glyph_texts(face, text, glyphs, clusters)
    return Run(face, text, True, glyphs, moves, texts, sum(m[0] for m in moves), rtl)


def _glyph_texts(
    face: str, text: str, glyphs: tuple[int, ...], clusters: list[int]
) -> tuple[str, ...]:
    """The characters each glyph stands for: in a cluster (a conjunct, a letter and its
    vowel sign), a glyph that is a character's own glyph stands for it, and the first other
    glyph for the rest (a ligature: "त्र"); glyphs left over repeat the rest or the cluster.
    These make the ToUnicode map; ActualText says the run where they fall short."""
    starts = sorted(set(clusters))
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    members: dict[int, list[int]] = {}
    for index, cluster in enumerate(clusters):
        members.setdefault(cluster, []).append(index)
    out = [""] * len(glyphs)
    for start, indexes in members.items():
        chars = text[start : ends[start]]
        left, free = list(chars), []
        for index in indexes:
            own = next((c for c in left if glyph_of(face, c) == glyphs[index]), None)
            if own is None:
                free.append(index)
            else:
                out[index] = own
                left.remove(own)
        rest = "".join(left)
        for index in free:
            out[index] = rest or chars
        if rest and not free:
            out[indexes[0]] += rest
    return tuple(out)
