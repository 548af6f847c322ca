"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections

from config.broker import delivered_queue
from reports import services
from reports.logs import task_id_bound

logger = logging.getLogger(__name__)


@task_prerun.connect
@task_postrun.connect
def _drop_unusable_connections(**_: object) -> None:
    """With CELERY_DB_REUSE_MAX the worker keeps its connection between tasks; like a web
    request, each task still starts without a broken or over-age one (CONN_MAX_AGE)."""
    close_old_connections()


@shared_task(name="reports.run_job", bind=True, max_retries=None, acks_late=True)
def run_job(self: Task, job_id: str) -> str | None:
    with task_id_bound(job_id):
        return _run_job(self, job_id)


def _run_job(self: Task, job_id: str) -> str | None:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        outcome = services.job_run(job_id=job_id, redelivered=redelivered)
    except services.TransientError as exc:
        countdown = services.retry_countdown(self.request.retries)
        logger.warning("job %s: %s; retrying in %.1f s", job_id, exc, countdown)
        services.job_mark_retry(job_id=job_id, message=str(exc), countdown=countdown)
        queue = delivered_queue(self.request.delivery_info)  # not the default (html)
        raise self.retry(countdown=countdown, exc=exc, queue=queue) from exc
    except SoftTimeLimitExceeded:
        services.job_fail(
            job_id=job_id,
            message=f"The report took longer than {settings.REPORT_JOB_SOFT_TIME_LIMIT} s "
            "to build and was stopped.",
        )
        return "FAILURE"
    return outcome


@shared_task(name="reports.sweep_jobs", ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    return services.jobs_sweep()
