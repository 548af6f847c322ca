from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.parsers import BaseParser

from reports.errors import InvalidInput, PayloadTooLarge


class RawJSONParser(BaseParser):
    """Accepts application/json and hands the view the bytes, unparsed.

    The request serializer decodes and validates them in one native pass; keeping the
    bytes lets the job store exactly what was received without encoding it again.
    """

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
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
