from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any, cast

from django.conf import settings
from rest_framework.parsers import BaseParser
from rest_framework.request import Request

from reports.errors import InvalidInput, PayloadTooLarge


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


def raw_body(request: Request) -> bytes:
    """The body of a request to a view that parses with ``RawJSONParser`` (the only parser,
    REST_FRAMEWORK in config/settings.py): ``request.data`` is typed as a parsed mapping,
    and is an empty one when the request has no body to parse."""
    data = cast(object, request.data)
    if not isinstance(data, bytes):
        raise InvalidInput("The request body must be JSON.")
    return data
