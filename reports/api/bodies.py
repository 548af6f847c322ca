"""The job endpoints' answer bodies, each declared once as a msgspec Struct: the views
encode them (``encode``), and the schema describes them from the same types (``shape``,
through ``schema_bodies.StructShapeExtension``). A field that is UNSET is left out of the
answer; one typed ``X | None`` without a default is always there, null or not.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from rest_framework import serializers

from reports.errors import ErrorBody
from reports.models import JobStatus, WebhookState
from reports.report.model import Source
from reports.report.source import INPUT_FORMATS, ignored_note

# Every status a body may carry: the job's, and the two the service adds for a job that is
# not there (NOT_FOUND) or whose report file is (GONE). The schema names this enum
# (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
STATES = [*JobStatus.values, "NOT_FOUND", "GONE"]
# A new job is PENDING; an Idempotency-Key replay answers the first job as it is now.
ACCEPTED_STATES = list(JobStatus.values)

JobState = Annotated[str, msgspec.Meta(extra_json_schema={"enum": STATES})]
Uuid = Annotated[str, msgspec.Meta(extra_json_schema={"format": "uuid"})]
Url = Annotated[str, msgspec.Meta(extra_json_schema={"format": "uri"})]
UNSET = msgspec.UNSET
_WEBHOOK_HELP = "Only for a job created with a callback_url: where its event's delivery stands."
_PROGRESS_HELP = "Only with several students."
_SOURCE_HELP = "Only for a job whose body was in another format (?input=)."


class Accepted(msgspec.Struct):
    task_id: Uuid
    status: Annotated[
        str,
        msgspec.Meta(
            description="PENDING; after an Idempotency-Key replay (`Idempotent-Replayed: "
            "true`), the first job's status now.",
            extra_json_schema={"enum": ACCEPTED_STATES},
        ),
    ]
    status_url: Annotated[Url, msgspec.Meta(description="Where to GET the job's status.")]


class Progress(msgspec.Struct):
    done: Annotated[int, msgspec.Meta(ge=0)]
    total: Annotated[int, msgspec.Meta(ge=0)]


class Webhook(msgspec.Struct):
    state: Annotated[str, msgspec.Meta(extra_json_schema={"enum": WebhookState.values})]
    attempts: Annotated[int, msgspec.Meta(ge=0)]
    last_status: Annotated[
        int | None,
        msgspec.Meta(description="The HTTP status of the last attempt; null: no answer."),
    ]


class Ignored(msgspec.Struct):
    reason: Annotated[
        str,
        msgspec.Meta(
            description='What the events had that maps to nothing: "verb <IRI>", '
            '"EventType <name>", "action <name>", ...'
        ),
    ]
    count: Annotated[int, msgspec.Meta(ge=1)]


class SourceBody(msgspec.Struct):
    """Where a job's events came from when its body was in another format (``?input=``)."""

    format: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(INPUT_FORMATS)})]
    events: Annotated[int, msgspec.Meta(ge=0, description="The events it became.")]
    ignored: Annotated[int, msgspec.Meta(ge=0, description="Those that mapped to nothing.")]
    ignored_by: list[Ignored]
    note: Annotated[
        str, msgspec.Meta(description='e.g. "12 events ignored: 12 with verb <IRI>"; "" none.')
    ]


def source_body(source: Source) -> SourceBody:
    return SourceBody(
        format=source.format,
        events=source.events,
        ignored=source.ignored,
        ignored_by=[Ignored(reason, count) for reason, count in source.ignored_by],
        note=ignored_note(source),
    )


class HtmlReport(msgspec.Struct):
    id: Uuid
    created_at: Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]
    task_id: Uuid
    report: Annotated[str, msgspec.Meta(description="The HTML document.")]
    report_url: Annotated[Url, msgspec.Meta(description="Downloads the stored file.")]
    student_id: Annotated[
        str | None, msgspec.Meta(description="null when the report has several students.")
    ]
    student_ids: list[str]


class HtmlStatus(msgspec.Struct, omit_defaults=True):
    """The HTML endpoint's status body: ``data`` is always there (null until SUCCESS)."""

    task_id: str
    status: JobState
    data: HtmlReport | None
    message: str
    progress: Annotated[Progress, msgspec.Meta(description=_PROGRESS_HELP)] | msgspec.UnsetType = (
        UNSET
    )
    webhook: Annotated[Webhook, msgspec.Meta(description=_WEBHOOK_HELP)] | msgspec.UnsetType = UNSET
    source: Annotated[SourceBody, msgspec.Meta(description=_SOURCE_HELP)] | msgspec.UnsetType = (
        UNSET
    )


class PdfStatus(msgspec.Struct, omit_defaults=True):
    task_id: str
    status: JobState
    message: str
    report_url: (
        Annotated[
            Url,
            msgspec.Meta(
                description="Only on SUCCESS (an Accept header that excludes "
                "application/pdf): downloads the stored file."
            ),
        ]
        | msgspec.UnsetType
    ) = UNSET
    progress: Annotated[Progress, msgspec.Meta(description=_PROGRESS_HELP)] | msgspec.UnsetType = (
        UNSET
    )
    webhook: Annotated[Webhook, msgspec.Meta(description=_WEBHOOK_HELP)] | msgspec.UnsetType = UNSET
    source: Annotated[SourceBody, msgspec.Meta(description=_SOURCE_HELP)] | msgspec.UnsetType = (
        UNSET
    )


class FileStatus(msgspec.Struct):
    task_id: str
    status: JobState
    message: str


StatusBody = HtmlStatus | PdfStatus
_encoder = msgspec.json.Encoder()


def encode(body: msgspec.Struct) -> bytes:
    return _encoder.encode(body)


def webhook(row: Any) -> Webhook:
    return Webhook(state=row["state"], attempts=row["attempts"], last_status=row["last_status"])


class StructShape(serializers.Serializer[Any]):
    """A schema-only stand-in for a Struct where drf-spectacular wants a serializer."""

    struct: ClassVar[type[msgspec.Struct]]


def shape(struct: type[msgspec.Struct], name: str | None = None) -> type[StructShape]:
    """``struct`` where drf-spectacular wants a serializer; its component is ``name``
    (default: the Struct's own)."""
    return type(name or struct.__name__, (StructShape,), {"struct": struct})


# What the schema's operations name (schema.py, data_schema.py).
AcceptedShape = shape(Accepted)
HtmlStatusShape = shape(HtmlStatus)
PdfStatusShape = shape(PdfStatus)
FileStatusShape = shape(FileStatus)
ErrorShape = shape(ErrorBody, "Error")
