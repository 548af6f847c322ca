"""Celery tasks: thin wrappers that take ids and call the job lifecycle."""

from __future__ import annotations

import logging
import os
from typing import Any

from billiard.einfo import (  # type: ignore[attr-defined]  # not in its stubs
    ExceptionInfo,
    ExceptionWithTraceback,
)
from billiard.exceptions import Terminated, TimeLimitExceeded, WorkerLostError
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.worker.request import Request
from django.conf import settings
from django.db import connection

from config.broker import delivered_queue
from reports.jobs import memory, retention, run, states, sweep
from reports.ops.logs import task_id_bound
from reports.webhooks import delivery

logger = logging.getLogger(__name__)


# A pool process that died (killed, out of memory) or that Celery terminated (a revoke, or
# on RabbitMQ the connection lost: the broker hands its message to another worker at once).
Lost = (WorkerLostError, Terminated, SystemExit, KeyboardInterrupt)


def holder_name(node: str | None, pid: int | str) -> str:
    """Who holds a job while it runs: the Celery node and the pool process. (The worker
    sets both; celery-types calls a request's ``worker_pid`` a string, it is an int.)"""
    return f"{node}/{pid}"


class TaskRequest(Request):
    """Every task's request, in the worker's main process: a ``MemoryError`` that escaped a
    task ends that task as a failure. (Celery re-raises it there, "Unrecoverable error",
    and the whole worker exits.)"""

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        if isinstance(_exception(exc_info), MemoryError):
            exc_info = _not_fatal(exc_info)
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


class JobRequest(TaskRequest):
    """Also sees a pool process die or overrun its hard time limit, or a job run out of
    memory past run_job's own handling; it says so in the job's row before Celery requeues
    or acknowledges the message, so that the job is not left to wait for its lease."""

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        exc = _exception(exc_info)
        job_id = self.args[0] if self.args else self.id
        holder = holder_name(self.hostname, self.worker_pid) if self.worker_pid else None
        try:
            if holder and isinstance(exc, Lost):
                states.job_release(job_id=job_id, holder=holder)
            elif holder and isinstance(exc, TimeLimitExceeded):
                states.job_fail(job_id=job_id, holder=holder, message=_too_long(), crashed=True)
            elif holder and isinstance(exc, MemoryError):
                message = memory.out_of_memory_message()
                states.job_fail(job_id=job_id, holder=holder, message=message)
        except run.DATABASE_ERRORS as error:  # the lease still ends it, later
            logger.warning("job %s: could not record the lost run: %s", job_id, error)
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


class OutOfMemory(Exception):
    """A task's MemoryError, as its failure (not the worker's)."""


def _exception(exc_info: Any) -> BaseException:
    exc = exc_info.exception
    return exc.exc if isinstance(exc, ExceptionWithTraceback) else exc  # type: ignore[no-any-return]  # untyped billiard


def _not_fatal(exc_info: Any) -> ExceptionInfo:
    try:
        raise OutOfMemory(f"MemoryError: {_exception(exc_info)}") from None
    except OutOfMemory:
        return ExceptionInfo()


def _too_long() -> str:
    return (
        f"The report took longer than {settings.REPORT_JOB_SOFT_TIME_LIMIT} s to build "
        "and was stopped."
    )


class JobTask(Task[[str, int | None], str | None]):
    """run_job's class: a worker runs its messages as ``JobRequest``s (Celery's hook)."""

    Request = "reports.tasks:JobRequest"


class SafeTask(Task[..., Any]):
    """The other tasks' class: their messages run as ``TaskRequest``s."""

    Request = "reports.tasks:TaskRequest"


@shared_task(name="reports.run_job", bind=True, max_retries=None, acks_late=True, base=JobTask)
def run_job(self: JobTask, job_id: str, released: int | None = None) -> str | None:
    with task_id_bound(job_id):
        holder = holder_name(self.request.hostname, os.getpid())
        try:
            return _run(self, job_id=job_id, holder=holder, released=released)
        except MemoryError:
            # Past the job's ceiling (reports/jobs/memory.py). Handled below, outside this
            # clause: here the traceback still holds the frames, and so the memory.
            pass
        memory.after_out_of_memory()
        states.job_fail(job_id=job_id, holder=holder, message=memory.out_of_memory_message())
        logger.warning("job %s: out of memory", job_id, extra={"outcome": "FAILURE"})
        return "FAILURE"


def _run(self: JobTask, *, job_id: str, holder: str, released: int | None) -> str | None:
    try:
        return run.job_run(job_id=job_id, holder=holder, released=released)
    except run.TransientError as exc:
        connection.close()  # perhaps broken: the retry opens a new one
        countdown = run.retry_countdown(self.request.retries)
        logger.warning("job %s: %s; retrying in %.1f s", job_id, exc, countdown)
        states.job_mark_retry(job_id=job_id, fence=exc.fence, message=str(exc), countdown=countdown)
        queue = delivered_queue(self.request.delivery_info)  # not the default (html)
        raise self.retry(
            args=[job_id],  # type: ignore[arg-type]  # a list, as published: same argsrepr
            kwargs={"released": exc.fence},
            countdown=countdown,
            exc=exc,
            queue=queue,  # type: ignore[arg-type]  # None: Celery routes it by default
        ) from exc
    except SoftTimeLimitExceeded:
        states.job_fail(job_id=job_id, holder=holder, message=_too_long())
        return "FAILURE"


@shared_task(name="reports.sweep_jobs", ignore_result=True, base=SafeTask)
def sweep_jobs() -> dict[str, int]:
    return {**sweep.jobs_sweep(), **delivery.webhooks_sweep()}


@shared_task(
    name="reports.deliver_webhook",
    ignore_result=True,
    soft_time_limit=30,
    time_limit=60,
    base=SafeTask,
)
def deliver_webhook(job_id: str) -> str | None:
    with task_id_bound(job_id):
        return delivery.webhook_deliver(job_id=job_id)


@shared_task(
    name="reports.expire_jobs",
    ignore_result=True,
    soft_time_limit=200,
    time_limit=240,
    base=SafeTask,
)
def expire_jobs() -> dict[str, int]:
    return retention.jobs_expire()
