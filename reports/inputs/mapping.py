"""The per-request mapping that overrides a format's defaults (docs/api.md, "Other input
formats"), and the small helpers every format shares: where a field is, which of the
service's types an event becomes, and the time zones."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Annotated, Any

import msgspec
import orjson

from reports.errors import InvalidInput
from reports.report.contract import EventText, check_timezone, split_error

# A field path: names joined by dots, a list item by its number ("actor.account.name",
# "context.contextActivities.parent.0.id"); for ProgSnap2, one column name.
FieldPath = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$",
        description="A field path: names joined by dots, a list item by its number "
        '("actor.account.name"); for ProgSnap2, a column name.',
    ),
]
TypeKey = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]


class MappingIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``?mapping=``: which of the service's event types each of the format's event kinds
    becomes (a verb IRI, an EventType, an action), ``null`` to ignore it; and, optionally,
    the fields the unit and the student are read from."""

    types: dict[TypeKey, EventText | None] = msgspec.field(default_factory=dict)
    unit: FieldPath | None = None
    student: FieldPath | None = None


def parse_mapping(mapping: bytes | str | Mapping[str, Any] | None) -> MappingIn:
    """The mapping as JSON text or decoded; a bad one is a 400 naming ``mapping.<key>``."""
    if mapping is None:
        return MappingIn()
    try:
        data = orjson.loads(mapping) if isinstance(mapping, bytes | str) else dict(mapping)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("The mapping is invalid.", errors={"mapping": [str(exc)]}) from None
    try:
        return msgspec.convert(data, MappingIn)
    except msgspec.ValidationError as exc:
        path, message = split_error(exc)
        if path.startswith("types[") and isinstance(data.get("types"), dict):
            path, message = _bad_type(data["types"]) or (path, message)
        unknown = _UNKNOWN.match(message)
        if unknown:
            path, message = unknown["name"], "Unknown field: expected types, unit or student."
        where = f"mapping.{path}" if path else "mapping"
        raise InvalidInput("The mapping is invalid.", errors={where: [message]}) from None


_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`")


def _bad_type(types: dict[Any, Any]) -> tuple[str, str] | None:
    """The first bad entry of ``types``, named by its key (msgspec names it ``[...]``)."""
    for key, value in types.items():
        for item, type_ in ((key, TypeKey), (value, EventText | None)):
            try:
                msgspec.convert(item, type_)
            except msgspec.ValidationError as exc:
                return f"types.{key}", split_error(exc)[1]
    return None


# One level of a JSON document with its items left undecoded (msgspec.Raw: views into the
# document, no copy): a big body is then decoded one statement or event at a time, and its
# Python objects freed as it goes (a 64 MB body of statements decoded whole held 1.1 GB).
_LEVEL = msgspec.json.Decoder(list[msgspec.Raw] | dict[str, msgspec.Raw])


def json_level(document: bytes | msgspec.Raw) -> list[msgspec.Raw] | dict[str, msgspec.Raw] | None:
    """A JSON array's items or an object's members, undecoded; None for any other value.
    Raises msgspec.DecodeError for a document that is not JSON (nor UTF-8)."""
    try:
        level: list[msgspec.Raw] | dict[str, msgspec.Raw] = _LEVEL.decode(document)
    except msgspec.ValidationError:  # valid JSON, neither array nor object
        return None
    return level


def json_item(item: msgspec.Raw) -> Any:
    return msgspec.json.decode(item)


_MISSING = object()


def field_at(data: Any, path: str) -> Any:
    """The value at a dotted path, or ``_MISSING``."""
    for name in path.split("."):
        if isinstance(data, dict):
            data = data.get(name, _MISSING)
        elif isinstance(data, list) and name.isdigit() and int(name) < len(data):
            data = data[int(name)]
        else:
            return _MISSING
        if data is _MISSING:
            return _MISSING
    return data


def text_at(data: Any, path: str) -> str:
    """The text at a path (a JSON number as its text), or ValueError naming what is wrong."""
    value = field_at(data, path)
    if value is _MISSING or value is None:
        raise ValueError("This field is required.")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"Expected a text, got {type(value).__name__}.")
    return str(value)


def our_type(mapping: MappingIn, defaults: Mapping[str, str | None], key: str) -> str | None:
    """The service's type for a format's event kind: the mapping's, else the default's."""
    if key in mapping.types:
        return mapping.types[key]
    return defaults.get(key)


_OFFSET = re.compile(r"^(?P<sign>[+-])(?P<h>[0-9]{2}):?(?P<m>[0-9]{2})?$")


def zone(text: str) -> tzinfo:
    """A time zone as ProgSnap2 writes one: an offset ("+0100", "-05:00", "+01"), "0", "Z"
    or "UTC", or an IANA name ("Europe/Berlin"); ValueError for anything else."""
    text = text.strip()
    if text in {"0", "Z", "z", "UTC", "GMT", "+0", "-0"}:
        return UTC
    match = _OFFSET.match(text)
    if match:
        hours, minutes = int(match["h"]), int(match["m"] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"The offset {text!r} is out of range.")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if match["sign"] == "-" else delta)
    check_timezone(text)  # only the names the server's database has (no file paths)
    return zoneinfo.ZoneInfo(text)


def iso_time(text: str) -> datetime:
    """An ISO 8601 time ("T" or a space; "Z" or an offset or none); ValueError otherwise."""
    text = text.strip()
    if not text or not text[:4].isdigit():
        raise ValueError(f"Expected an ISO 8601 time, got {text[:40]!r}.")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"Expected an ISO 8601 time, got {text[:40]!r}.") from None
