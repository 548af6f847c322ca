"""What a GET on a job's status URL answers, from its ``Accept`` header (RFC 9110 §12.5.1).

Only the finished report depends on it; unfinished jobs and errors are JSON whatever the
header says (``JsonOnly`` keeps DRF from answering 406 for them). The header is parsed
once, without DRF's negotiation machinery, and the parse of a recent header is reused:
clients send the same few headers over and over.

Why not Django's ``request.get_preferred_type()`` / ``accepts()`` (measured on Django
5.2.19 against tests/test_negotiation.py's 44 cases): they answer 5 of them otherwise, each
against RFC 9110 or a real client: ``application/pdf;q=0, */*`` (the specific range's q=0
must win over ``*/*``: Django accepts the PDF), ``text/html;level=1;q=0.9`` (a parameter
before q: Django reads the range as another type), a bare ``*`` (Java's URLConnection),
an empty header and a junk one (both read as "anything" here, as no header is). And they
cost 36-180 us of CPU per status read (parsing each request's header anew: no header,
``*/*``, Chrome's), where this takes 0.6-3.7 us.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

HTML = "text/html"
JSON = "application/json"
PDF = "application/pdf"

# (type, subtype, q) per media range; no header at all means "anything" (RFC 9110).
_Ranges = tuple[tuple[str, str, float], ...]
_ANYTHING: _Ranges = (("*", "*", 1.0),)


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 1.0  # a malformed weight: read it as the default, not as "never"
            return min(max(q, 0.0), 1.0) if q == q else 1.0  # q == q: not NaN
    return 1.0


@functools.lru_cache(maxsize=64)
def _parse(accept: str) -> _Ranges:
    ranges = []
    for item in accept.split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        if not media:
            continue
        if media == "*":  # some old clients (Java's URLConnection) send a bare "*"
            media = "*/*"
        kind, _, subtype = media.partition("/")
        ranges.append((kind, subtype or "*", _q(params)))
    return tuple(ranges) or _ANYTHING


def _quality(ranges: _Ranges, media_type: str) -> float:
    """The q of the most specific range that matches: type/subtype, then type/*, then */*."""
    kind, _, subtype = media_type.partition("/")
    best, best_q = -1, 0.0
    for r_kind, r_subtype, q in ranges:
        if r_kind == kind and r_subtype == subtype:
            rank = 2
        elif r_kind == kind and r_subtype == "*":
            rank = 1
        elif r_kind == "*" and r_subtype == "*":
            rank = 0
        else:
            continue
        if rank > best:
            best, best_q = rank, q
    return best_q


def finished_report_format(accept: str | None, kind: str) -> str:
    """How to answer for a finished job of ``kind`` ("html" or "pdf"): ``HTML``, ``PDF``
    or ``JSON`` (the status body).

    HTML endpoint: the document when the client prefers text/html over application/json
    (a browser's navigation, ``text/html``); on a tie (``*/*``, no header) the JSON body.
    PDF endpoint: the file whenever application/pdf is acceptable at all (``*/*``, no
    header, a browser); the JSON status only for a header that excludes it.
    """
    ranges = _parse(accept.strip()) if accept and accept.strip() else _ANYTHING
    if kind == "pdf":
        return PDF if _quality(ranges, PDF) > 0 else JSON
    return HTML if _quality(ranges, HTML) > _quality(ranges, JSON) else JSON


class JsonOnly(DefaultContentNegotiation):
    """Every DRF answer of the job endpoints is JSON: pick the JSON renderer without
    reading the Accept header, so no header earns a 406 (the view itself serves the HTML
    and PDF documents, through ``finished_report_format``). Parsers: DRF's own choice."""

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))  # the view's first renderer: JSON
        return renderer, renderer.media_type


CSV = "text/csv"
DATA_FORMATS = ("json", "csv")


def data_format(query: str | None, accept: str | None) -> str:
    """How ``…/data`` answers: "json" or "csv". ``?format=`` wins (ValueError for another
    value); else CSV when the Accept header prefers text/csv to application/json, else JSON
    (so ``*/*``, no header and a browser all get JSON)."""
    if query is not None:
        if query not in DATA_FORMATS:
            raise ValueError(f"Expected one of {', '.join(DATA_FORMATS)}, got {query[:40]!r}.")
        return query
    ranges = _parse(accept.strip()) if accept and accept.strip() else _ANYTHING
    return "csv" if _quality(ranges, CSV) > _quality(ranges, JSON) else "json"
