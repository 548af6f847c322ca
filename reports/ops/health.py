"""Readiness: can this instance serve? (``/healthz`` keeps its own, older contract.)"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _broker() -> str:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _migrations() -> str:
    # Every known migration not recorded as applied: a plan towards the leaf nodes would
    # miss an early one that is unapplied while a later one is recorded.
    loader = MigrationLoader(connections[DEFAULT_DB_ALIAS], ignore_no_migrations=True)
    unapplied = [key for key in loader.graph.nodes if key not in loader.applied_migrations]
    if unapplied:
        return f"unapplied: {len(unapplied)} migration(s)"
    return "ok"


def readiness() -> dict[str, str]:
    """Each check's outcome: "ok", or what went wrong. Migrations are only checked when the
    database answers."""
    checks: dict[str, str] = {}
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"unavailable: {exc.__class__.__name__}"
    if checks["database"] == "ok":
        try:
            checks["migrations"] = _migrations()
        except Exception as exc:
            checks["migrations"] = f"unknown: {exc.__class__.__name__}"
    else:
        checks["migrations"] = "unknown: database unavailable"
    return checks
