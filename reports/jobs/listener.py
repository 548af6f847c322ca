"""One PostgreSQL LISTEN connection per process, shared by every long-polling request.

Opening a connection per waiting request costs a PostgreSQL backend start each time (and
one connection per waiter); instead a daemon thread LISTENs on the job channel and calls
the wake-up callbacks registered for the announced job ids: a thread's ``Event.set``, or
an event loop's ``call_soon_threadsafe`` (``reports/api/front.py``).

It also remembers, for a few seconds, when each job was announced, and since when it has
been listening: a waiter that read a job's row at time t and registers a little later
asks ``announced_since(job, t)`` instead of reading the row again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)

# With nobody waiting this long, the thread closes its connection and ends; the next
# waiter starts a new one.
IDLE_SECONDS = 60.0
# How long an announcement is remembered for ``announced_since``.
REMEMBER_SECONDS = 10.0

Wake = Callable[[], None]


class JobListener:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.listening = threading.Event()  # set while LISTEN is in force
        self._lock = threading.Lock()
        self._waiters: dict[str, set[Wake]] = {}
        self._announced: dict[str, float] = {}  # job id -> when (monotonic), recent ones
        self._listening_since: float | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = threading.Event()
        self._keep = False  # never close for want of waiters (``start``)

    def register(self, job_id: str, wake: Wake) -> None:
        """Call ``wake`` (from the listener's thread) when ``job_id`` is announced. Check
        the row *after* registering (and after ``listening`` is set), or ask
        ``announced_since``, so that an announcement in between is not missed."""
        with self._lock:
            self._waiters.setdefault(job_id, set()).add(wake)
            self._start_locked()

    def start(self) -> None:
        """Start listening now rather than at the first ``register``, and keep listening
        with nobody waiting (the web server's front holds plain status reads too)."""
        with self._lock:
            self._keep = True
            self._start_locked()

    def _start_locked(self) -> None:
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()  # a forked child needs its own thread
            self.listening.clear()
            self._listening_since = None
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="job-listener", daemon=True)
            self._thread.start()

    def unregister(self, job_id: str, wake: Wake) -> None:
        with self._lock:
            wakes = self._waiters.get(job_id)
            if wakes is not None:
                wakes.discard(wake)
                if not wakes:
                    del self._waiters[job_id]

    def covers(self, since: float) -> bool:
        """Has LISTEN been in force, without a break, since ``since`` (monotonic)? Then
        every announcement after it reached this listener."""
        started = self._listening_since
        return started is not None and started <= since

    def announced_since(self, job_id: str, since: float) -> bool:
        """Was ``job_id`` announced at or after ``since`` (within REMEMBER_SECONDS)?"""
        when = self._announced.get(job_id)
        return when is not None and when >= since

    def _wake_all(self) -> None:
        with self._lock:
            wakes = [wake for wakes in self._waiters.values() for wake in wakes]
        for wake in wakes:
            wake()

    def _wake(self, job_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._announced[job_id] = now
            if len(self._announced) > 1024:  # forget the old ones, now and then
                horizon = now - REMEMBER_SECONDS
                self._announced = {k: t for k, t in self._announced.items() if t >= horizon}
            wakes = list(self._waiters.get(job_id, ()))
        for wake in wakes:
            wake()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and close its connection (tests; a process may also just exit)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _idle_exit(self, idle_since: float | None) -> tuple[bool, float | None]:
        """(stop now?, new idle_since); decided under the lock so that a waiter that
        registers meanwhile sees the thread gone and starts another."""
        with self._lock:
            if self._waiters or self._keep:
                return False, None
            now = time.monotonic()
            if idle_since is None:
                return False, now
            if now - idle_since > IDLE_SECONDS:
                self._thread = None
                return True, idle_since
            return False, idle_since

    def _run(self) -> None:
        params = connection.get_connection_params()
        idle_since: float | None = None
        while not self._stopping.is_set():
            try:
                conn = connection.get_new_connection(params)
                try:
                    conn.autocommit = True
                    conn.execute(f'LISTEN "{self.channel}"')
                    self._listening_since = time.monotonic()
                    self.listening.set()
                    self._wake_all()  # announcements before LISTEN are lost: read again
                    while not self._stopping.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._wake(notify.payload)
                        done, idle_since = self._idle_exit(idle_since)
                        if done:
                            return
                finally:
                    self.listening.clear()
                    self._listening_since = None
                    conn.close()
            except Exception as exc:  # the database went away: waiters poll meanwhile
                logger.warning("job listener lost its connection, retrying: %s", exc)
                self._stopping.wait(1.0)
