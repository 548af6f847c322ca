"""The domain's error types (one base, ServiceError) and the JSON body every error leaves as."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from rest_framework import status


class ServiceError(Exception):
    """An error with a message meant for the client."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "INVALID"

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.details = details or {}  # more top-level fields of the error body


class InvalidInput(ServiceError):
    pass


class PayloadTooLarge(ServiceError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "TOO_LARGE"


class TooManyJobs(ServiceError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "BUSY"


class Conflict(ServiceError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "CONFLICT"


class UnsupportedMediaType(ServiceError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "UNSUPPORTED_MEDIA_TYPE"


class Unprocessable(ServiceError):
    """A well-formed input of another format of which no event maps to the report's."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "UNPROCESSABLE"


class Unavailable(ServiceError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "UNAVAILABLE"


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The JSON body every error leaves as (the schema's ``Error``, from this type)."""

    status: Annotated[
        str, msgspec.Meta(description="INVALID, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ...")
    ]
    message: str
    errors: (
        Annotated[
            dict[str, list[str]], msgspec.Meta(description="Every bad field by its path, up to 50.")
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    limit: (
        Annotated[
            str,
            msgspec.Meta(
                # its names' enum is added to the schema by api/schema/complete.py
                description="413 over a count's limit: which one (docs/guarantees.md, "
                "Bounded work).",
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    max: Annotated[int, msgspec.Meta(description="413: the limit's value.")] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    found: (
        Annotated[int, msgspec.Meta(description="413: the request's count.")] | msgspec.UnsetType
    ) = msgspec.UNSET
    path: (
        Annotated[
            str, msgspec.Meta(description="413: the student over a limit of one student's ('[3]').")
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


def error_body(
    code: str,
    message: str,
    errors: dict[str, Any] | list[Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``errors``: each bad field's messages by its path; a DRF ValidationError's detail
    (a list when it names no field). ``details``: fields of the error's own (a limit's
    name, maximum and the value found)."""
    body = ErrorBody(code, message, errors=errors or msgspec.UNSET, **(details or {}))  # type: ignore[arg-type]  # a DRF detail may be a list
    built: dict[str, Any] = msgspec.to_builtins(body, enc_hook=str)  # DRF's ErrorDetail: a str
    return built
