from __future__ import annotations

from collections.abc import Awaitable, Callable

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from reports.api.body_limit import body_limit
from reports.errors import error_body


class BodySizeLimitMiddleware:
    """Answers 413 from the Content-Length header alone, before any byte is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(
            request.META.get("QUERY_STRING", ""),
            json_bytes=settings.REPORT_MAX_BODY_BYTES,
            csv_bytes=settings.REPORT_MAX_CSV_BYTES,
        )
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


# Where config/urls.py mounts the admin site: the only pages with sessions and logins.
ADMIN_PATH = "admin/"


class _AdminOnly(MiddlewareMixin):
    """Runs the middleware it is mixed into for the admin site's paths only. The API and
    the web page use no session, user or message (the API authenticates by key), so every
    other request skips their work. (CSRF protection stays on everywhere: Django's deploy
    check expects its own middleware, and DRF's views are exempt from it anyway.)"""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if request.path_info.startswith("/" + ADMIN_PATH):
            return super().__call__(request)  # the mixed-in middleware's
        return self.get_response(request)


class AdminSessionMiddleware(_AdminOnly, SessionMiddleware):
    pass


class AdminAuthenticationMiddleware(_AdminOnly, AuthenticationMiddleware):
    pass


class AdminMessageMiddleware(_AdminOnly, MessageMiddleware):
    pass
