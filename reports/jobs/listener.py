"""One PostgreSQL LISTEN connection per process, shared by every long-polling request.

Opening a connection per waiting request costs a PostgreSQL backend start each time (and
one connection per waiter); instead a daemon thread LISTENs on the job channel and wakes
the threads waiting for the announced job ids.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.db import connection

logger = logging.getLogger(__name__)

# With nobody waiting this long, the thread closes its connection and ends; the next
# waiter starts a new one.
IDLE_SECONDS = 60.0


class JobListener:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.listening = threading.Event()  # set while LISTEN is in force
        self._lock = threading.Lock()
        self._waiters: dict[str, set[threading.Event]] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = threading.Event()

    def register(self, job_id: str) -> threading.Event:
        """An event set when ``job_id`` is announced. Check the row *after* registering
        (and after ``listening`` is set), so an announcement in between is not missed."""
        event = threading.Event()
        with self._lock:
            self._waiters.setdefault(job_id, set()).add(event)
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()  # a forked child needs its own thread
                self.listening.clear()
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="job-listener", daemon=True)
                self._thread.start()
        return event

    def unregister(self, job_id: str, event: threading.Event) -> None:
        with self._lock:
            events = self._waiters.get(job_id)
            if events is not None:
                events.discard(event)
                if not events:
                    del self._waiters[job_id]

    def _wake(self, job_id: str) -> None:
        with self._lock:
            for event in self._waiters.get(job_id, ()):
                event.set()

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
            if self._waiters:
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
                    self.listening.set()
                    while not self._stopping.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._wake(notify.payload)
                        done, idle_since = self._idle_exit(idle_since)
                        if done:
                            return
                finally:
                    self.listening.clear()
                    conn.close()
            except Exception as exc:  # the database went away: waiters poll meanwhile
                logger.warning("job listener lost its connection, retrying: %s", exc)
                self._stopping.wait(1.0)
