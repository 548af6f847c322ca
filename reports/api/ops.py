"""Endpoints for operators (liveness, readiness, metrics) and the JSON 404 and 500 pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from reports.api.auth import api_key_required
from reports.errors import error_body
from reports.ops import health
from reports.ops import metrics as job_metrics


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker both answer; 503 naming the one that does not."""
    from config.celery import app

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unavailable: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and broker answer and every migration is applied; else 503."""
    checks = health.readiness()
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@api_key_required(metrics_token=True)
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: HTTP metrics (reports.api.http_metrics) and job metrics."""
    return job_metrics.metrics_response(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("NOT_FOUND", "Not found."), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("ERROR", "Internal error; it has been logged."), status=500)
