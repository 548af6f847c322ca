"""A report request: body bytes and query parameters in, one typed ``ReportRequest`` out.

Every rule of a POST is applied here, once, in this order (the first broken one answers):
``?idle_minutes=``, the body (``contract.decode_students``; every bad field named by
``invalid.explain_invalid``), the counts against the limits (``limits.request_shape``, a
413), the callback URL, the time zone, the language. A query parameter wins over the same field of a
one-object body; a list body's fields are not read. Plain Python, no Django: the caller
passes the limits and the callback URL's check (it needs the settings and the API key).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from reports.errors import InvalidInput, PayloadTooLarge
from reports.report.contract import (
    AttentionIn,
    StudentIn,
    check_timezone,
    decode_students,
    parse_idle_minutes,
)
from reports.report.invalid import explain_invalid
from reports.report.languages import DEFAULT_LANGUAGE, check_language
from reports.report.limits import LimitExceeded, Limits, RequestShape, request_shape


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What a job needs from its request besides the body's bytes (the worker decodes
    those again: the events are not kept here, which halves the peak on big bodies)."""

    student_count: int
    event_count: int
    idle_minutes: float | None  # None: the service's REPORT_IDLE_MINUTES
    timezone: str | None  # an IANA name; None: UTC
    callback_url: str | None  # normalised by the check; None: no callback
    attention: str = ""  # ?attention[<name>]= thresholds as JSON (AttentionIn); "" none
    language: str = DEFAULT_LANGUAGE  # a code of languages.LANGUAGES


def request_parse(
    *,
    body: bytes,
    query: Mapping[str, str],
    limits: Limits,
    callback_check: Callable[[str], str],
) -> ReportRequest:
    """The request, or ``InvalidInput`` (400, every bad field by its path) or
    ``PayloadTooLarge`` (413, naming the limit, its maximum and the count found).

    ``callback_check`` turns a callback URL into the URL to store, or raises InvalidInput
    naming ``callback_url`` (``reports.webhooks.callback.callback_url_check``).
    """
    idle_minutes = _query_idle_minutes(query.get("idle_minutes"))
    students = _decoded(body)
    one_object = len(students) == 1 and body.lstrip()[:1] == b"{"
    events = _shape_checked(students, limits, one_object=one_object).events
    own = students[0] if one_object else None  # the one object's fields, else none
    if idle_minutes is None and own is not None:
        idle_minutes = own.idle_minutes
    callback_url = query.get("callback_url")
    if callback_url is None and own is not None:
        callback_url = own.callback_url
    if callback_url is not None:
        callback_url = callback_check(callback_url)
    timezone = query.get("timezone")
    if timezone is None and own is not None:
        timezone = own.timezone
    if timezone is not None:
        timezone = _checked_timezone(timezone)
    language = query.get("language")
    if language is None and own is not None:
        language = own.language
    return ReportRequest(
        student_count=len(students),
        event_count=events,
        idle_minutes=idle_minutes,
        timezone=timezone,
        callback_url=callback_url,
        attention=query_attention(query),
        language=DEFAULT_LANGUAGE if language is None else _checked_language(language),
    )


ATTENTION_PARAMETER = re.compile(r"attention\[([a-z_]{1,40})\]")
_NAMED = re.compile(r"(?:\$\.|unknown field `)(\w+)")  # the name in msgspec's message


def query_attention(query: Mapping[str, str]) -> str:
    """``?attention[stuck_runs]=5&...`` (OpenAPI's deepObject style): the thresholds of
    ``AttentionIn``, for every body (a class list has no object to carry them), as
    canonical JSON ("" without any). A bad name or value is a 400 naming
    ``attention.<name>``."""
    given: dict[str, str] = {}
    for key, value in query.items():
        found = ATTENTION_PARAMETER.fullmatch(key)
        if found is not None:
            given[found.group(1)] = value
        elif key.startswith("attention"):
            raise InvalidInput(
                "The query is invalid.",
                errors={key: ["Use attention[<name>]=<value>, e.g. attention[stuck_runs]=5."]},
            )
    if not given:
        return ""
    try:
        thresholds = msgspec.convert(given, AttentionIn, strict=False)
    except msgspec.ValidationError as exc:
        named = _NAMED.search(str(exc))
        raise InvalidInput(
            "The attention thresholds are invalid.",
            errors={f"attention.{named.group(1)}" if named else "attention": [str(exc)]},
        ) from None
    return msgspec.json.encode(thresholds).decode()


def _query_idle_minutes(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_idle_minutes(text)
    except ValueError as exc:
        raise InvalidInput(
            "The idle_minutes query parameter is invalid.",
            errors={"idle_minutes": [str(exc)]},
        ) from None


def _decoded(body: bytes) -> list[StudentIn]:
    try:
        return decode_students(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "The request body is invalid.", errors=explain_invalid(body, exc)
        ) from None
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"The request body is not valid JSON: {exc}.") from None
    except UnicodeDecodeError as exc:  # msgspec raises it for bad UTF-8 inside strings
        raise InvalidInput(f"The request body is not valid UTF-8: {exc.reason}.") from None
    except RecursionError:  # msgspec's answer to very deep nesting, even in ignored fields
        raise InvalidInput("The request body is nested too deeply.") from None


def _shape_checked(students: list[StudentIn], limits: Limits, *, one_object: bool) -> RequestShape:
    try:
        return request_shape(students, limits, one_object=one_object)
    except LimitExceeded as exc:
        details: dict[str, Any] = {"limit": exc.limit, "max": exc.maximum, "found": exc.found}
        if exc.path:
            details["path"] = exc.path
        raise PayloadTooLarge(str(exc), details=details) from None


def _checked_timezone(name: str) -> str:
    try:
        return check_timezone(name)
    except ValueError as exc:
        raise InvalidInput("The time zone is not known.", errors={"timezone": [str(exc)]}) from None


def _checked_language(tag: str) -> str:
    try:
        return check_language(tag)
    except ValueError as exc:
        raise InvalidInput("The language is not known.", errors={"language": [str(exc)]}) from None
