"""``--input progsnap2|xapi|caliper``: a file in another format, converted as the service
converts it (``reports.inputs``), before the command treats it as the service's JSON."""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, cast

from reports.cli.common import EXIT_INVALID, CliError, explained, read_input
from reports.report.source import INPUT_FORMATS, OWN_FORMAT, ignored_note

if TYPE_CHECKING:
    from reports.inputs import Kind
    from reports.report.model import Source

OWN = OWN_FORMAT
FORMATS = [OWN_FORMAT, *INPUT_FORMATS]
INPUT_HELP = (
    "the file's format: json (the service's own, the default), progsnap2 (a MainTable.csv, "
    "or a .zip of it and DatasetMetadata.csv), xapi (statements) or caliper (an envelope)"
)


def media_type(kind: str, path: str) -> str:
    """What the service reads ``kind`` from: a ProgSnap2 table is CSV, or a zip by name."""
    if kind != "progsnap2":
        return "application/json"
    return "application/zip" if path.lower().endswith(".zip") else "text/csv"


def converted(kind: str, path: str) -> tuple[bytes, Source | None]:
    """The file as the service's JSON, and its ``Source`` (None for the service's JSON)."""
    body = read_input(path)
    if kind == OWN:
        return body, None
    from reports.errors import ServiceError
    from reports.inputs import convert

    try:
        done = convert(cast("Kind", kind), io.BytesIO(body), content_type=media_type(kind, path))
    except ServiceError as exc:
        raise CliError(exc.message + explained(exc.errors), EXIT_INVALID) from None
    source = done.source(cast("Kind", kind))
    if done.ignored:
        print(f"report-task: {ignored_note(source)}", file=sys.stderr)
    return done.body, source
