"""Structured logs that carry the task id from the request through the worker.

The id lives in a context variable: the POST view sets it once the job exists, the detail
views set it from the URL, the Celery task wrapper sets it from its argument. A logging
filter copies it onto every record, and the JSON formatter writes one object per line.
A Celery worker's lines also carry its node name (``worker@<host name>``), which is
what the job rows record as ``worker``: with workers on several machines, each line says
which one wrote it.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

current_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_task_id", default=None
)


_node: str | None = None  # this process's Celery node name, in a worker


def bind_node(name: str) -> None:
    """Tag every log line of this process (and of the pool processes it forks) with it."""
    global _node
    _node = name


def bind_task_id(task_id: object) -> None:
    """Tag the logs of the rest of this request (or task) with the job's id."""
    current_task_id.set(str(task_id))


@contextmanager
def task_id_bound(task_id: object) -> Iterator[None]:
    token = current_task_id.set(str(task_id))
    try:
        yield
    finally:
        current_task_id.reset(token)


class TaskIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "task_id", None) is None:
            record.task_id = current_task_id.get() or "-"
        return True


# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "task_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        task_id = getattr(record, "task_id", None) or current_task_id.get()
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "task_id": None if task_id in (None, "-") else task_id,
            "process": record.process,
        }
        if _node is not None:
            entry["node"] = _node
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TaskIdMiddleware:
    """Starts every request with no task id and clears it afterwards: gunicorn's threads
    serve many requests, and a context variable set in one must not leak into the next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_task_id.set(None)
        try:
            return self.get_response(request)
        finally:
            current_task_id.reset(token)
