"""A POST body in another format (``?input=progsnap2|xapi|caliper``, or an xAPI client's
``X-Experience-API-Version`` header): chosen, read and converted into the service's own
JSON (``reports.inputs``) before any other rule looks at it, so that everything after it
is the same for every format."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import IO, Any, cast

import msgspec
from django.conf import settings
from rest_framework.request import Request

from reports.api.request_body import Upload, raw_body
from reports.errors import InvalidInput, PayloadTooLarge
from reports.inputs import KINDS, Kind, convert
from reports.report.source import OWN_FORMAT, XAPI_HEADER


@dataclass(frozen=True, slots=True)
class Received:
    body: bytes  # the service's JSON
    source: str = ""  # report.model.Source as JSON; "" for the service's own JSON
    fingerprint: str = ""  # what was received, for the idempotency fingerprint; "" own JSON


def input_format(request: Request) -> str:
    """``?input=``, else ``xapi`` when the xAPI version header is there, else ``json``."""
    chosen = request.query_params.get("input")
    if chosen is None:
        return "xapi" if XAPI_HEADER in request.headers else OWN_FORMAT
    if chosen != OWN_FORMAT and chosen not in KINDS:
        names = ", ".join((OWN_FORMAT, *KINDS))
        raise InvalidInput(
            "The input format is not known.",
            errors={"input": [f"{chosen[:40]!r} is not one of: {names}"]},
        )
    return chosen


def request_received(request: Request) -> Received:
    """The request's body as the service's JSON, and where it came from."""
    kind = input_format(request)
    if kind == OWN_FORMAT:
        return Received(raw_body(request))
    data = cast(object, request.data)
    stream: IO[bytes]
    if isinstance(data, Upload):
        stream, digest = data.file, data.sha256
    elif isinstance(data, bytes):
        stream, digest = io.BytesIO(data), hashlib.sha256(data).hexdigest()
    else:
        raise InvalidInput("The request body is empty.")
    query = request.query_params
    mapping, namespace = _mapping(query.get("mapping")), query.get("namespace")
    limit = settings.REPORT_MAX_BODY_BYTES
    with stream:
        converted = convert(
            cast(Kind, kind),
            stream,  # type: ignore[arg-type]  # a binary file, as BinaryIO means
            content_type=request.content_type,
            mapping=mapping,
            namespace=namespace,
            max_bytes=limit,
        )
    if len(converted.body) > limit:
        raise PayloadTooLarge(
            f"The events of this body, as the service's JSON, are larger than {limit} bytes."
        )
    source = converted.source(cast(Kind, kind))
    received = json.dumps([kind, digest, mapping, namespace], sort_keys=True)
    return Received(
        converted.body,
        msgspec.json.encode(source).decode(),
        hashlib.sha256(received.encode()).hexdigest(),
    )


def _mapping(given: str | None) -> str | dict[str, Any] | None:
    """``?mapping=``: a mapping as JSON, or the name of one of REPORT_INPUT_MAPPINGS."""
    if given is None or given.lstrip().startswith("{"):
        return given
    named: dict[str, Any] | None = settings.REPORT_INPUT_MAPPINGS.get(given)
    if named is None:
        known = ", ".join(sorted(settings.REPORT_INPUT_MAPPINGS)) or "none"
        raise InvalidInput(
            "The mapping is not known.",
            errors={"mapping": [f"{given[:40]!r} is neither JSON nor a named mapping ({known})"]},
        )
    return named
