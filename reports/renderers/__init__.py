"""Renderers draw a computed ``Report``; they compute nothing of their own.

Each renderer returns a ``Rendered`` (file name suffix, content type, bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reports.report.model import Report


@dataclass(frozen=True, slots=True)
class Rendered:
    extension: str
    content_type: str
    content: bytes


def render(report: Report, kind: str) -> Rendered:
    return RENDERERS[kind](report)


def _html(report: Report) -> Rendered:
    from reports.renderers.html import render_html

    return Rendered("html", "text/html; charset=utf-8", render_html(report).encode("utf-8"))


def _pdf(report: Report) -> Rendered:
    from reports.renderers.pdf import render_pdf

    return Rendered("pdf", "application/pdf", render_pdf(report))


def _json(report: Report) -> Rendered:
    from reports.renderers import i18n
    from reports.renderers.data import JSON_TYPE, report_json

    with i18n.override("en"):  # data: English keys and texts, whatever the language
        return Rendered("json", JSON_TYPE, report_json(report))


def _csv(report: Report) -> Rendered:
    from reports.renderers.data import CSV_TYPE, report_csv

    return Rendered("csv", CSV_TYPE, report_csv(report))


RENDERERS: dict[str, Callable[[Report], Rendered]] = {
    "html": _html,
    "pdf": _pdf,
    "json": _json,  # the figures as data (renderers/data.py)
    "csv": _csv,
}
