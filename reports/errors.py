"""The domain's error types (one base, ServiceError) and the JSON body every error leaves as."""

from __future__ import annotations

from typing import Any

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


class Unavailable(ServiceError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "UNAVAILABLE"


def error_body(
    code: str,
    message: str,
    errors: dict[str, Any] | list[Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``errors``: each bad field's messages by its path; a DRF ValidationError's detail
    (a list when it names no field). ``details``: fields of the error's own (a limit's
    name, maximum and the value found)."""
    body: dict[str, Any] = {"status": code, "message": message}
    if errors:
        body["errors"] = errors
    if details:
        body.update(details)
    return body
