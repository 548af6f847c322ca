"""Other input formats turned into the service's own JSON body (docs/api.md, "Other input
formats"): ProgSnap2, xAPI and IMS Caliper. Plain Python, no Django.

``convert`` is the one entry point. Its body is exactly what a client could have POSTed as
JSON, so everything after it (the checks of ``reports.report.request``, the stored body, the
worker's decoder) is the same for every format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, cast

from reports.errors import UnsupportedMediaType
from reports.inputs import caliper, progsnap2, xapi
from reports.inputs.collect import Collector
from reports.inputs.mapping import MappingIn, parse_mapping
from reports.report.model import Source
from reports.report.source import INPUT_FORMATS

Kind = Literal["progsnap2", "xapi", "caliper"]
KINDS = cast("tuple[Kind, ...]", INPUT_FORMATS)  # report.source's list, typed
# The media types each format is accepted in.
MEDIA_TYPES: dict[Kind, tuple[str, ...]] = {
    "progsnap2": ("text/csv", *progsnap2.ZIP_TYPES),
    "xapi": ("application/json",),
    "caliper": ("application/json",),
}

__all__ = ["KINDS", "MEDIA_TYPES", "Converted", "Kind", "MappingIn", "convert"]


@dataclass(frozen=True, slots=True)
class Converted:
    """The body to store, and what the conversion did."""

    body: bytes  # the service's JSON body: a list of student objects
    students: int
    events: int  # the events in ``body``
    ignored: int  # the input's events that map to none (a Compile.Error is not one)
    # (reason, count), e.g. ("verb http://adlnet.gov/expapi/verbs/attempted", 12): by count,
    # most first, then by reason.
    ignored_by: tuple[tuple[str, int], ...]

    def source(self, kind: Kind) -> Source:
        """What the job and the report keep of the conversion (``Report.source``)."""
        return Source(kind, self.events, self.ignored, self.ignored_by)


def convert(
    kind: Kind,
    source: BinaryIO,
    *,
    content_type: str,
    mapping: bytes | str | Mapping[str, Any] | None = None,
    namespace: str | None = None,
    max_bytes: int | None = None,
) -> Converted:
    """Read ``source`` in the format ``kind`` and write the service's JSON body.

    ``content_type``: the request's media type (ProgSnap2: ``text/csv`` or
    ``application/zip``; xAPI and Caliper: ``application/json``). ``mapping``: the
    per-request override (``MappingIn``, as JSON text or decoded). ``namespace``: every
    student's namespace (default: the format's, see docs/api.md). ``max_bytes``: the
    service's ``REPORT_MAX_BODY_BYTES``, which bounds a zip's uncompressed tables.

    Raises ``InvalidInput`` (400, each bad field by path: ``row 17.ServerTimestamp``,
    ``[3].timestamp``, ``data[2].eventTime``, ``mapping.types``), ``UnsupportedMediaType``
    (415), ``PayloadTooLarge`` (413, a zip over ``max_bytes``) and ``Unprocessable`` (422,
    no event maps; its message names the format and the first unmapped event).
    """
    parsed = parse_mapping(mapping)
    media = content_type.split(";")[0].strip().lower()
    if media not in MEDIA_TYPES[kind]:
        accepted = ", ".join(MEDIA_TYPES[kind])
        raise UnsupportedMediaType(
            f'Unsupported media type "{media}" for input {kind}: expected {accepted}.'
        )
    collected: Collector
    if kind == "progsnap2":
        collected = progsnap2.read(
            source, content_type=media, mapping=parsed, namespace=namespace, max_bytes=max_bytes
        )
    elif kind == "xapi":
        collected = xapi.read(source, mapping=parsed, namespace=namespace)
    else:
        collected = caliper.read(source, mapping=parsed, namespace=namespace)
    body = collected.body()
    ignored = sorted(collected.ignored.items(), key=lambda item: (-item[1], item[0]))
    return Converted(
        body=body,
        students=collected.students,
        events=collected.events,
        ignored=sum(collected.ignored.values()),
        ignored_by=tuple(ignored),
    )
