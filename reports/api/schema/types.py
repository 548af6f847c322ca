"""The OpenAPI shapes of the API's bodies (drf-spectacular), drawn from the real types.

The request body's rules come from the msgspec types in ``contract.py`` through
``msgspec.json.schema_components``, so the schema and the validation cannot disagree.
The answer bodies are Structs (``bodies.py``), described here from the same types the
views encode; the error body's serializer below is for the schema only.
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

REF_TEMPLATE = "#/components/schemas/{name}"


def _openapi30(schema: Any) -> Any:
    """JSON Schema -> OpenAPI 3.0: ``anyOf: [X, {"type": "null"}]`` becomes X, nullable;
    an empty ``required`` goes."""
    if isinstance(schema, list):
        return [_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _openapi30(value) for key, value in schema.items()}
    if schema.get("required") == [] and schema.get("type") == "object":
        del schema["required"]  # OpenAPI 3.0 wants at least one name in a required list
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
    _register_components(auto_schema, components)
    return resolved


def _register_components(auto_schema: Any, components: dict[str, Any]) -> None:
    """msgspec's components as the schema's, each once (OpenAPI 3.0, no titles)."""
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
    target_class = "reports.api.request_body.MsgspecField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return _register_msgspec(auto_schema, self.target.type_)


class ReportRequestExtension(OpenApiSerializerExtension):
    """The POST body: one student object, or a non-empty list of them."""

    target_class = "reports.api.request_body.ReportRequestSerializer"

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return "ReportRequest"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        from reports.api.request_body import StudentSerializer

        student = auto_schema.resolve_serializer(StudentSerializer, direction).ref
        return {
            "anyOf": [
                student,
                {"type": "array", "items": student, "minItems": 1},
                XAPI_STATEMENTS,
                CALIPER_ENVELOPE,
            ],
            "description": "One student object, or a non-empty list of them; with "
            "?input=xapi, xAPI statements; with ?input=caliper, a Caliper envelope "
            '(docs/api.md, "Other input formats").',
        }


# The other JSON formats, as far as the service reads them (docs/api.md, "Other input formats").
_STATEMENT = {
    "type": "object",
    "required": ["actor", "verb", "object"],
    "properties": {
        "actor": {"type": "object"},
        "verb": {"type": "object", "properties": {"id": {"type": "string"}}},
        "object": {"type": "object", "properties": {"id": {"type": "string"}}},
        "timestamp": {"type": "string", "format": "date-time"},
        "result": {"type": "object"},
    },
}
XAPI_STATEMENTS = {
    "description": "?input=xapi: a list of xAPI statements, one statement, or an LRS result.",
    "anyOf": [
        {"type": "array", "items": _STATEMENT},
        {
            "type": "object",
            "required": ["statements"],
            "properties": {"statements": {"type": "array", "items": _STATEMENT}},
        },
    ],
}
CALIPER_ENVELOPE = {
    "description": "?input=caliper: a Caliper envelope.",
    "type": "object",
    "required": ["data"],
    "properties": {
        "sensor": {"type": "string"},
        "sendTime": {"type": "string", "format": "date-time"},
        "dataVersion": {"type": "string"},
        "data": {"type": "array", "items": {"type": "object"}},
    },
}


# --- Responses ----------------------------------------------------------------------------


class StructShapeExtension(OpenApiSerializerExtension):
    """An answer body declared as a Struct (``bodies.py``): its component, from the type the
    views encode."""

    target_class = "reports.api.bodies.StructShape"
    match_subclasses = True

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        target = self.target  # the shape class, or an instance of it
        return (target if isinstance(target, type) else type(target)).__name__

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        struct = self.target.struct
        (_,), components = msgspec.json.schema_components([struct], ref_template=REF_TEMPLATE)
        own = _openapi30(components.pop(struct.__name__))
        own.pop("title", None)
        _register_components(auto_schema, components)
        return dict(own)


# ProgSnap2's bodies: a table, or a zip (xAPI's and Caliper's are JSON, in ReportRequest).
TABLE_BODY = {
    "type": "string",
    "description": "?input=progsnap2: a ProgSnap2 MainTable.csv (up to REPORT_MAX_CSV_BYTES).",
}
ZIP_BODY = {
    "type": "string",
    "format": "binary",
    "description": "?input=progsnap2: a zip of MainTable.csv and DatasetMetadata.csv.",
}
