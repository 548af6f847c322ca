"""Raw SQL for the job lifecycle's hot statements, on Django's own connection.

On PostgreSQL the cursor is psycopg's own (server-side parameters; psycopg prepares a
statement after a few runs): bytes travel in binary, where Django's client-side binding
would hex-escape a request body into the SQL text and double its size. On SQLite it is
Django's cursor. Either way the cursor joins Django's transaction, the SQL text is the same
(``%s`` placeholders, ``UPDATE … RETURNING``, ``INSERT … ON CONFLICT``), and errors arrive
as Django's ``OperationalError``/``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def timestamp(value: datetime | None) -> Any:
    """A datetime parameter as the backend stores it (SQLite keeps text)."""
    return connection.ops.adapt_datetimefield_value(value)


@contextmanager
def _cursor() -> Iterator[Any]:
    if is_postgresql():
        import psycopg

        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            yield cursor
    else:
        with connection.cursor() as cursor:
            yield cursor


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement; the number of rows it changed."""
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def fetchone(sql: str, params: Sequence[Any], *, binary: bool = False) -> tuple[Any, ...] | None:
    """The first row of a statement's result (``binary``: bytes columns without hex)."""
    with _cursor() as cursor:
        if binary and is_postgresql():
            cursor.execute(sql, params, binary=True)
        else:
            cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def pk(value: Any) -> Any:
    """A job id (UUID or its text) as the backend stores it (SQLite: 32 hex digits)."""
    from reports.models import ReportJob

    return ReportJob._meta.pk.get_db_prep_value(value, connection)  # type: ignore[union-attr]
