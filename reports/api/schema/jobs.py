"""The OpenAPI description of each operation (drf-spectacular): its responses, parameters
and examples, with the seed's sample; the views wear it as a decorator (``create_schema``,
``detail_schema``). The bodies' shapes are in ``schema_bodies.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from reports.api.bodies import (
    AcceptedShape,
    ErrorShape,
    FileStatusShape,
    HtmlStatusShape,
    PdfStatusShape,
)
from reports.api.request_body import ReportRequestSerializer
from reports.api.schema.parameters import CREATE_PARAMETERS
from reports.api.schema.types import TABLE_BODY, ZIP_BODY

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
    OpenApiExample(
        "With outcomes (runs' outcome and error, a submission's score)",
        value={
            **SAMPLE_STUDENT,
            "events": [
                {
                    "type": "run_code",
                    "created_time": "2024-07-21 03:05:10+00:00",
                    "unit": "17",
                    "outcome": "error",
                    "error_type": "NameError",
                    "error_line": 3,
                },
                {
                    "type": "run_code",
                    "created_time": "2024-07-21 03:06:02+00:00",
                    "unit": "17",
                    "outcome": "ok",
                },
                {
                    "type": "submission",
                    "created_time": "2024-07-21 03:06:40+00:00",
                    "unit": "17",
                    "score": 1,
                },
            ],
        },
        request_only=True,
    ),
]


def _error(code: str, message: str, **extra: Any) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorShape,
        description=message,
        examples=[
            OpenApiExample(code, value={"status": code, "message": message, **extra}),
        ],
    )


def create_responses(kind: str) -> dict[Any, Any]:
    return {
        202: OpenApiResponse(
            AcceptedShape,
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
        413: _error(
            "TOO_LARGE",
            "The request holds 1500 distinct units for one student (student at [3]); at "
            "most 500 are accepted in one request.",
            limit="units_per_student",
            max=500,
            found=1500,
            path="[3]",
        ),
        415: _error(
            "UNSUPPORTED_MEDIA_TYPE",
            'Unsupported media type "text/plain" in request (or a media type the ?input= '
            "format is not read in).",
        ),
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


_HTML_SUCCESS = {
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
}


def _status_serializer(kind: str) -> type[serializers.Serializer[Any]]:
    return HtmlStatusShape if kind == "html" else PdfStatusShape


def _without_report(kind: str, example: dict[str, Any]) -> dict[str, Any]:
    """An unfinished job's body: the HTML kind's carries ``"data": null``."""
    return {**example, "data": None} if kind == "html" else example


def _finished_responses(kind: str) -> dict[Any, Any]:
    """A finished job's answers: the report or the status body, by the Accept header."""
    if kind == "html":
        return {
            (200, "application/json"): OpenApiResponse(
                HtmlStatusShape,
                description="SUCCESS with the report, or FAILURE with the reason in `message`.",
                examples=[OpenApiExample("Success", value=_HTML_SUCCESS)],
            ),
            (200, "text/html"): OpenApiResponse(
                OpenApiTypes.STR,
                description="SUCCESS, when the client prefers text/html to application/json "
                "(a browser): the HTML report itself.",
            ),
        }
    return {
        (200, "application/pdf"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The PDF report, as an attachment."
        ),
        (200, "application/json"): OpenApiResponse(
            PdfStatusShape,
            description="FAILURE, with the reason in `message`; or SUCCESS, with "
            "`report_url`, when the Accept header excludes application/pdf.",
        ),
    }


_GONE = (
    "GONE: the job is there but its report file is not in the storage any more (removed "
    "outside the service); submit the request again."
)


def detail_responses(kind: str) -> dict[Any, Any]:
    return {
        202: OpenApiResponse(
            _status_serializer(kind),
            description="PENDING, STARTED or RETRY: not finished yet (also when ?wait ran out).",
            examples=[OpenApiExample("Pending", value=_without_report(kind, _PENDING))],
        ),
        400: OpenApiResponse(
            ErrorShape,
            description="A bad ?wait value.",
            examples=[OpenApiExample("Bad wait", value=_BAD_WAIT)],
        ),
        404: OpenApiResponse(
            _status_serializer(kind),
            description="Unknown or malformed id, or the id of a job of the other kind.",
            examples=[OpenApiExample("Not found", value=_without_report(kind, _NOT_FOUND))],
        ),
        410: OpenApiResponse(FileStatusShape, description=_GONE),
        **_finished_responses(kind),
    }


FILE_RESPONSES = {
    (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The HTML report file."),
    (200, "application/pdf"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The PDF report file."
    ),
    404: OpenApiResponse(FileStatusShape, description="Unknown id."),
    409: OpenApiResponse(FileStatusShape, description="The job has not succeeded (yet)."),
    410: OpenApiResponse(FileStatusShape, description=_GONE),
}


DELETE_DESCRIPTION = (
    "Erases the job's input, its report row, its stored file and its webhook rows, even "
    "while the job runs (the run's result is then dropped). Afterwards its status URL "
    "answers 404. Repeating the DELETE answers 204 again; another API key gets 404."
)


def delete_responses(kind: str) -> dict[Any, Any]:
    return {
        204: OpenApiResponse(description="Deleted (now, or by an earlier DELETE)."),
        404: OpenApiResponse(
            _status_serializer(kind),
            description="Unknown or malformed id, a job of the other kind, or another key's job.",
            examples=[OpenApiExample("Not found", value=_without_report(kind, _NOT_FOUND))],
        ),
    }


def create_schema(kind: str, *, parameters: Sequence[OpenApiParameter] = ()) -> Any:
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"{kind}_create",
            summary=f"Request a {kind.upper()} report",
            description="Stores the job and answers 202 at once; a worker builds the report.",
            tags=["reports"],
            request={
                "application/json": ReportRequestSerializer,
                "text/csv": TABLE_BODY,
                "application/zip": ZIP_BODY,
            },
            parameters=[*CREATE_PARAMETERS, *parameters],
            responses=create_responses(kind),
            examples=REQUEST_EXAMPLES,
        )
    )


def detail_schema(kind: str) -> Any:
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"{kind}_status",
            summary=f"The {kind.upper()} job's status, or its finished report",
            tags=["reports"],
            parameters=[WAIT_PARAMETER],
            responses=detail_responses(kind),
        ),
        delete=extend_schema(
            operation_id=f"{kind}_delete",
            summary=f"Delete the {kind.upper()} job and everything stored about it",
            description=DELETE_DESCRIPTION,
            tags=["reports"],
            responses=delete_responses(kind),
        ),
    )
