"""HTTP metrics for Prometheus: three per request, under django-prometheus's names.

django-prometheus's two middlewares record about a dozen metrics per request (by charset,
template, body size, AJAX, ...), each a lookup and, under gunicorn, a write to a shared
file: a tenth of a status read's CPU. These three are what dashboards use; each label
combination's child is looked up once per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "django_http_requests_total_by_method", "Count of requests by method.", ["method"]
)
RESPONSES = Counter(
    "django_http_responses_total_by_status", "Count of responses by status.", ["status"]
)
LATENCY = Histogram(
    "django_http_requests_latency_seconds_by_view_method",
    "Histogram of request processing time labelled by view.",
    ["view", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0),
)

_children: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


class HttpMetricsMiddleware:
    """Outermost: counts every request, including those a middleware answers itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "<unnamed view>") if match else "<unresolved>"
        _child(REQUESTS, method).inc()
        _child(RESPONSES, str(response.status_code)).inc()
        _child(LATENCY, view, method).observe(time.perf_counter() - started)
        return response


_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
