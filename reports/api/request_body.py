"""A report request's body at the edge: read as raw bytes (``RawJSONParser``, the only
parser), the limits it is held to (from the settings), and its OpenAPI shape.

The request's rules are not here: ``reports.report.request.request_parse`` applies them.
``StudentSerializer`` and ``ReportRequestSerializer`` only describe the body for the
schema, their fields drawn from the same msgspec types (``schema/types.py``).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Annotated, Any, cast

import msgspec
from django.conf import settings
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.request import Request

from reports.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from reports.report.contract import (
    AttentionIn,
    CallbackUrl,
    EventIn,
    Identifier,
    IdleMinutes,
    TimezoneName,
)
from reports.report.limits import Limits


class MsgspecField(serializers.Field[Any, Any, Any, Any]):
    """A field of the schema whose shape is a msgspec type."""

    _kwargs: dict[str, Any]  # the keyword arguments it was made with (DRF's Field.__new__)

    def __init__(self, type_: Any, **kwargs: Any) -> None:
        self.type_ = type_
        super().__init__(**kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> MsgspecField:
        # DRF deep-copies declared fields per serializer; msgspec types cannot be copied.
        return self.__class__(self.type_, **self._kwargs)


class StudentSerializer(serializers.Serializer[Any]):
    """One student object (``contract.StudentIn``)."""

    namespace = MsgspecField(Identifier, help_text="1-255 characters.")
    student_id = MsgspecField(Identifier, help_text="1-255 characters.")
    events = MsgspecField(
        Annotated[list[EventIn], msgspec.Meta(min_length=1)],
        help_text="A non-empty list of events.",
    )
    idle_minutes = MsgspecField(
        IdleMinutes | None, required=False, help_text="0-10080; single-student bodies only."
    )
    callback_url = MsgspecField(
        CallbackUrl | None,
        required=False,
        help_text="Single-student bodies only (else ?callback_url=): an http(s) URL that "
        "gets a signed POST when the job ends.",
    )
    attention = MsgspecField(
        AttentionIn | None,
        required=False,
        help_text="Single-student bodies only: the attention rules' thresholds over the "
        "service's (docs/report.md, 'Attention flags'); an unknown name or a value out of "
        "its range is a 400 naming it.",
    )
    timezone = MsgspecField(
        TimezoneName | None,
        required=False,
        help_text="Single-student bodies only (else ?timezone=): the IANA time zone the "
        "report shows its times in, e.g. Europe/Berlin; default UTC.",
    )


class ReportRequestSerializer(serializers.Serializer[Any]):
    """The POST body's shape: one student object or a non-empty list of them
    (``schema_bodies.ReportRequestExtension``)."""


class RawJSONParser(BaseParser):
    """Accepts application/json and hands the view the bytes, unparsed.

    The request serializer decodes and validates them in one native pass; keeping the
    bytes lets the job store exactly what was received without encoding it again.
    """

    media_type = "application/json"

    def parse(  # type: ignore[override]  # the bytes, where DRF's parsers give a mapping
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if stream is None:
            raise InvalidInput("The request body is empty.")
        limit = settings.REPORT_MAX_BODY_BYTES
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        if not body:
            raise InvalidInput("The request body is empty.")
        return body


@dataclass(frozen=True)
class Upload:
    """A table body (``?input=progsnap2``), copied as it arrives into a spooled temporary
    file (over ``SPOOL_BYTES`` it is on disk), with its sha256 (the idempotency fingerprint
    counts the bytes received, not only what they became)."""

    file: IO[bytes]
    content_type: str
    sha256: str


SPOOL_BYTES = 1024 * 1024
_CHUNK = 256 * 1024


class TableParser(BaseParser):
    """Accepts text/csv (a ProgSnap2 ``MainTable.csv``) and hands the view an ``Upload``;
    held to ``REPORT_MAX_CSV_BYTES``, never read whole into memory."""

    media_type = "text/csv"

    def parse(  # type: ignore[override]  # an Upload, where DRF's parsers give a mapping
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Upload:
        if stream is None:
            raise InvalidInput("The request body is empty.")
        limit = settings.REPORT_MAX_CSV_BYTES
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        digest, size = hashlib.sha256(), 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                spool.close()
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
            digest.update(chunk)
            spool.write(chunk)
        if not size:
            spool.close()
            raise InvalidInput("The request body is empty.")
        spool.seek(0)
        return Upload(spool, self.media_type, digest.hexdigest())


class ZipParser(TableParser):
    """Accepts application/zip (a ProgSnap2 ``MainTable.csv`` and ``DatasetMetadata.csv``)."""

    media_type = "application/zip"


def raw_body(request: Request) -> bytes:
    """The body of a request to a view that parses with ``RawJSONParser`` (the only parser,
    REST_FRAMEWORK in config/settings.py): ``request.data`` is typed as a parsed mapping,
    and is an empty one when the request has no body to parse."""
    data = cast(object, request.data)
    if isinstance(data, Upload):
        data.file.close()
        raise UnsupportedMediaType(
            f"A {data.content_type} body needs ?input=progsnap2; this one must be JSON "
            "(application/json)."
        )
    if not isinstance(data, bytes):
        raise InvalidInput("The request body must be JSON.")
    return data


def request_limits() -> Limits:
    return Limits(
        events=settings.REPORT_MAX_EVENTS,
        students=settings.REPORT_MAX_STUDENTS,
        units=settings.REPORT_MAX_UNITS,
        units_per_student=settings.REPORT_MAX_UNITS_PER_STUDENT,
        event_types=settings.REPORT_MAX_EVENT_TYPES,
        question_cells=settings.REPORT_MAX_QUESTION_CELLS,
    )


__all__ = [
    "RawJSONParser",
    "ReportRequestSerializer",
    "StudentSerializer",
    "TableParser",
    "Upload",
    "ZipParser",
    "raw_body",
    "request_limits",
]
