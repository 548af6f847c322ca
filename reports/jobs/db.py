"""Raw SQL for the job lifecycle's hot statements, on Django's own connection.

On PostgreSQL the cursor is psycopg's own (server-side parameters; psycopg prepares a
statement after a few runs): bytes travel in binary, where Django's client-side binding
would hex-escape a request body into the SQL text and double its size. On SQLite it is
Django's cursor. Either way the cursor joins Django's transaction, the SQL text is the same
(``%s`` placeholders, ``UPDATE … RETURNING``, ``INSERT … ON CONFLICT``), and errors arrive
as Django's ``OperationalError``/``IntegrityError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.db.models import Field, Model, Q

T = TypeVar("T")
# Positional (``%s``) or named (``%(name)s``) parameters: both databases take either.
Params = Sequence[Any] | Mapping[str, Any]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def timestamp(value: datetime | None) -> Any:
    """A datetime parameter as the backend stores it (SQLite keeps text)."""
    return connection.ops.adapt_datetimefield_value(value)


@contextmanager
def _cursor(*, health_check: bool = True) -> Iterator[Any]:
    if is_postgresql():
        import psycopg

        if health_check:
            # Django's once-per-request health check (CONN_HEALTH_CHECKS), as its own
            # cursors do: a connection broken by a database restart is replaced first.
            connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            yield cursor
    else:
        with connection.cursor() as cursor:
            yield cursor


def execute(sql: str, params: Params) -> int:
    """Run one statement; the number of rows it changed."""
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def fetchone(sql: str, params: Params, *, binary: bool = False) -> tuple[Any, ...] | None:
    """The first row of a statement's result (``binary``: bytes columns without hex)."""
    with _cursor() as cursor:
        if binary and is_postgresql():
            cursor.execute(sql, params, binary=True)
        else:
            cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def notify(channel: str, payload: str) -> None:
    """PostgreSQL's NOTIFY, delivered when the current transaction commits; SQLite has none
    (nothing to do: its waiters poll)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [channel, payload])


def drop_buffers() -> None:
    """Close the connection (the next statement opens a new one), outside a transaction.

    libpq keeps its input buffer as large as the largest message it has received, for the
    life of the connection: after reading a big job's body, closing it is what returns those
    megabytes, which the worker would otherwise carry through the job and every later one."""
    if is_postgresql() and not connection.in_atomic_block:
        connection.close()


def _without_health_check(statement: Callable[[bool], T]) -> T:
    """Run ``statement(retry)`` without the per-request health check (a round trip of its
    own): when the connection turns out broken, it is replaced and the statement run once
    more (``retry`` True, health check on). Outside a transaction only."""
    for retry in (False, True):
        try:
            return statement(retry)
        except (OperationalError, InterfaceError):
            if retry or connection.in_atomic_block:
                raise
            connection.close()
    raise AssertionError("unreachable")


def read_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """``fetchone`` for a read-only statement, without the health check first (a broken
    connection is replaced and the read run again). Only safe for statements that change
    nothing."""

    def read(retry: bool) -> tuple[Any, ...] | None:
        with _cursor(health_check=retry) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return tuple(row) if row is not None else None

    return _without_health_check(read)


def insert_once(sql: str, params: Sequence[Any], *, primary_key: str) -> None:
    """Run one ``INSERT`` statement that sets its own primary key (autocommit), without the
    health check first (a broken connection is replaced and the statement sent again).
    Should the first one have been stored after all (the connection broke between its
    commit and the answer), the second fails on ``primary_key`` (the constraint's name):
    that counts as done, not as a conflict."""

    def insert(retry: bool) -> None:
        try:
            with _cursor(health_check=retry) as cursor:
                cursor.execute(sql, params)
        except IntegrityError as exc:
            if not (retry and _constraint(exc) == primary_key):
                raise

    _without_health_check(insert)


def _constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def pk(value: Any) -> Any:
    """A job id (UUID or its text) as the backend stores it (SQLite: 32 hex digits)."""
    from reports.models import ReportJob

    return ReportJob._meta.pk.get_db_prep_value(value, connection)


def insert_row(instance: Model, *, source: str = "") -> tuple[str, list[Any]]:
    """``INSERT`` SQL and parameters for a new model instance: every concrete field, with the
    defaults the model filled in (the ORM's save would compile the same statement anew).
    ``source``: insert ``SELECT <values> FROM <source>`` (a row only if the source has one)."""
    fields = instance._meta.concrete_fields
    sql = _insert_sql(type(instance), source, connection.vendor)
    return sql, [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]


@functools.cache
def _insert_sql(model: type[Model], source: str, vendor: str) -> str:
    meta = model._meta
    fields = meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Only the model's own table and column names go into the text; values are bound.
    values = f"VALUES ({placeholders})"
    if source:
        values = f"SELECT {placeholders} FROM {source}"  # noqa: S608
    return f"INSERT INTO {meta.db_table} ({columns}) {values}"


def on_conflict_update(instance: Model, *, unique: str, keep: tuple[str, ...]) -> str:
    """``ON CONFLICT (<unique>) DO UPDATE`` of every column but ``keep`` (and the key)."""
    return _on_conflict_sql(type(instance), unique, keep, connection.vendor)


@functools.cache
def _on_conflict_sql(model: type[Model], unique: str, keep: tuple[str, ...], vendor: str) -> str:
    meta = model._meta
    quote = connection.ops.quote_name
    unique_column = _column(cast("Field[Any, Any]", meta.get_field(unique)))  # a column's field
    updated = [
        f"{quote(_column(f))} = EXCLUDED.{quote(_column(f))}"
        for f in meta.concrete_fields
        if f.name not in keep and f.column != unique_column and not f.primary_key
    ]
    return f" ON CONFLICT ({quote(unique_column)}) DO UPDATE SET {', '.join(updated)}"


def _column(field: Field[Any, Any]) -> str:
    """A concrete field's column (the stubs allow None: Django's fields without a column)."""
    return cast(str, field.column)


# --- What differs between the two databases outside the state machine ---------------------


def bytes_position(column: str) -> str:
    """SQL that is true where the bytes parameter occurs in a binary column."""
    if is_postgresql():
        return f"position(%s in {column}) > 0"
    return f"instr({column}, %s) > 0"


def json_list_contains(field: str, value: str) -> Q | None:
    """A filter for rows whose JSON list ``field`` holds ``value``; None on SQLite, which
    has no JSON containment (the caller then reads the lists, or matches their text)."""
    if is_postgresql():
        return Q(**{f"{field}__contains": [value]})
    return None
