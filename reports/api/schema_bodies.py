"""The OpenAPI shapes of the API's bodies (drf-spectacular), drawn from the real types.

The request body's rules come from the msgspec types in ``contract.py`` through
``msgspec.json.schema_components``, so the schema and the validation cannot disagree.
The response serializers below are for the schema only: the views build their bodies
by hand and the tests hold them to these shapes (schemathesis checks conformance).
``schema.py`` puts these shapes on the operations.
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
from rest_framework import serializers

from reports.models import JobStatus, WebhookState

REF_TEMPLATE = "#/components/schemas/{name}"
# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].
STATES = [*JobStatus.values, "NOT_FOUND", "GONE"]
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
    resolved: dict[str, Any] = _openapi30(schema)  # the schema of a type: an object
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
    return resolved


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


class AcceptedSerializer(serializers.Serializer[Any]):
    task_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ACCEPTED_STATES)
    status_url = serializers.URLField(help_text="Where to GET the job's status.")


class ProgressSerializer(serializers.Serializer[Any]):
    done = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0)


class HtmlReportSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    task_id = serializers.UUIDField()
    report = serializers.CharField(help_text="The HTML document.")
    report_url = serializers.URLField(help_text="Downloads the stored file.")
    student_id = serializers.CharField(
        allow_null=True, help_text="null when the report has several students."
    )
    student_ids = serializers.ListField(child=serializers.CharField())


class WebhookSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=WebhookState.values)
    attempts = serializers.IntegerField(min_value=0)
    last_status = serializers.IntegerField(
        allow_null=True, help_text="The HTTP status of the last attempt; null: no answer."
    )


_WEBHOOK_HELP = "Only for a job created with a callback_url: where its event's delivery stands."


class HtmlStatusSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATES)
    data = HtmlReportSerializer(allow_null=True)  # type: ignore[assignment]  # a field, not .data
    message = serializers.CharField()
    progress = ProgressSerializer(required=False, help_text="Only with several students.")
    webhook = WebhookSerializer(required=False, help_text=_WEBHOOK_HELP)


class PdfStatusSerializer(serializers.Serializer[Any]):
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


class FileStatusSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATES)
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(help_text="INVALID, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ...")
    message = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # a field, not .errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Every bad field by its path, up to 50.",
    )
    limit = serializers.ChoiceField(
        choices=[
            "events",
            "students",
            "units",
            "units_per_student",
            "event_types",
            "question_cells",
        ],
        required=False,
        help_text="413 over a count's limit: which one (docs/guarantees.md, Bounded work).",
    )
    max = serializers.IntegerField(required=False, help_text="413: the limit's value.")
    found = serializers.IntegerField(required=False, help_text="413: the request's count.")
    path = serializers.CharField(
        required=False, help_text="413: the student over a limit of one student's ('[3]')."
    )
