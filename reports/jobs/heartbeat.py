"""A running job's heartbeat: its run renews the job's lease every few seconds.

The lease is short (``states.MISSED_BEATS`` beats), so a run that stops beating (its
process or machine died) is taken over within seconds, while a long run keeps its job for
as long as it beats. Each beat (``states.job_heartbeat``) is fenced by the run's token: a
stale run's heartbeat can never extend the lease of the run that took the job over.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection

from reports.jobs.states import job_heartbeat

logger = logging.getLogger(__name__)


@contextmanager
def job_heartbeat_running(*, job_id: uuid.UUID, fence: int) -> Iterator[None]:
    """Beat for the run holding ``fence`` while the block runs, in a thread of this process;
    the thread ends with the block (and dies with the process, which is the point)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_beat, args=(job_id, fence, stop), name=f"heartbeat-{job_id}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # A beat under way is one short UPDATE (or a connect that gives up after
        # DATABASE_CONNECT_TIMEOUT); one left behind after this cannot extend another
        # run's lease (fenced), and its job has ended or been given up.
        thread.join(timeout=settings.REPORT_JOB_HEARTBEAT_SECONDS + 10)


def _beat(job_id: uuid.UUID, fence: int, stop: threading.Event) -> None:
    """The thread's loop. Django's connections are per thread: this one has its own, opened
    at the first beat (a job shorter than a beat never opens one) and closed at the end."""
    if stop.wait(settings.REPORT_JOB_HEARTBEAT_SECONDS):
        return  # most jobs: over before the first beat, no connection (not even its object)
    try:
        while True:
            try:
                if not job_heartbeat(job_id=job_id, fence=fence):
                    return  # the run lost the job, or it has ended: nothing left to keep
            except (DatabaseError, MemoryError) as exc:
                # The lease then runs out as for a dead run; the next beat may do better.
                logger.warning("job %s: heartbeat failed: %s", job_id, exc)
                _close()
            if stop.wait(settings.REPORT_JOB_HEARTBEAT_SECONDS):
                return
    finally:
        _close()


def _close() -> None:
    with contextlib.suppress(DatabaseError):  # a broken connection is dropped all the same
        connection.close()
