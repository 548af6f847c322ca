"""The hot transitions in raw SQL, one round trip each: the insert, the claim, the finish.

Statuses are bound parameters, as plain ``str`` (``JobStatus.X.value``: psycopg looks up
the dumper of a ``str`` subclass anew on every cursor, which cost 5% of a claim). What
differs between PostgreSQL and SQLite is here: on PostgreSQL the insert and the finish are
one statement each (CTEs, the finish's NOTIFY inside it); elsewhere a transaction of
several.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model

from reports.jobs import db
from reports.models import JobInput, JobStatus, Report, ReportJob

# PostgreSQL channel on which finished jobs are announced (payload: the job id); the
# long-polling selector ``job_wait`` listens on it.
JOB_CHANNEL = "report_jobs"

_JOB = ReportJob._meta.db_table
_INPUT = JobInput._meta.db_table
_INSERT_INPUT = f"INSERT INTO {_INPUT} (job_id, body) VALUES (%s, %s)"  # noqa: S608
# 1 when the claim takes the job over from a run that did not give it up (its lease ran
# out, or its worker saw it die): that run crashed. Both databases evaluate SET and WHERE
# on the row as it was.
_CRASHED = "(CASE WHEN status <> %(started)s OR fence = %(released)s THEN 0 ELSE 1 END)"
# The WHERE is give_up_reason's rule (attempts, then crashes), so a job that must end is
# never claimed: job_end_if_exhausted then ends it.
_CLAIM = f"""
UPDATE {_JOB} SET status = %(started)s, attempts = attempts + 1, fence = fence + 1,
    crashes = crashes + {_CRASHED},
    started_at = %(now)s, lease_expires_at = %(lease)s, message = '', worker = %(holder)s
WHERE id = %(id)s AND attempts < %(attempts)s AND crashes + {_CRASHED} < %(crashes)s AND (
    status IN (%(pending)s, %(retry)s)
    OR (status = %(started)s AND (lease_expires_at < %(now)s OR fence = %(released)s)))
RETURNING fence, attempts, kind, idle_minutes, student_count,
    (SELECT body FROM {_INPUT} WHERE job_id = {_JOB}.id), has_callback, timezone, attention,
    language, source
"""  # noqa: S608
_WIN = f"""
UPDATE {_JOB} SET status = %s, finished_at = %s,
    lease_expires_at = NULL, progress_done = student_count, message = ''
WHERE id = %s AND status = %s AND fence = %s
"""  # noqa: S608
# REPORT_KEEP_INPUT=false: the input goes with the statement that stores the report.
_DROP_INPUT_CTE = f"dropped AS (DELETE FROM {_INPUT} WHERE job_id IN (SELECT id FROM won))"  # noqa: S608
_DROP_INPUT = f"DELETE FROM {_INPUT} WHERE job_id = %s"  # noqa: S608


def job_insert(*, job: ReportJob, body: bytes, hook: Model | None = None) -> None:
    """(new) → PENDING (the model's default): the job, its input and its callback's
    delivery row (``hook``), committed together. On PostgreSQL one statement (INSERTs in a
    CTE: atomic by itself), the body a binary parameter. Inside a caller's transaction
    (tests), a savepoint keeps a conflict from breaking it."""
    sql, params = db.insert_row(job)
    if not db.is_postgresql():
        with transaction.atomic():
            db.execute(sql, params)
            db.execute(_INSERT_INPUT, [db.pk(job.id), body])
            if hook is not None:
                db.execute(*db.insert_row(hook))
        return
    both = f"WITH job AS ({sql} RETURNING id) INSERT INTO {_INPUT} (job_id, body) SELECT id, %s FROM job"  # noqa: E501, S608
    values = [*params, body]
    if hook is not None:  # the third INSERT only for jobs with a callback
        hook_sql, hook_values = db.insert_row(hook, source="job")
        both = f"WITH job AS ({sql} RETURNING id), body AS (INSERT INTO {_INPUT} (job_id, body) SELECT id, %s FROM job) {hook_sql}"  # noqa: E501, S608
        values = [*params, body, *hook_values]
    if connection.in_atomic_block:
        with transaction.atomic():
            db.execute(both, values)
    else:
        db.insert_once(both, values, primary_key=f"{_JOB}_pkey")


def claim_row(
    *, job_id: uuid.UUID, holder: str, released: int | None, now: datetime, until: datetime
) -> tuple[Any, ...] | None:
    """PENDING, RETRY, or STARTED and abandoned → STARTED for ``holder``, fence + 1, and the
    job's input, in one ``UPDATE … RETURNING``; None: not claimable (see ``job_claim``)."""
    params = {
        "id": db.pk(job_id),
        "holder": holder,
        "released": released,
        "now": db.timestamp(now),
        "lease": db.timestamp(until),
        "attempts": settings.REPORT_JOB_MAX_ATTEMPTS,
        "crashes": settings.REPORT_JOB_MAX_CRASHES,
        "pending": JobStatus.PENDING.value,
        "retry": JobStatus.RETRY.value,
        "started": JobStatus.STARTED.value,
    }
    return db.fetchone(_CLAIM, params, binary=True)


def job_finish(*, job_id: uuid.UUID, fence: int, now: datetime, row: Report) -> bool:
    """STARTED → SUCCESS and the report row (one per job: a re-run replaces it), only for
    the run that holds ``fence``. On PostgreSQL one statement that also announces the job
    (NOTIFY is delivered at commit); elsewhere a transaction of two. False: another run
    holds the job, or it is gone."""
    success, started = JobStatus.SUCCESS.value, JobStatus.STARTED.value
    win = [success, db.timestamp(now), db.pk(job_id), started, fence]
    upsert = db.on_conflict_update(row, unique="job", keep=("id", "task_id", "created_at"))
    if db.is_postgresql():
        insert, values = db.insert_row(row, source="won")
        drop = "" if settings.REPORT_KEEP_INPUT else f", {_DROP_INPUT_CTE}"
        sql = (
            f"WITH won AS ({_WIN} RETURNING id), saved AS ({insert}{upsert} RETURNING 1)"  # noqa: S608
            f"{drop} SELECT pg_notify(%s, %s) FROM won"
        )
        return bool(db.fetchone(sql, [*win, *values, JOB_CHANNEL, str(job_id)]))
    insert, values = db.insert_row(row)
    with transaction.atomic():
        if not db.execute(_WIN, win):
            return False
        db.execute(insert + upsert, values)
        if not settings.REPORT_KEEP_INPUT:
            db.execute(_DROP_INPUT, [db.pk(job_id)])
    return True


def job_announce(*, job_id: uuid.UUID | str) -> None:
    """Tell whoever long-polls the job that it changed: it reached SUCCESS or FAILURE, or
    its progress moved. Call it inside the transaction that writes the change (or after it
    commits): PostgreSQL delivers a NOTIFY only when that transaction commits (and drops it
    on rollback), so a listener never hears of a status it cannot read yet. SQLite has no
    NOTIFY: waiters there poll the row."""
    db.notify(JOB_CHANNEL, str(job_id))
