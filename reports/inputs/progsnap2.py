"""ProgSnap2 (v6): a ``MainTable.csv``, alone or in a zip with ``DatasetMetadata.csv``.

The table is read one CSV record at a time (``csv.reader`` over a text wrapper of the
stream); only the mapped events' compact columns are kept (``collect.Collector``), and of
the compiles that failed, their EventID until their ``Compile.Error`` rows are seen.
docs/api.md ("Other input formats") has the mapping table; error paths are ``row N.Column``
with N = 1 for the first record after the header.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import IO, BinaryIO

from reports.errors import InvalidInput, PayloadTooLarge
from reports.inputs.collect import Collector, Errors, Place, check_text, check_time
from reports.inputs.mapping import MappingIn, iso_time, our_type, zone
from reports.report.events import Extra
from reports.report.insight import RUN_TYPES, SUBMISSION_TYPES

FORMAT = "ProgSnap2"
DEFAULT_NAMESPACE = "progsnap2"
DEFAULT_TYPES: dict[str, str | None] = {
    "File.Edit": "saved_code",
    "File.Save": "saved_code",
    "Compile": "run_code",
    "Run.Program": "run_code",
    "Submit": "submission",
}
COMPILE_ERROR = "Compile.Error"
OK_RESULTS = frozenset({"success", "warning"})  # CompileResult / ExecutionResult, any case
ZIP_TYPES = ("application/zip", "application/x-zip-compressed")
_LINE = re.compile(r"[0-9]+")


def read(
    source: BinaryIO,
    *,
    content_type: str,
    mapping: MappingIn,
    namespace: str | None,
    max_bytes: int | None,
) -> Collector:
    media = content_type.split(";")[0].strip().lower()
    default_zone: tzinfo | None = None
    if media not in ZIP_TYPES:
        return _Table(mapping, namespace, None).read(source)
    archive = _open_zip(source)
    main_name, metadata_name = _members(archive, max_bytes)
    # zipfile inflates no more than a member's declared size, and a member that holds
    # more (or other) bytes fails its CRC: BadZipFile, a 400.
    try:
        if metadata_name:
            with archive.open(metadata_name) as metadata:
                default_zone = _metadata_zone(metadata)
        with archive.open(main_name) as main:
            return _Table(mapping, namespace, default_zone).read(main)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise InvalidInput("The zip is invalid.", errors={"body": [str(exc)]}) from None


def _open_zip(source: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput("The zip is invalid.", errors={"body": [str(exc)]}) from None


def _members(archive: zipfile.ZipFile, max_bytes: int | None) -> tuple[str, str | None]:
    """MainTable.csv's and DatasetMetadata.csv's names (in any one folder), their
    uncompressed sizes checked against the body limit (a zip bomb is a 413 unread)."""
    found: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        base = info.filename.rsplit("/", 1)[-1]
        if base in {"MainTable.csv", "DatasetMetadata.csv"} and not info.is_dir():
            if base in found:
                raise InvalidInput(
                    "The zip is invalid.", errors={"body": [f"More than one {base} in the zip."]}
                )
            found[base] = info
    if "MainTable.csv" not in found:
        raise InvalidInput("The zip is invalid.", errors={"body": ["No MainTable.csv in the zip."]})
    size = sum(info.file_size for info in found.values())
    if max_bytes is not None and size > max_bytes:
        raise PayloadTooLarge(
            f"The zip's tables hold {size} bytes uncompressed, over the limit of {max_bytes}.",
            details={"limit": "body_bytes", "max": max_bytes, "found": size},
        )
    metadata = found.get("DatasetMetadata.csv")
    return found["MainTable.csv"].filename, metadata.filename if metadata else None


def _records(stream: IO[bytes]) -> Iterator[list[str]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    return csv.reader(text)


def _metadata_zone(stream: IO[bytes]) -> tzinfo | None:
    """DatasetMetadata.csv's ``ServerTimezone`` property (Property,Value rows), if any."""
    try:
        for number, row in enumerate(_records(stream)):
            if len(row) >= 2 and row[0].strip() == "ServerTimezone" and row[1].strip():
                try:
                    return zone(row[1])
                except ValueError as exc:
                    path = f"DatasetMetadata.csv row {number}.Value"
                    raise InvalidInput(
                        "The ProgSnap2 input is invalid.", errors={path: [str(exc)]}
                    ) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "The ProgSnap2 input is invalid.", errors={"DatasetMetadata.csv": [str(exc)]}
        ) from None
    return None


class _Table:
    """One pass over MainTable.csv."""

    def __init__(self, mapping: MappingIn, namespace: str | None, default: tzinfo | None):
        self.mapping = mapping
        self.namespace = namespace or DEFAULT_NAMESPACE
        self.default_zone = default
        self.out = Collector(FORMAT)
        self.errors = Errors()
        self.zones: dict[str, tzinfo | str] = {}  # each ServerTimezone text once: zone or error
        self.failed: dict[str, Place] = {}  # EventID -> a failed compile's place
        self.compile_errors: dict[str, Extra] = {}  # ParentEventID -> its first error

    def read(self, stream: IO[bytes]) -> Collector:
        records = _records(stream)
        number = 0
        try:
            header = next(records, None)
            if header is None:
                raise InvalidInput(
                    "The ProgSnap2 input is invalid.", errors={"body": ["The table is empty."]}
                )
            self._columns(header)
            for number, row in enumerate(records, 1):
                self._row(number, row)
                if self.errors.full:
                    break
        except csv.Error as exc:
            self.errors.add(f"row {number + 1}", f"Not a CSV record: {exc}")
        except UnicodeDecodeError as exc:  # read a block at a time: no row to name
            self.errors.add("body", f"The table is not UTF-8 text: {exc}")
        self.errors.raise_any(FORMAT)
        self._link_errors()
        return self.out

    def _columns(self, header: list[str]) -> None:
        at = {name.strip(): i for i, name in enumerate(header)}
        student = self.mapping.student or "SubjectID"
        required = [student, "EventType", "ServerTimestamp"]
        missing = {f"columns.{c}": ["This column is required."] for c in required if c not in at}
        if self.mapping.unit:
            self.units = [at[self.mapping.unit]] if self.mapping.unit in at else []
            if not self.units:
                missing["mapping.unit"] = [f"No column {self.mapping.unit!r} in the table."]
        else:  # ProblemID when the row has one, else AssignmentID
            self.units = [at[c] for c in ("ProblemID", "AssignmentID") if c in at]
            if not self.units:
                missing["columns.ProblemID"] = ["A ProblemID or AssignmentID column is required."]
        if missing:
            if self.mapping.student and student not in at:
                missing["mapping.student"] = missing.pop(f"columns.{student}")
            raise InvalidInput("The ProgSnap2 input is invalid.", errors=missing)
        self.unit_name = self.mapping.unit or ("ProblemID" if "ProblemID" in at else "AssignmentID")
        self.type, self.at = at["EventType"], at

    def _cell(self, row: list[str], column: str) -> str:
        i = self.at.get(column)
        return row[i].strip() if i is not None and i < len(row) else ""

    def _row(self, number: int, row: list[str]) -> None:
        kind = row[self.type].strip() if self.type < len(row) else ""
        if kind == COMPILE_ERROR and kind not in self.mapping.types:
            self._compile_error(number, row)
            return
        type_ = our_type(self.mapping, DEFAULT_TYPES, kind)
        if type_ is None:
            self.out.ignore(f"EventType {kind}", f"row {number}")
            return
        try:
            place = self.out.add(self.namespace, *self._event(kind, type_, row))
        except _Bad as exc:
            self.errors.add(f"row {number}.{exc.column}", exc.message)
            return
        event_id = self._cell(row, "EventID")
        # a compile that failed, or whose result is not given, until its Compile.Error rows
        result = self._cell(row, "CompileResult").lower()
        if kind == "Compile" and event_id and result not in OK_RESULTS:
            self.failed[event_id] = place

    def _event(
        self, kind: str, type_: str, row: list[str]
    ) -> tuple[str, datetime, str, str, Extra | None, int | None]:
        column = self.mapping.student or "SubjectID"
        try:
            student = check_text(self._cell(row, column), column)
            moment = self._time(row)
            column = self.unit_name
            unit = ""
            for i in self.units:  # the first non-empty one
                unit = row[i].strip() if i < len(row) else ""
                if unit:
                    break
            check_text(unit, column)
            column = "Order"
            order = self._cell(row, column)
            key = int(order) if order else None
            column = "Score"
            extra = self._extra(kind, type_, row)
        except ValueError as exc:
            raise _Bad(column, str(exc)) from None
        return student, moment, unit, type_, extra, key

    def _time(self, row: list[str]) -> datetime:
        try:
            moment = iso_time(self._cell(row, "ServerTimestamp"))
            if moment.tzinfo is None:
                text = self._cell(row, "ServerTimezone")
                tz = self._zone(text) if text else self.default_zone
                if tz is not None:
                    moment = moment.replace(tzinfo=tz)
            return check_time(moment)
        except ValueError as exc:
            raise _Bad("ServerTimestamp", str(exc)) from None

    def _zone(self, text: str) -> tzinfo:
        found = self.zones.get(text)
        if found is None:
            try:
                found = zone(text)
            except ValueError as exc:
                found = str(exc)
            self.zones[text] = found
        if isinstance(found, str):
            raise _Bad("ServerTimezone", found)
        return found

    def _extra(self, kind: str, type_: str, row: list[str]) -> Extra | None:
        if type_ in SUBMISSION_TYPES:
            text = self._cell(row, "Score")
            if not text:
                return None
            score = float(text)
            if not 0 <= score <= 1:
                raise ValueError(f"A score is 0 to 1, got {text}.")
            return (None, None, None, score)
        if type_ in RUN_TYPES:
            result = self._cell(row, "CompileResult") or self._cell(row, "ExecutionResult")
            if result:
                return ("ok" if result.lower() in OK_RESULTS else "error", None, None, None)
            if kind == "Compile":  # no result: an error when a Compile.Error names it
                return ("ok", None, None, None)
        return None

    def _compile_error(self, number: int, row: list[str]) -> None:
        parent = self._cell(row, "ParentEventID")
        if not parent:
            self.out.ignore("EventType Compile.Error without ParentEventID", f"row {number}")
            return
        if parent in self.compile_errors:
            return  # the compile's first error gives its type and line
        message = self._cell(row, "CompileMessageType")[:255] or None
        line = _LINE.search(self._cell(row, "SourceLocation"))
        number_ = int(line.group()) if line and 0 < int(line.group()) < 2**31 else None
        self.compile_errors[parent] = ("error", message, number_, None)

    def _link_errors(self) -> None:
        for parent, extra in self.compile_errors.items():
            place = self.failed.pop(parent, None)
            if place is None:
                self.out.ignored["EventType Compile.Error of no failed Compile"] += 1
            else:
                self.out.set_extra(place, extra)
        self.failed.clear()


class _Bad(Exception):  # not a ValueError: it passes through _event's handler
    """A bad field of a row: its column and the message."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message
