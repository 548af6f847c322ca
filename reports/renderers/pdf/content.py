"""A page's drawing operations as PDF content-stream operators (text, shapes, colours)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reports.renderers.pdf.cidfonts import DocumentGlyphs
from reports.renderers.pdf.fonts import DocumentFonts
from reports.renderers.pdf.shaping import plain, runs
from reports.renderers.pdf.tags import Elem

Colour = tuple[float, float, float]
_ESCAPE = str.maketrans({"\\": "\\\\", "(": "\\(", ")": "\\)", "\r": "\\r"})
# What an artifact is, by the name its operation gives it (the rest are plain /Artifact).
_ARTIFACTS = {
    "footer": "/Artifact <</Type /Pagination /Subtype /Footer>> BDC",
    "repeat": "/Artifact <</Type /Pagination>> BDC",  # a header row repeated on a new page
}


class Painter:
    """Writes one page at a time, setting a colour, line width or font only when it changes."""

    def __init__(self, fonts: DocumentFonts) -> None:
        self.fonts = fonts
        self.glyphs = DocumentGlyphs()  # the shaped text's fonts
        self.out: list[str] = []
        self.fill: Colour | None = None
        self.stroke: Colour | None = None
        self.line_width: float | None = None
        self.font: tuple[str, float] | None = None
        self.leading: float | None = None  # the font size TL was set for
        self.marks: list[Elem] = []  # the page's MCIDs: the element each belongs to
        self._ops: dict[str, Callable[..., None]] = {
            "text": self.text,
            "vtext": self.vtext,
            "texts": self.texts,
            "cells": self.cells,
            "line": self.line,
            "rect": self.rect,
            "circle": self.circle,
            "path": self.path,
            "dots": self.dots,
            "bars": self.bars,
            "open": self.open,
            "artifact": self.artifact,
            "close": self.close,
        }

    def page(self, ops: Iterable[tuple[Any, ...]]) -> bytes:
        self.out, self.marks = [], []
        # Each content stream starts in the default graphics state.
        self.fill = self.stroke = self.line_width = self.font = self.leading = None
        for op in ops:
            self._ops[op[0]](*op[1:])
        return "\n".join(self.out).encode("latin-1")

    def open(self, elem: Elem) -> None:
        """Content of ``elem`` follows, up to "close": a marked-content sequence."""
        self.out.append(f"/{elem.role} <</MCID {len(self.marks)}>> BDC")
        self.marks.append(elem)

    def artifact(self, kind: str = "") -> None:
        """What follows, up to "close", is no part of the text (rules, shades, footers)."""
        self.out.append(_ARTIFACTS.get(kind, "/Artifact BMC"))

    def close(self) -> None:
        self.out.append("EMC")

    def _set_fill(self, colour: Colour) -> None:
        if colour != self.fill:
            self.out.append(f"{colour[0]:.3f} {colour[1]:.3f} {colour[2]:.3f} rg")
            self.fill = colour

    def _set_stroke(self, colour: Colour, width: float) -> None:
        if colour != self.stroke:
            self.out.append(f"{colour[0]:.3f} {colour[1]:.3f} {colour[2]:.3f} RG")
            self.stroke = colour
        if width != self.line_width:
            self.out.append(f"{width:g} w")
            self.line_width = width

    def _show(self, font: str, size: float, s: str) -> None:
        if not plain(s, font):
            for run in runs(s, font):
                if run.shaped:
                    resource, ops = self.glyphs.show(run, size)
                    self._select(resource, size)
                    self.out.extend(ops)
                else:
                    self._bytes(font, size, run.text)
            return
        self._bytes(font, size, s)

    def _select(self, resource: str, size: float) -> None:
        if (resource, size) != self.font:
            self.out.append(f"/{resource} {size:g} Tf")
            self.font = (resource, size)

    def _bytes(self, font: str, size: float, s: str) -> None:
        """``s`` a byte per character, in DejaVu's simple TrueType subsets."""
        for resource, data in self.fonts.runs(font, s):
            self._select(resource, size)
            if "(" in data or ")" in data or "\\" in data or "\r" in data:
                data = data.translate(_ESCAPE)
            self.out.append(f"({data}) Tj")

    def _line_end(self, size: float) -> None:
        """Move to the next line, so text extraction sees a line end (as ReportLab wrote it)."""
        if size != self.leading:
            self.out.append(f"{size * 1.2:g} TL")
            self.leading = size
        self.out.append("T* ET")

    def text(
        self,
        x: float,
        y: float,
        font: str,
        size: float,
        colour: Colour,
        s: str,
        tag: Elem | None = None,
        matrix: str = "1 0 0 1",
    ) -> None:
        """A line of text; with ``tag``, marked as that element's content."""
        self._set_fill(colour)
        if tag is not None:
            self.open(tag)
        self.out.append(f"BT {matrix} {x:.2f} {y:.2f} Tm")
        self._show(font, size, s)
        self._line_end(size)
        if tag is not None:
            self.out.append("EMC")

    def vtext(
        self,
        x: float,
        y: float,
        font: str,
        size: float,
        colour: Colour,
        s: str,
        tag: Elem | None = None,
    ) -> None:
        """Text drawn upwards (a column header turned by 90 degrees)."""
        self.text(x, y, font, size, colour, s, tag, "0 1 -1 0")

    def texts(
        self,
        font: str,
        size: float,
        colour: Colour,
        items: list[tuple[float, float, str]],
        tags: list[Elem] | None = None,
    ) -> None:
        """Many strings of one font and colour (a table row) in one text object; with
        ``tags``, each string marked as its element's content (a row's cells; the lines of
        a wrapped cell, one after the other, in one marked-content sequence)."""
        self._set_fill(colour)
        self.out.append("BT")
        current = None
        for i, (x, y, s) in enumerate(items):
            if tags is not None and tags[i] is not current:
                if current is not None:
                    self.out.append("EMC")
                current = tags[i]
                self.open(current)
            self.out.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
            self._show(font, size, s)
        if current is not None:
            self.out.append("EMC")
        self.out.append("ET")

    def cells(self, font: str, size: float, items: list[tuple[float, float, str, Colour]]) -> None:
        """Strings of one font, each in its own colour (a heat-map row), in one text object."""
        self.out.append("BT")
        for x, y, s, colour in items:
            self._set_fill(colour)
            self.out.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
            self._show(font, size, s)
        self.out.append("ET")

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        colour: Colour = (0.8, 0.84, 0.87),
        width: float = 0.5,
    ) -> None:
        self._set_stroke(colour, width)
        self.out.append(f"{x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")

    def rect(self, x: float, y: float, w: float, h: float, fill: Colour) -> None:
        self._set_fill(fill)
        self.out.append(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re f")

    def circle(self, x: float, y: float, r: float, fill: Colour) -> None:
        self.dots([(x, y, r, fill)])

    def path(
        self,
        points: list[tuple[float, float]],
        colour: Colour,
        width: float,
        dash: tuple[float, float],
    ) -> None:
        """A dashed polyline, inside q/Q so the dash pattern does not leak."""
        moves = " ".join(f"{x:.2f} {y:.2f} {'l' if i else 'm'}" for i, (x, y) in enumerate(points))
        rgb = f"{colour[0]:.3f} {colour[1]:.3f} {colour[2]:.3f} RG"
        self.out.append(f"q {rgb} {width:g} w [{dash[0]:g} {dash[1]:g}] 0 d {moves} S Q")

    def dots(self, dots: list[tuple[float, float, float, Colour]]) -> None:
        # A zero-length line with round caps is a filled circle of the line's width: one
        # operator instead of four Bezier curves, for hundreds of chart marks.
        self._paint(
            "q 1 J",
            "RG",
            ((c, f"{2 * r:.2f} w {x:.2f} {y:.2f} m {x:.2f} {y:.2f} l S") for x, y, r, c in dots),
        )

    def bars(self, bars: list[tuple[float, float, float, float, Colour]]) -> None:
        self._paint(
            "q", "rg", ((c, f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re f") for x, y, w, h, c in bars)
        )

    def _paint(self, prologue: str, colour_op: str, shapes: Iterable[tuple[Colour, str]]) -> None:
        """Many small shapes inside q/Q, setting the colour only when it changes."""
        parts, current = [prologue], None
        for colour, operators in shapes:
            if colour != current:
                parts.append(f"{colour[0]:.3f} {colour[1]:.3f} {colour[2]:.3f} {colour_op}")
                current = colour
            parts.append(operators)
        parts.append("Q")
        self.out.append("\n".join(parts))
