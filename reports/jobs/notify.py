"""Announcing finished jobs to the requests that long-poll them."""

from __future__ import annotations

import uuid

from django.db import connection

# PostgreSQL channel on which finished jobs are announced (payload: the job id); the
# long-polling selector ``job_wait`` listens on it.
JOB_CHANNEL = "report_jobs"


def job_notify_finished(*, job_id: uuid.UUID | str) -> None:
    """Announce that a job reached SUCCESS or FAILURE, to whoever long-polls it.

    Call it inside the transaction that writes the final status: PostgreSQL delivers a
    NOTIFY only when that transaction commits (and drops it on rollback), so a listener
    never hears of a status it cannot read yet. Other databases have no NOTIFY; waiters
    there poll the row instead.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [JOB_CHANNEL, str(job_id)])
