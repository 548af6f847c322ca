"""The one place that turns errors into JSON responses (DRF's EXCEPTION_HANDLER)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

from reports.errors import ServiceError, error_body

logger = logging.getLogger(__name__)


_DRF_CODES = {
    status.HTTP_400_BAD_REQUEST: "INVALID",
    status.HTTP_401_UNAUTHORIZED: "UNAUTHORIZED",
    status.HTTP_403_FORBIDDEN: "FORBIDDEN",
    status.HTTP_404_NOT_FOUND: "NOT_FOUND",
    status.HTTP_405_METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    status.HTTP_406_NOT_ACCEPTABLE: "NOT_ACCEPTABLE",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "TOO_LARGE",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
    status.HTTP_429_TOO_MANY_REQUESTS: "BUSY",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error leaves as JSON, and the transaction rolls back."""
    from rest_framework.views import set_rollback  # here: rest_framework.views imports our parser

    set_rollback()
    if isinstance(exc, ServiceError):
        return Response(
            error_body(exc.code, exc.message, exc.errors, exc.details),
            status=exc.status_code,
            headers=exc.headers,
        )
    if isinstance(exc, drf_exceptions.ValidationError):
        return Response(
            error_body("INVALID", "The request body is invalid.", exc.detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, drf_exceptions.APIException):
        headers: dict[str, str] = {}
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:  # 401: tell the client how to authenticate
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)  # 429 (Throttled)
        if wait:
            headers["Retry-After"] = str(int(wait))
        code = _DRF_CODES.get(exc.status_code, "ERROR")
        return Response(error_body(code, str(exc.detail)), status=exc.status_code, headers=headers)
    if isinstance(exc, Http404):
        return Response(error_body("NOT_FOUND", "Not found."), status=status.HTTP_404_NOT_FOUND)
    # Only a database that cannot be reached is "unavailable"; an IntegrityError or a
    # DataError is a bug and leaves as a 500, not as a retry-later.
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        return Response(
            error_body("UNAVAILABLE", "The database is unavailable; try again shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    return None  # a bug: Django logs it and answers with the JSON 500 handler
