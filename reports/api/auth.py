"""Optional API keys (``REPORT_API_KEYS``): the one key check, for DRF and plain views.

Without keys configured the service is open. With them, every endpoint that returns data
needs ``Authorization: Bearer <key>`` (docs/api.md lists the public paths); the job
records the sha256 of the key (its *owner*), never the key, and only that key can read it
back. ``api_key_owner`` is the check; ``ApiKeyAuthentication`` (DRF views) and
``api_key_required`` (plain Django views) only adapt its answer.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.request import Request

from config.api_keys import key_owner as key_owner  # a job's owner: defined beside the keys
from reports.errors import error_body

WWW_AUTHENTICATE = 'Bearer realm="report-task"'
MISSING = "An API key is required: send `Authorization: Bearer <key>`."
INVALID = "Invalid API key."

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


class Unauthorized(Exception):
    """No valid key on a request that needs one; the message says which case."""

    def __init__(self, message: str, *, missing: bool) -> None:
        super().__init__(message)
        self.message = message
        self.missing = missing


@functools.lru_cache(maxsize=8)
def _digests(accepted: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(key_owner(value) for value in accepted)


def api_key_owner(request: HttpRequest, *, also: tuple[str, ...] = ()) -> str | None:
    """The key check. None when no key (nor any of ``also``) is configured: the service is
    open. Otherwise the owner of the valid bearer token, or ``Unauthorized``.

    Every configured value is compared, by sha256 digest (equal lengths) in constant time
    and without an early exit, so the time taken says nothing about which one matched.
    """
    accepted = (*settings.REPORT_API_KEYS, *also)
    if not accepted:
        return None
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(MISSING, missing=True)
    given = key_owner(token)
    matched = False
    for digest in _digests(accepted):
        matched |= hmac.compare_digest(given, digest)
    if not matched:
        raise Unauthorized(INVALID, missing=False)
    return given


@dataclass(frozen=True)
class ApiClient:
    owner: str
    is_authenticated: bool = True


class ApiKeyAuthentication(BaseAuthentication):
    """DRF's side of ``api_key_owner``: every DRF view but the public schema pages."""

    def authenticate(self, request: Any) -> tuple[ApiClient, str] | None:
        try:
            owner = api_key_owner(request._request)
        except Unauthorized as exc:
            raise (NotAuthenticated if exc.missing else AuthenticationFailed)(exc.message) from None
        return None if owner is None else (ApiClient(owner=owner), owner)

    def authenticate_header(self, request: Any) -> str:
        return WWW_AUTHENTICATE


def request_owner(request: Request) -> str | None:
    """The owner a DRF request was authenticated as; None when the service is open."""
    # ApiKeyAuthentication is the only authentication (REST_FRAMEWORK in config/settings.py):
    # its token is the owner, and an unauthenticated request's is None.
    return cast("str | None", request.auth)


def unauthorized_response(message: str) -> JsonResponse:
    response = JsonResponse(error_body("UNAUTHORIZED", message), status=401)
    response["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


def api_key_required(*, metrics_token: bool = False) -> Callable[[View[P]], View[P]]:
    """Plain Django views' side of ``api_key_owner``, answering the same 401 as DRF views.
    ``metrics_token``: ``REPORT_METRICS_TOKEN`` (a Prometheus scraper's) is accepted too."""

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            token = settings.REPORT_METRICS_TOKEN if metrics_token else ""
            try:
                api_key_owner(request, also=(token,) if token else ())
            except Unauthorized as exc:
                return unauthorized_response(exc.message)
            return view(request, *args, **kwargs)

        return guarded

    return decorate
