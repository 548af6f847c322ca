"""The input contract: what a report request looks like. The one definition of it.

The msgspec types below are the rules. The fast path decodes a request body straight
into them in one native pass; the DRF serializers in ``serializers.py`` reuse the same
types field by field to name every bad field when a body is rejected. The worker decodes
the stored body with the same types, so what the API accepted is what the worker reads.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import msgspec

MAX_TEXT = 255

# Identifiers end up in headers, file names and PostgreSQL text/JSON (which cannot hold
# NUL), so NUL is refused here; event fields only reach the escaped report text.
Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT, pattern=r"^[^\x00]+$")]
EventText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
# JSON integers are accepted as units; Python's int has no bound, so keep them sane.
UnitNumber = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class EventIn(msgspec.Struct, frozen=True):
    type: EventText
    created_time: datetime
    unit: EventText | UnitNumber


class StudentIn(msgspec.Struct, frozen=True):
    namespace: Identifier
    student_id: Identifier
    events: Annotated[list[EventIn], msgspec.Meta(min_length=1)]


StudentList = Annotated[list[StudentIn], msgspec.Meta(min_length=1)]
RequestBody = StudentIn | StudentList

_decoder = msgspec.json.Decoder(RequestBody)
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def decode_students(body: bytes) -> list[StudentIn]:
    """Decode and validate a request body; raises msgspec.DecodeError/ValidationError,
    UnicodeDecodeError for invalid UTF-8 inside a string, RecursionError for deep nesting."""
    decoded = _decoder.decode(body)
    return [decoded] if isinstance(decoded, StudentIn) else decoded


def split_error(exc: msgspec.ValidationError) -> tuple[str, str]:
    """'Expected `int` - at `$[0].events[3].unit`' -> ('[0].events[3].unit', 'Expected `int`')."""
    text = str(exc)
    match = _PATH.search(text)
    if not match:
        return "", text
    return match.group("path").lstrip("."), text[: match.start()]


def unit_key(unit: str | int) -> str:
    """17 and "17" are the same unit."""
    return str(unit) if isinstance(unit, int) else unit


_INTEGER = re.compile(r"-?[0-9]+")


def unit_sort_key(unit: str) -> tuple[int, int, str]:
    """Integer units by value ("2" < "9" < "10"), then every other unit in string order."""
    if _INTEGER.fullmatch(unit):
        return (0, int(unit), unit)
    return (1, 0, unit)
