"""What the schema says beyond each operation's own description (a drf-spectacular
postprocessing hook, SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): the time zone's names,
the HTTP server's own refusals, and the links from a created job to its other operations.
"""

from __future__ import annotations

from typing import Any

from reports.report.contract import known_timezones
from reports.report.limits import LIMIT_NAMES

# gunicorn answers these itself, as a line of plain text, before the request reaches
# Django (config/serve.py sets its limits): on any operation.
SERVER_REFUSALS = {
    "400": "The HTTP server refused a malformed request (its request line or a header).",
    "414": "The HTTP server refused a request line longer than 8190 bytes.",
    "431": "The HTTP server refused a header over 8190 bytes or more than 100 headers.",
}
WAIT_REFUSAL = (
    "?wait= while this API key already has REPORT_MAX_WAITS_PER_KEY waiting requests open "
    "in this web process (Retry-After)."
)
# What any operation may answer besides its own description, as the JSON error body.
SERVICE_REFUSALS = {
    "401": "API keys are on (REPORT_API_KEYS) and the request has no valid one.",
    "503": "The database is unreachable; try again (Retry-After).",
}
CREATE_REFUSALS = {
    "408": "The body did not arrive within REPORT_BODY_TIMEOUT seconds of the headers.",
    "422": "The Idempotency-Key was used with another request (CONFLICT); or, for a body in "
    "another format (?input=), none of its events maps to the report's (UNPROCESSABLE).",
    "429": "REPORT_MAX_QUEUED_JOBS jobs are already waiting or running (Retry-After).",
}


def _error() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


# A created job's id feeds the operations on it (schemathesis follows these links).
_TASK_ID = "$response.body#/task_id"


def _links(kind: str) -> dict[str, Any]:
    task = {"task_id": _TASK_ID}
    return {
        "status": {"operationId": f"{kind}_status", "parameters": task},
        "delete": {"operationId": f"{kind}_delete", "parameters": task},
        "report_file": {"operationId": "report_file", "parameters": {**task, "kind": kind}},
        "report_data": {"operationId": "report_data", "parameters": {**task, "kind": kind}},
    }


def _timezones(schema: dict[str, Any]) -> None:
    names = sorted(known_timezones())
    student = schema["components"]["schemas"].get("Student")
    if student is not None:
        student["properties"]["timezone"]["enum"] = names
    for operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "timezone":
                parameter["schema"]["enum"] = names


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema["paths"].values() for op in path.values()]


def _limit_names(schema: dict[str, Any]) -> None:
    """The 413's limit names, from the limits themselves (reports.errors is below them)."""
    error = schema["components"]["schemas"].get("Error")
    if error is not None:
        error["properties"]["limit"]["enum"] = list(LIMIT_NAMES)


def complete_schema(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    _timezones(result)
    _limit_names(result)
    for operation in _operations(result):
        responses = operation["responses"]
        creates = operation["operationId"].endswith("_create")
        refusals = {**SERVICE_REFUSALS, **(CREATE_REFUSALS if creates else {})}
        if any(p.get("name") == "wait" for p in operation.get("parameters", [])):
            refusals["429"] = WAIT_REFUSAL
        for code, description in refusals.items():
            responses.setdefault(code, {"description": description, "content": _error()})
        for code, description in SERVER_REFUSALS.items():
            response = responses.setdefault(code, {"description": description})
            response.setdefault("content", {})["text/plain"] = {"schema": {"type": "string"}}
        if creates:
            operation["requestBody"]["required"] = True  # no body: a 400
            responses["202"]["links"] = _links(operation["operationId"].partition("_")[0])
    return result
