"""Delivering a finished job's event: claimed like a job, retried with backoff, recorded."""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from reports.models import (
    FINISHED_STATUSES,
    JobStatus,
    ReportJob,
    WebhookAttempt,
    WebhookDelivery,
    WebhookState,
)
from reports.webhooks import sender
from reports.webhooks.signing import HEADER, signature_header, signing_secrets

logger = logging.getLogger(__name__)

TASK_NAME = "reports.deliver_webhook"
# An attempt holds its delivery this long (the request itself is bounded by 10 s); after it
# another run may take the delivery over.
LEASE = timedelta(seconds=60)
BACKOFF_CAP = 3600.0  # seconds: the longest wait between two attempts


def webhook_publish(*, job_id: uuid.UUID | str, eta: datetime | None = None) -> bool:
    """Queue a delivery attempt. A broker outage is not an error: the sweeper publishes
    deliveries that are due (``webhooks_sweep``)."""
    from config.celery import app

    try:
        app.send_task(TASK_NAME, args=[str(job_id)], eta=eta)
    except Exception as exc:  # kombu and redis-py raise a variety of connection errors
        logger.warning("could not queue the webhook of job %s, the sweeper will: %s", job_id, exc)
        WebhookDelivery.objects.filter(job_id=uuid.UUID(str(job_id))).update(published_at=None)
        return False
    return True


def webhook_publish_after_commit(*, job_id: uuid.UUID | str) -> None:
    """For a run that ended a job it knows has a callback: queue it once the end commits."""
    transaction.on_commit(lambda: webhook_publish(job_id=job_id), robust=True)


def webhook_after_commit(*, job_id: uuid.UUID | str) -> None:
    """For the paths that end a job without knowing whether it has a callback (failures):
    once the end commits, queue its delivery if it has one. The row is durable either way."""

    def publish() -> None:
        pending = WebhookDelivery.objects.filter(state=WebhookState.PENDING)
        if pending.filter(job_id=uuid.UUID(str(job_id))).exists():
            webhook_publish(job_id=job_id)

    transaction.on_commit(publish, robust=True)


def webhook_event(*, job: ReportJob, status_url: str) -> dict[str, Any]:
    """What the receiver is told: never the report, only where to fetch it."""
    succeeded = job.status == JobStatus.SUCCESS
    finished = job.finished_at or timezone.now()
    return {
        "type": "report.succeeded" if succeeded else "report.failed",
        "task_id": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "status_url": status_url,
        "report_url": f"{status_url}/report" if succeeded else None,
        "created_at": finished.isoformat().replace("+00:00", "Z"),
    }


def _claim(job_id: uuid.UUID, now: datetime) -> WebhookDelivery | None:
    """Take the delivery if it is due and nobody holds it (a duplicate message, or one that
    arrived before its time, does nothing)."""
    due = Q(state__in=[WebhookState.PENDING, WebhookState.RETRYING]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(state=WebhookState.SENDING, next_attempt_at__lt=now)
    lease = now + LEASE
    taken = WebhookDelivery.objects.filter(
        due | abandoned, job_id=job_id, job__status__in=FINISHED_STATUSES
    ).update(state=WebhookState.SENDING, next_attempt_at=lease)
    if not taken:
        return None
    delivery = WebhookDelivery.objects.select_related("job").filter(job_id=job_id).first()
    if delivery is None or delivery.next_attempt_at != lease:
        return None
    return delivery


def retry_delay(*, attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter (about 1, 2, 4 ... s, at most an hour), and never
    sooner than the receiver's Retry-After."""
    ceiling = min(BACKOFF_CAP, 2.0 ** max(0, attempt - 1))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class _Next:
    state: str
    at: datetime | None  # the next attempt (retrying)


def _next(delivery: WebhookDelivery, outcome: sender.Outcome, now: datetime, attempt: int) -> _Next:
    if outcome.delivered:
        return _Next(WebhookState.DELIVERED, None)
    if not outcome.retry:
        return _Next(WebhookState.FAILED, None)
    delay = retry_delay(attempt=attempt, retry_after=outcome.retry_after)
    at = now + timedelta(seconds=delay)
    give_up_at = (delivery.job.finished_at or now) + timedelta(
        seconds=settings.REPORT_WEBHOOK_RETRY_FOR
    )
    if at > give_up_at:
        return _Next(WebhookState.FAILED, None)
    return _Next(WebhookState.RETRYING, at)


def _attempt(delivery: WebhookDelivery) -> sender.Outcome:
    """Build, sign and send the event: whatever goes wrong is an outcome, never an
    exception. One that escaped would leave the delivery ``sending`` with no attempt
    counted, and the sweeper would run it again after every lease, for ever; recorded, it
    is retried, and given up on by the 24 h rule like any other failure."""
    try:
        body = orjson.dumps(webhook_event(job=delivery.job, status_url=delivery.status_url))
        secrets = signing_secrets(owner=delivery.job.owner)
        signature = signature_header(secrets=secrets, body=body)
        return sender.post(delivery.url, body, {HEADER: signature})
    except Exception as exc:  # anything at all: see above
        logger.exception("webhook of job %s: the attempt raised", delivery.job_id)
        return sender.Outcome(None, f"failed: {exc.__class__.__name__}: {exc}", retry=True)


def webhook_deliver(*, job_id: uuid.UUID | str) -> str | None:
    """One attempt at the job's delivery, recorded; the next one queued if it failed in a
    way worth retrying. None when there was nothing to do."""
    now = timezone.now()
    key = uuid.UUID(str(job_id))  # the task passes the id as text
    delivery = _claim(key, now)
    if delivery is None:
        return None
    started = time.monotonic()
    outcome = _attempt(delivery)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    attempt = delivery.attempts + 1
    at = timezone.now()
    step = _next(delivery, outcome, at, attempt)
    # A message for a near retry goes out now with its ETA; a far one (past what the broker
    # should hold) is published by the sweeper once it is due.
    queue_now = step.at is not None and (
        (step.at - at).total_seconds() <= settings.REPORT_SWEEP_PENDING_AFTER
    )
    recorded = _record(delivery, outcome, step, at=at, elapsed_ms=elapsed_ms, queue_now=queue_now)
    if recorded is None:  # the job was deleted meanwhile
        return None
    if recorded and queue_now:
        webhook_publish(job_id=key, eta=step.at)
    log = logger.info if outcome.delivered else logger.warning
    log(
        "webhook of job %s: %s (attempt %d%s)",
        job_id,
        "delivered" if outcome.delivered else outcome.error,
        attempt,
        f", next at {step.at:%H:%M:%S}" if step.at else "",
        extra={"webhook_state": step.state, "http_status": outcome.status},
    )
    return step.state


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _storable(error: str) -> str:
    """An attempt's error as text any database keeps, at most 2,000 characters. It may
    quote the receiver's answer (a malformed status line, say), and PostgreSQL refuses a
    NUL in text, UTF-8 a lone surrogate: a row that cannot be written would leave the
    delivery ``sending``, re-run after every lease. Such characters are written escaped."""
    return _UNSTORABLE.sub(lambda m: repr(m.group())[1:-1], error)[:2000]


def _record(
    delivery: WebhookDelivery,
    outcome: sender.Outcome,
    step: _Next,
    *,
    at: datetime,
    elapsed_ms: int,
    queue_now: bool,
) -> bool | None:
    """The attempt and the delivery's next state, if the delivery is still ours (its lease
    unchanged): whether it was. None if the job no longer exists."""
    key = delivery.job_id
    with transaction.atomic():
        # Lock the job first, as erasing does (jobs.erase): no deadlock with a deletion.
        if not ReportJob.objects.select_for_update(no_key=True).filter(id=key).exists():
            return None
        recorded = WebhookDelivery.objects.filter(
            job_id=key, state=WebhookState.SENDING, next_attempt_at=delivery.next_attempt_at
        ).update(
            state=step.state,
            attempts=F("attempts") + 1,
            last_status=outcome.status,
            last_error=_storable(outcome.error),
            last_attempt_at=at,
            next_attempt_at=step.at,
            published_at=step.at if queue_now else None,
            delivered_at=at if outcome.delivered else None,
        )
        if recorded:
            WebhookAttempt.objects.create(
                job_id=key,
                at=at,
                http_status=outcome.status,
                error=_storable(outcome.error),
                duration_ms=elapsed_ms,
            )
    return bool(recorded)


def webhooks_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Publish the deliveries that are due and have no message on its way: the job ended
    but its message was lost (the process died, the broker lost it), a far retry came due,
    or an attempt's holder died."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.REPORT_SWEEP_PENDING_AFTER)
    waiting = Q(state__in=[WebhookState.PENDING, WebhookState.RETRYING]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    unqueued = (
        Q(published_at__lt=stale)
        | Q(published_at__isnull=True, state=WebhookState.RETRYING)
        | Q(published_at__isnull=True, job__finished_at__lt=stale)
    )
    abandoned = Q(state=WebhookState.SENDING, next_attempt_at__lt=now)
    due = list(
        WebhookDelivery.objects.filter(job__status__in=FINISHED_STATUSES)
        .filter((waiting & unqueued) | abandoned)
        .values_list("job_id", flat=True)[:1000]
    )
    published = 0
    for job_id in due:
        WebhookDelivery.objects.filter(job_id=job_id).update(published_at=now)
        published += webhook_publish(job_id=job_id)
    if published:
        logger.info("sweep: queued %d webhook(s)", published)
    return {"webhooks": published}


def webhooks_rearm(*, job_ids: list[uuid.UUID]) -> None:
    """Jobs started afresh (a re-run) will end again: their next end is delivered too."""
    WebhookDelivery.objects.filter(job_id__in=job_ids).update(
        state=WebhookState.PENDING, next_attempt_at=None, published_at=None
    )
