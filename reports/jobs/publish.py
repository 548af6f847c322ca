"""Publishing a job: one message that carries only the job's id, on its kind's queue.

On a Redis broker the message is written here, in Celery's message protocol 2 as kombu's
Redis transport stores it, with one ``LPUSH`` on a connection kept per process. That is
what ``apply_async`` sends (tests/test_publish.py checks field for field), without the
routing, signals and kombu layers of ``send_task``. Any other broker goes through
Celery's ``send_task``.

Measured (issue 18; docs/performance.md, "The hand-written publisher"): 0.06 ms of CPU
per publish against 0.39-0.45 ms for ``send_task`` with prebuilt options, and a POST's web
CPU of 2.00-2.14 ms against 2.65-2.71 ms: 12-26% of the POST's web CPU, above the 10%
that keeps it.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.conf import settings

from reports.models import ReportJob

logger = logging.getLogger(__name__)

TASK_NAME = "reports.run_job"


def job_publish(*, job_id: uuid.UUID | str, kind: str, countdown: float | None = None) -> bool:
    """Send the job's id to its queue. A broker outage is not an error: the row is stored and
    the sweeper publishes it once the broker answers again."""
    try:
        publisher = _publisher()
        if publisher is None:
            from config.celery import app

            app.send_task(
                TASK_NAME, args=[str(job_id)], queue=kind, task_id=str(job_id), countdown=countdown
            )
        else:
            publisher.publish(task_id=str(job_id), queue=kind, countdown=countdown)
    except Exception as exc:  # redis-py and kombu raise a variety of connection errors
        logger.warning("could not publish job %s, the sweeper will: %s", job_id, exc)
        ReportJob.objects.filter(id=job_id).update(published_at=None)
        return False
    return True


class RedisPublisher:
    """Writes Celery task messages straight into kombu's Redis queues (one LPUSH each)."""

    def __init__(self, url: str, *, key_prefix: str, time_limits: tuple[int, int]) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        # No retries: with Redis down a POST must answer at once (the sweeper publishes).
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=options.get("socket_timeout", 5),
            socket_connect_timeout=options.get("socket_connect_timeout", 3),
            retry=Retry(NoBackoff(), 0),
        )
        self.key_prefix = key_prefix
        self.time_limits = list(time_limits)  # [hard, soft], as Celery's "timelimit" header
        self.origin = f"{os.getpid()}@{socket.gethostname()}"

    def message(self, *, task_id: str, queue: str, countdown: float | None = None) -> bytes:
        """The message as kombu's Redis transport stores it: a JSON envelope around the
        base64 of Celery's JSON body ``[args, kwargs, embed]``."""
        body = orjson.dumps(
            [[task_id], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
        )
        eta = None
        if countdown:
            eta = (datetime.now(UTC) + timedelta(seconds=countdown)).isoformat()
        headers: dict[str, Any] = {
            "lang": "py",
            "task": TASK_NAME,
            "id": task_id,
            "shadow": None,
            "eta": eta,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": self.time_limits,
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": f"['{task_id}']",
            "kwargsrepr": "{}",
            "origin": self.origin,
            "ignore_result": True,
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
        }
        return orjson.dumps(
            {
                "body": base64.b64encode(body).decode("ascii"),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": headers,
                "properties": {
                    "correlation_id": task_id,
                    "reply_to": None,
                    "delivery_mode": 2,
                    "delivery_info": {"exchange": "", "routing_key": queue},
                    "priority": 0,
                    "body_encoding": "base64",
                    "delivery_tag": str(uuid.uuid4()),
                },
            }
        )

    def publish(self, *, task_id: str, queue: str, countdown: float | None = None) -> None:
        message = self.message(task_id=task_id, queue=queue, countdown=countdown)
        self.client.lpush(self.key_prefix + queue, message)


_lock = threading.Lock()
_state: dict[int, RedisPublisher | None] = {}  # by pid: a forked child makes its own


def _publisher() -> RedisPublisher | None:
    pid = os.getpid()
    if pid not in _state:
        with _lock:
            if pid not in _state:
                _state.clear()
                _state[pid] = _make_publisher()
    return _state[pid]


def _make_publisher() -> RedisPublisher | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return RedisPublisher(
        url,
        key_prefix=settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""),
        time_limits=(settings.REPORT_JOB_TIME_LIMIT, settings.REPORT_JOB_SOFT_TIME_LIMIT),
    )
