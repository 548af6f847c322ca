"""How many bytes a request body may have: ``REPORT_MAX_BODY_BYTES``, or
``REPORT_MAX_CSV_BYTES`` for a ProgSnap2 table (``?input=progsnap2``), which is read row by
row and never held whole (the JSON it becomes is still held to ``REPORT_MAX_BODY_BYTES``).

One rule for the three places that apply it: the front, before Django (``front.py``), the
middleware, from the Content-Length alone, and the parser, as it reads."""

from __future__ import annotations

from urllib.parse import parse_qsl

STREAMED_INPUT = "progsnap2"


def streamed_input(query: str) -> bool:
    """``query`` (a raw query string) asks for ``?input=progsnap2``."""
    if "input" not in query:  # the usual request: no parsing
        return False
    return ("input", STREAMED_INPUT) in parse_qsl(query, keep_blank_values=True)


def body_limit(query: str, *, json_bytes: int, csv_bytes: int) -> int:
    return csv_bytes if streamed_input(query) else json_bytes
