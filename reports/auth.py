"""Optional API keys (``REPORT_API_KEYS``): DRF's authentication and permission classes.

Without keys configured the service is open. With them, every DRF endpoint needs
``Authorization: Bearer <key>``; the job records the sha256 of the key (its *owner*),
never the key, and only that key can read it back.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission


def key_owner(key: str) -> str:
    """What a job stores about the key that created it: its sha256, never the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiClient:
    owner: str
    is_authenticated: bool = True


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>``, compared in constant time with every known key."""

    def authenticate(self, request: Any) -> tuple[ApiClient, str] | None:
        keys = settings.REPORT_API_KEYS
        if not keys:
            return None
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None  # HasApiKey answers 401
        given = token.encode("utf-8", "replace")
        matched = False
        for key in keys:  # no early exit: the time taken does not say which key matched
            matched |= hmac.compare_digest(given, key.encode("utf-8"))
        if not matched:
            raise AuthenticationFailed("Invalid API key.")
        owner = key_owner(token)
        return ApiClient(owner=owner), owner

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="report-task"'


class HasApiKey(BasePermission):
    message = "An API key is required: send `Authorization: Bearer <key>`."

    def has_permission(self, request: Any, view: Any) -> bool:
        return not settings.REPORT_API_KEYS or request.auth is not None
