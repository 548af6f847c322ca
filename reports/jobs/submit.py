"""Submitting a job: store it and its input in one transaction, publish it after commit."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone as django_timezone

from reports.errors import Conflict, InvalidInput, TooManyJobs
from reports.jobs import states
from reports.jobs.publish import job_publish
from reports.models import ACTIVE_STATUSES, ReportJob
from reports.report.contract import DEFAULT_TIMEZONE
from reports.report.languages import DEFAULT_LANGUAGE
from reports.webhooks.callback import Callback, webhook_row

logger = logging.getLogger(__name__)

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Submitted:
    job: ReportJob
    replayed: bool  # True: an Idempotency-Key replay, no new job was made


@dataclass(frozen=True, slots=True)
class JobOptions:
    """What a request sets of its report besides the body (each None or "": the default)."""

    idle_minutes: float | None = None  # None: REPORT_IDLE_MINUTES
    timezone: str | None = None  # None: UTC
    attention: str = ""  # the query's attention thresholds as JSON
    language: str = DEFAULT_LANGUAGE
    source: str = ""  # report.model.Source as JSON, for a body in another format
    # sha256 of the body as received, when it was converted from another format (with the
    # format and its mapping): two bodies that became the same JSON are two requests.
    received: str = ""


def job_create(
    *,
    kind: str,
    body: bytes,
    student_count: int,
    event_count: int,
    owner: str = "",
    idempotency_key: str | None = None,
    callback: Callback | None = None,
    options: JobOptions = JobOptions(),
) -> Submitted:
    """Store the job and its input; publish it once the transaction has committed.

    With an ``idempotency_key``, a request that repeats an earlier one (same owner, key,
    kind, body, callback URL and effective options: ``request_fingerprint``, within
    ``REPORT_IDEMPOTENCY_TTL_SECONDS``) gets the earlier job back; the same key with any of
    them changed is a ``Conflict``. Concurrent twins meet at the unique constraint: the
    loser reads the winner's job.
    """
    timezone = options.timezone or DEFAULT_TIMEZONE
    idle = options.idle_minutes
    idle = float(settings.REPORT_IDLE_MINUTES if idle is None else idle)
    url = None if callback is None else callback.url
    effective = replace(options, idle_minutes=idle, timezone=timezone)
    fingerprint = request_fingerprint(body=body, callback_url=url, options=effective)
    if idempotency_key is not None:
        if not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise InvalidInput("Idempotency-Key must be 1-255 visible ASCII characters.")
        earlier = _idempotent_replay(
            owner=owner, key=idempotency_key, kind=kind, fingerprint=fingerprint
        )
        if earlier is not None:
            return Submitted(job=earlier, replayed=True)
    jobs_check_capacity()
    now = django_timezone.now()
    job = ReportJob(
        kind=kind,
        student_count=student_count,
        event_count=event_count,
        idle_minutes=idle,
        created_at=now,
        published_at=now,
        owner=owner,
        idempotency_key=idempotency_key,
        body_sha256=fingerprint,  # the request's fingerprint, not the body's alone: see there
        has_callback=callback is not None,
        timezone=timezone,
        attention=options.attention,
        language=options.language,
        source=options.source,
    )
    submitted = _insert_or_replay(job=job, body=body, callback=callback)
    if not submitted.replayed:
        _queued.value += 1
        counts = {"students": student_count, "events": event_count}
        logger.info("job created", extra={"task_id": str(job.id), "kind": kind, **counts})
    return submitted


def _insert_or_replay(*, job: ReportJob, body: bytes, callback: Callback | None) -> Submitted:
    """Insert the new job; when a concurrent twin with the same Idempotency-Key got there
    first (the unique constraint), the twin's job is the answer."""
    try:
        _job_insert(job=job, body=body, callback=callback)
    except IntegrityError:
        if job.idempotency_key is None:
            raise
        earlier = _idempotent_replay(
            owner=job.owner, key=job.idempotency_key, kind=job.kind, fingerprint=job.body_sha256
        )
        if earlier is None:
            raise
        return Submitted(job=earlier, replayed=True)
    return Submitted(job=job, replayed=False)


def _job_insert(*, job: ReportJob, body: bytes, callback: Callback | None = None) -> None:
    """The job and its input (and its callback's delivery row), committed together
    (``states.job_insert``); the message is published once they are."""
    hook = None
    if callback is not None:
        hook = webhook_row(job_id=job.id, kind=job.kind, callback=callback)
    states.job_insert(job=job, body=body, hook=hook)
    transaction.on_commit(lambda: job_publish(job_id=job.id, kind=job.kind))


def request_fingerprint(*, body: bytes, callback_url: str | None, options: JobOptions) -> str:
    """What an Idempotency-Key replay must repeat besides the endpoint: the body and every
    parameter that changes the job, as its effective value (query or body field, or the
    default: ``?idle_minutes=5`` and a body's ``"idle_minutes": 5`` are the same request).
    sha256 of the body's sha256 and the parameters as JSON, 64 hex digits: it is stored in
    the job's ``body_sha256`` column (its name from when the body alone counted; kept,
    so no migration). A new parameter that changes the job belongs here."""
    effective: list[object] = [options.idle_minutes, options.timezone, callback_url]
    # Appended only when given: earlier fingerprints stay the same.
    if options.attention:
        effective.append(options.attention)
    if options.language != DEFAULT_LANGUAGE:
        effective.append({"language": options.language})
    if options.received:
        effective.append({"received": options.received})
    parameters = json.dumps(effective).encode()
    return hashlib.sha256(hashlib.sha256(body).digest() + parameters).hexdigest()


def _idempotent_replay(*, owner: str, key: str, kind: str, fingerprint: str) -> ReportJob | None:
    """The live job made with this key, if any; an expired key is released for reuse."""
    job = ReportJob.objects.filter(owner=owner, idempotency_key=key).first()
    if job is None:
        return None
    expired_before = django_timezone.now() - timedelta(
        seconds=settings.REPORT_IDEMPOTENCY_TTL_SECONDS
    )
    if job.created_at < expired_before:
        ReportJob.objects.filter(id=job.id, idempotency_key=key).update(idempotency_key=None)
        return None
    if job.kind != kind or job.body_sha256 != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )
    return job


@dataclass
class _QueueCount:
    """This process's last count of queued jobs, plus the jobs it created since."""

    value: int = 0
    at: float = float("-inf")


_queued = _QueueCount()


def jobs_check_capacity() -> None:
    """Refuse new work while the queue is full.

    Counting is a round trip that grows with the backlog (up to the limit: the LIMIT in a
    subquery on the status index bounds it), so a process counts again only when its last
    count is older than REPORT_QUEUE_COUNT_INTERVAL or within 10% of the limit; in between
    it adds the jobs it created itself. The cap is therefore exact near the limit and
    approximate (by what other processes accepted meanwhile) far below it.
    """
    limit = settings.REPORT_MAX_QUEUED_JOBS
    now = time.monotonic()
    if now - _queued.at >= settings.REPORT_QUEUE_COUNT_INTERVAL or _queued.value >= limit * 0.9:
        _queued.value = (
            ReportJob.objects.filter(status__in=ACTIVE_STATUSES).values("id")[:limit].count()
        )
        _queued.at = now
    if _queued.value >= limit:
        retry_after = settings.REPORT_QUEUE_FULL_RETRY_AFTER
        raise TooManyJobs(
            f"{limit} jobs are already waiting or running; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
