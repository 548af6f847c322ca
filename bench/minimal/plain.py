"""The HTTP server alone: a WSGI callable that answers ``{}`` without a framework, served
the way the service is (``served``: behind the event-loop front)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reports.api.front import front_for


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]


served = front_for(application)
