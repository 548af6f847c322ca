from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from reports.errors import error_body


class BodySizeLimitMiddleware:
    """Answers 413 from the Content-Length header alone, before any byte is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REPORT_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                error_body("INVALID", "Malformed Content-Length header."), status=400
            )
        if length > limit:
            response = JsonResponse(
                error_body("TOO_LARGE", f"The request body is larger than {limit} bytes."),
                status=413,
            )
            response["Connection"] = "close"
            return response
        return self.get_response(request)
