"""The minimal service's Celery app, with the service's broker settings that make a job
cheaper (no results, no events, no emulated acknowledgements on Redis) and those its
reliability needs (acks late, prefetch 1), and nothing else: no time limits, no retries."""

from __future__ import annotations

import os
from typing import Any

import psycopg
from celery import Celery

app = Celery("minimal")
app.conf.update(
    broker_url=os.environ.get("MINIMAL_BROKER_URL", "redis://127.0.0.1:6379/0"),
    broker_transport_options={
        "global_keyprefix": os.environ.get("MINIMAL_KEY_PREFIX", ""),
        "ack_emulation": False,
    },
    task_default_queue=os.environ.get("MINIMAL_QUEUE", "minimal"),
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_send_task_events=False,
    task_send_sent_event=False,
    worker_hijack_root_logger=False,
)

_connection: psycopg.Connection[Any] | None = None

CLAIM = "UPDATE minimal_job SET status = 'STARTED' WHERE id = %s RETURNING body"
FINISH = "UPDATE minimal_job SET status = 'SUCCESS', output = %s WHERE id = %s"


def _db() -> psycopg.Connection[Any]:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["MINIMAL_DATABASE_URL"], autocommit=True)
    return _connection


@app.task(name="minimal.job")
def job(job_id: str) -> None:
    """A job's database work and nothing else: claim it (its body back), store an output."""
    db = _db()
    row = db.execute(CLAIM, (job_id,)).fetchone()
    if row is not None:
        db.execute(FINISH, (bytes(row[0][:16]), job_id))
