"""Celery tasks: thin wrappers that take ids and call the job lifecycle."""

from __future__ import annotations

import logging
import os
from typing import Any

from billiard.einfo import ExceptionWithTraceback  # type: ignore[attr-defined]  # not in its stubs
from billiard.exceptions import Terminated, TimeLimitExceeded, WorkerLostError
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.worker.request import Request
from django.conf import settings
from django.db import connection

from config.broker import delivered_queue
from reports.jobs import claim, memory, retention, run, sweep
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


class JobRequest(Request):
    """Runs in the worker's main process, which sees a pool process die or overrun its hard
    time limit; it says so in the job's row before Celery requeues or acknowledges the
    message, so that the job is not left to wait for its lease to expire."""

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        exc = exc_info.exception
        if isinstance(exc, ExceptionWithTraceback):
            exc = exc.exc
        job_id = self.args[0] if self.args else self.id
        holder = holder_name(self.hostname, self.worker_pid) if self.worker_pid else None
        try:
            if holder and isinstance(exc, Lost):
                claim.job_release(job_id=job_id, holder=holder)
            elif holder and isinstance(exc, TimeLimitExceeded):
                run.job_fail(job_id=job_id, holder=holder, message=_too_long(), crashed=True)
        except run.DATABASE_ERRORS as error:  # the lease still ends it, later
            logger.warning("job %s: could not record the lost run: %s", job_id, error)
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


def _too_long() -> str:
    return (
        f"The report took longer than {settings.REPORT_JOB_SOFT_TIME_LIMIT} s to build "
        "and was stopped."
    )


class JobTask(Task[[str, int | None], str | None]):
    """run_job's class: a worker runs its messages as ``JobRequest``s (Celery's hook)."""

    Request = "reports.tasks:JobRequest"


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
        run.job_fail(job_id=job_id, holder=holder, message=memory.out_of_memory_message())
        logger.warning("job %s: out of memory", job_id, extra={"outcome": "FAILURE"})
        return "FAILURE"


def _run(self: JobTask, *, job_id: str, holder: str, released: int | None) -> str | None:
    try:
        return run.job_run(job_id=job_id, holder=holder, released=released)
    except run.TransientError as exc:
        connection.close()  # perhaps broken: the retry opens a new one
        countdown = run.retry_countdown(self.request.retries)
        logger.warning("job %s: %s; retrying in %.1f s", job_id, exc, countdown)
        run.job_mark_retry(job_id=job_id, fence=exc.fence, message=str(exc), countdown=countdown)
        queue = delivered_queue(self.request.delivery_info)  # not the default (html)
        raise self.retry(
            args=[job_id],  # type: ignore[arg-type]  # a list, as published: same argsrepr
            kwargs={"released": exc.fence},
            countdown=countdown,
            exc=exc,
            queue=queue,  # type: ignore[arg-type]  # None: Celery routes it by default
        ) from exc
    except SoftTimeLimitExceeded:
        run.job_fail(job_id=job_id, holder=holder, message=_too_long())
        return "FAILURE"


@shared_task(name="reports.sweep_jobs", ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    return {**sweep.jobs_sweep(), **delivery.webhooks_sweep()}


@shared_task(name="reports.deliver_webhook", ignore_result=True, soft_time_limit=30, time_limit=60)
def deliver_webhook(job_id: str) -> str | None:
    with task_id_bound(job_id):
        return delivery.webhook_deliver(job_id=job_id)


@shared_task(name="reports.expire_jobs", ignore_result=True, soft_time_limit=200, time_limit=240)
def expire_jobs() -> dict[str, int]:
    return retention.jobs_expire()
