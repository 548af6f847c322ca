"""OpenAPI description of the API (drf-spectacular), drawn from the real serializers.

The request body's rules come from the msgspec types in ``contract.py`` through
``msgspec.json.schema_components``, so the schema and the validation cannot disagree.
The response serializers below are for the schema only: the views build their bodies
by hand and the tests hold them to these shapes (schemathesis checks conformance).
"""

from __future__ import annotations

from typing import Any

import msgspec
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from reports.models import JobStatus, WebhookState
from reports.report.contract import EventIn

REF_TEMPLATE = "#/components/schemas/{name}"
# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].
STATES = [*JobStatus.values, "NOT_FOUND"]
ACCEPTED_STATES = [JobStatus.PENDING.value]


def _openapi30(schema: Any) -> Any:
    """JSON Schema -> OpenAPI 3.0: ``anyOf: [X, {"type": "null"}]`` becomes X, nullable."""
    if isinstance(schema, list):
        return [_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _openapi30(value) for key, value in schema.items()}
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
        schema["nullable"] = True
    return schema


def _register_msgspec(auto_schema: Any, type_: Any) -> dict[str, Any]:
    """The JSON Schema of a msgspec type, its structs registered as components."""
    (schema,), components = msgspec.json.schema_components([type_], ref_template=REF_TEMPLATE)
    schema = _openapi30(schema)
    for name, component_schema in components.items():
        component_schema = _openapi30(component_schema)
        component_schema.pop("title", None)
        auto_schema.registry.register_on_missing(
            ResolvedComponent(
                name=name,
                type=ResolvedComponent.SCHEMA,
                object=f"msgspec:{name}",
                schema=component_schema,
            )
        )
    return schema


class ApiKeyAuthenticationExtension(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <key>``, required only when REPORT_API_KEYS is set."""

    target_class = "reports.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "One of REPORT_API_KEYS; not needed when that setting is empty.",
        }


class MsgspecFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "reports.api.serializers.MsgspecField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return _register_msgspec(auto_schema, self.target.type_)


class EventsFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "reports.api.serializers.EventsField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "array", "items": _register_msgspec(auto_schema, EventIn), "minItems": 1}


class ReportRequestExtension(OpenApiSerializerExtension):
    """The POST body: one student object, or a non-empty list of them."""

    target_class = "reports.api.serializers.ReportRequestSerializer"

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return "ReportRequest"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        from reports.api.serializers import StudentSerializer

        student = auto_schema.resolve_serializer(StudentSerializer, direction).ref
        return {
            "oneOf": [student, {"type": "array", "items": student, "minItems": 1}],
            "description": "One student object, or a non-empty list of them.",
        }


# --- Responses (schema only) -----------------------------------------------------------


class AcceptedSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ACCEPTED_STATES)
    status_url = serializers.URLField(help_text="Where to GET the job's status.")


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0)


class HtmlReportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    task_id = serializers.UUIDField()
    report = serializers.CharField(help_text="The HTML document.")
    report_url = serializers.URLField(help_text="Downloads the stored file.")
    student_id = serializers.CharField(
        allow_null=True, help_text="null when the report has several students."
    )
    student_ids = serializers.ListField(child=serializers.CharField())


class WebhookSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=WebhookState.values)
    attempts = serializers.IntegerField(min_value=0)
    last_status = serializers.IntegerField(
        allow_null=True, help_text="The HTTP status of the last attempt; null: no answer."
    )


_WEBHOOK_HELP = "Only for a job created with a callback_url: where its event's delivery stands."


class HtmlStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATES)
    data = HtmlReportSerializer(allow_null=True)
    message = serializers.CharField()
    progress = ProgressSerializer(required=False, help_text="Only with several students.")
    webhook = WebhookSerializer(required=False, help_text=_WEBHOOK_HELP)


class PdfStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATES)
    message = serializers.CharField()
    report_url = serializers.URLField(
        required=False,
        help_text="Only on SUCCESS (an Accept header that excludes application/pdf): "
        "downloads the stored file.",
    )
    progress = ProgressSerializer(required=False, help_text="Only with several students.")
    webhook = WebhookSerializer(required=False, help_text=_WEBHOOK_HELP)


class FileStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATES)
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="INVALID, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ...")
    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Every bad field by its path, up to 50.",
    )


# --- Examples from the seed ----------------------------------------------------------------

SAMPLE_TASK_ID = "6f1c3a52-1d7e-4f0b-9a55-2b7c2f0e8d41"
SAMPLE_STUDENT = {
    "namespace": "ns_example",
    "student_id": "00a9a76518624b02b0ed57263606fc26",
    "events": [
        {"type": "saved_code", "created_time": "2024-07-21 03:04:55.939000+00:00", "unit": "17"}
    ],
}

REQUEST_EXAMPLES = [
    OpenApiExample("One student (the seed's sample)", value=SAMPLE_STUDENT, request_only=True),
    OpenApiExample(
        "A class list",
        value=[SAMPLE_STUDENT, {**SAMPLE_STUDENT, "student_id": "second-student"}],
        request_only=True,
    ),
]


def _error(code: str, message: str, **extra: Any) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=message,
        examples=[
            OpenApiExample(code, value={"status": code, "message": message, **extra}),
        ],
    )


def create_responses(kind: str) -> dict[Any, Any]:
    return {
        202: OpenApiResponse(
            AcceptedSerializer,
            description="Stored; the job is published to the workers after commit.",
            examples=[
                OpenApiExample(
                    "Accepted",
                    value={
                        "task_id": SAMPLE_TASK_ID,
                        "status": "PENDING",
                        "status_url": f"http://localhost:8000/assignment/{kind}/{SAMPLE_TASK_ID}",
                    },
                )
            ],
        ),
        400: _error(
            "INVALID",
            "The request body is invalid (or the callback_url is not accepted).",
            errors={"events[0].created_time": ["Invalid RFC3339 encoded datetime"]},
        ),
        413: _error("TOO_LARGE", "The request body is larger than 67108864 bytes."),
        415: _error("UNSUPPORTED_MEDIA_TYPE", 'Unsupported media type "text/plain" in request.'),
        503: _error("UNAVAILABLE", "The database is unavailable; try again shortly."),
    }


WAIT_PARAMETER = OpenApiParameter(
    "wait",
    # OpenAPI 3.0: exclusiveMinimum is a flag on minimum.
    type={"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 30},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "Long polling: hold the request until the job finishes or this many seconds "
        "(0 < wait <= 30) have passed, then answer as without it."
    ),
)

_PENDING = {"task_id": SAMPLE_TASK_ID, "status": "PENDING", "message": "Task not completed."}
_NOT_FOUND = {"task_id": SAMPLE_TASK_ID, "status": "NOT_FOUND", "message": "Task not found."}
_BAD_WAIT = {
    "status": "INVALID",
    "message": "The query is invalid.",
    "errors": {"wait": ["Ensure this value is greater than 0."]},
}


def detail_responses(kind: str) -> dict[Any, Any]:
    if kind == "html":
        done = OpenApiResponse(
            HtmlStatusSerializer,
            description="SUCCESS with the report, or FAILURE with the reason in `message`.",
            examples=[
                OpenApiExample(
                    "Success",
                    value={
                        "task_id": SAMPLE_TASK_ID,
                        "status": "SUCCESS",
                        "data": {
                            "id": "0d3f8f7e-5a8b-4c1e-9d2a-7b6e5f4c3b2a",
                            "created_at": "2026-11-28T14:28:21.614528Z",
                            "task_id": SAMPLE_TASK_ID,
                            "report": "<!DOCTYPE html>…",
                            "report_url": f"http://localhost:8000/assignment/html/{SAMPLE_TASK_ID}/report",
                            "student_id": SAMPLE_STUDENT["student_id"],
                            "student_ids": [SAMPLE_STUDENT["student_id"]],
                        },
                        "message": "Task completed",
                    },
                )
            ],
        )
        status_serializer: type[serializers.Serializer] = HtmlStatusSerializer
        pending, not_found = {**_PENDING, "data": None}, {**_NOT_FOUND, "data": None}
    else:
        done = {
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF report, as an attachment."
            ),
        }
        status_serializer = PdfStatusSerializer
        pending, not_found = _PENDING, _NOT_FOUND
    responses: dict[Any, Any] = {
        202: OpenApiResponse(
            status_serializer,
            description="PENDING, STARTED or RETRY: not finished yet (also when ?wait ran out).",
            examples=[OpenApiExample("Pending", value=pending)],
        ),
        400: OpenApiResponse(
            ErrorSerializer,
            description="A bad ?wait value.",
            examples=[OpenApiExample("Bad wait", value=_BAD_WAIT)],
        ),
        404: OpenApiResponse(
            status_serializer,
            description="Unknown or malformed id, or the id of a job of the other kind.",
            examples=[OpenApiExample("Not found", value=not_found)],
        ),
    }
    if isinstance(done, dict):
        responses.update(done)
        responses[(200, "application/json")] = OpenApiResponse(
            PdfStatusSerializer,
            description="FAILURE, with the reason in `message`; or SUCCESS, with "
            "`report_url`, when the Accept header excludes application/pdf.",
        )
    else:
        responses[(200, "application/json")] = done
        responses[(200, "text/html")] = OpenApiResponse(
            OpenApiTypes.STR,
            description="SUCCESS, when the client prefers text/html to application/json "
            "(a browser): the HTML report itself.",
        )
    return responses


FILE_RESPONSES = {
    (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The HTML report file."),
    (200, "application/pdf"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The PDF report file."
    ),
    404: OpenApiResponse(FileStatusSerializer, description="Unknown id."),
    409: OpenApiResponse(FileStatusSerializer, description="The job has not succeeded (yet)."),
}


CALLBACK_PARAMETER = OpenApiParameter(
    "callback_url",
    type={"type": "string", "minLength": 1, "maxLength": 2048},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "An http(s) URL that gets a signed POST (`Report-Signature`) when the job ends; "
        "works for every body and wins over the body's `callback_url`. Refused (400) when "
        "the service has no REPORT_WEBHOOK_SECRET or the host is not a public address."
    ),
)

DELETE_DESCRIPTION = (
    "Erases the job's input, its report row, its stored file and its webhook rows, even "
    "while the job runs (the run's result is then dropped). Afterwards its status URL "
    "answers 404. Repeating the DELETE answers 204 again; another API key gets 404."
)


def delete_responses(kind: str) -> dict[Any, Any]:
    not_found = {**_NOT_FOUND, "data": None} if kind == "html" else _NOT_FOUND
    status_serializer = HtmlStatusSerializer if kind == "html" else PdfStatusSerializer
    return {
        204: OpenApiResponse(description="Deleted (now, or by an earlier DELETE)."),
        404: OpenApiResponse(
            status_serializer,
            description="Unknown or malformed id, a job of the other kind, or another key's job.",
            examples=[OpenApiExample("Not found", value=not_found)],
        ),
    }
