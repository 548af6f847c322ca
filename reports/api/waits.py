"""Waiting on the event loop for jobs to finish (``front.py``): the hold of a status answer
that the view marked (``hold.py``), the per-key cap on open waits, and the wait before the
first read of a job this process has just created.

**The hold.** The view read an unfinished job and answered at once; the answer waits here
for the job's announcement (the process's LISTEN connection, ``reports/jobs/listener.py``)
and the view is then asked again. A ``?wait=`` waits until the job is finished or its time
is up (polling only where there is no LISTEN, or while it reconnects); a plain read's brief
hold (REPORT_STATUS_HOLD) ends early when the job finishes or its answer changes (progress).

**The wait before the first read.** A client that created a job and polls it on the same
connection would make two reads per job: one that finds it unfinished, and one after the
announcement. So a plain GET of the status URL of a job created here moments ago first
waits (up to REPORT_STATUS_HOLD) for the announcement and then reads once. Nothing is
answered from this: the view still authenticates and reads; a request that should not see
the job is only delayed by at most the hold, as its own plain read would have been.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from reports.api.hold import Hold
from reports.api.wsgi_bridge import Answer, Receive, json_answer
from reports.errors import error_body

# Without LISTEN in force since the last read (SQLite; the listener reconnecting), a
# ?wait= re-reads the job this often at first, backing off to POLL_MAX. With it, nothing
# is re-read until an announcement: the listener wakes every waiter when it (re)starts
# listening, since announcements in between are lost.
POLL_FIRST = 0.05
POLL_MAX = 0.5
REMEMBERED = 10_000  # jobs created here whose first read may wait (the oldest forgotten)

AskAgain = Callable[[], Awaitable[Answer]]
NOT_HELD, HELD, LEFT = "not held", "held", "left"  # what ``before_read`` did


class Listener(Protocol):
    """What the waits need of ``reports.jobs.listener.JobListener``."""

    def start(self) -> None: ...
    def register(self, job_id: str, wake: Callable[[], None]) -> None: ...
    def unregister(self, job_id: str, wake: Callable[[], None]) -> None: ...
    def covers(self, since: float) -> bool: ...
    def announced_since(self, job_id: str, since: float) -> bool: ...


@dataclass
class Waits:
    listener: Callable[[], Listener | None]  # the process's listener, or None (no LISTEN)
    max_per_key: int
    hold_seconds: float
    waiting: Counter[str] = field(default_factory=Counter)  # open waits by owner
    # a status URL's path -> its job created here, the creator, when (before it was stored)
    created: dict[str, tuple[str, str, float]] = field(default_factory=dict)

    def remember(self, job_id: str, path: str, owner: str, since: float) -> None:
        if len(self.created) >= REMEMBERED:
            del self.created[next(iter(self.created))]
        self.created[path] = (job_id, owner, since)

    async def before_read(self, method: str, path: str, query: bytes, receive: Receive) -> str:
        """For a plain GET of a job created here moments ago, wait for its announcement
        (at most the hold). NOT_HELD, HELD (the read that follows is not held again) or
        LEFT (the client left meanwhile)."""
        if method != "GET" or query:
            return NOT_HELD
        remembered = self.created.pop(path, None)
        listener = self.listener()
        if remembered is None or listener is None or self.hold_seconds <= 0:
            return NOT_HELD
        job_id, owner, since = remembered
        if not listener.covers(since) or listener.announced_since(job_id, since):
            return NOT_HELD
        if self.waiting[owner] >= self.max_per_key:  # counted against the job's creator
            return NOT_HELD
        woken, wake, left = _waiter(receive)
        self.waiting[owner] += 1
        listener.register(job_id, wake)
        try:
            if listener.announced_since(job_id, since):
                return NOT_HELD
            return HELD if await _woken_or_left(woken, left, self.hold_seconds) else LEFT
        finally:
            listener.unregister(job_id, wake)
            self._release(owner)
            left.cancel()

    async def held(self, answer: Answer, ask_again: AskAgain, receive: Receive) -> Answer | None:
        """Serve the answer's hold; None: the client left meanwhile."""
        hold = answer.hold
        assert hold is not None
        listener = self.listener()
        if listener is None and not hold.explicit:
            return answer  # no announcements to wait for: polling here would cost more
        if self.waiting[hold.owner] >= self.max_per_key:
            return _too_many(self.max_per_key) if hold.explicit else answer
        woken, wake, left = _waiter(receive)
        self.waiting[hold.owner] += 1
        if listener is not None:
            listener.register(hold.job_id, wake)
        try:
            return await _wait(answer, hold, listener, woken, left, ask_again)
        finally:
            if listener is not None:
                listener.unregister(hold.job_id, wake)
            self._release(hold.owner)
            left.cancel()

    def _release(self, owner: str) -> None:
        self.waiting[owner] -= 1
        if not self.waiting[owner]:
            del self.waiting[owner]


async def _wait(
    answer: Answer,
    hold: Hold,
    listener: Listener | None,
    woken: asyncio.Event,
    left: asyncio.Future[None],
    ask_again: AskAgain,
) -> Answer | None:
    """The hold's loop: wait for an announcement (or a re-check), then ask again."""
    read_at, deadline, poll = hold.read_at, hold.read_at + hold.seconds, POLL_FIRST
    while True:
        announced = listener is not None and listener.announced_since(hold.job_id, read_at)
        remaining = deadline - time.monotonic()
        if not announced and remaining <= 0 and not hold.explicit:
            return answer  # a plain read's hold ended: its answer still holds
        if not announced and remaining > 0:
            covered = listener is not None and listener.covers(read_at)
            if not await _woken_or_left(woken, left, remaining if covered else poll):
                return None
            if not woken.is_set() and covered and not hold.explicit:
                continue  # only an announcement ends a plain read's hold early
            poll = min(poll * 2, POLL_MAX)
        woken.clear()
        again = await ask_again()
        if again.hold is None or time.monotonic() >= deadline:
            return again
        if not hold.explicit and again.body != answer.body:
            return again  # the job moved (its progress): a plain read shows it now
        answer, read_at = again, again.hold.read_at


def _waiter(receive: Receive) -> tuple[asyncio.Event, Callable[[], None], asyncio.Future[None]]:
    """An event the listener's thread can set, and a future done when the client leaves."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:
        loop.call_soon_threadsafe(woken.set)

    return woken, wake, asyncio.ensure_future(_disconnected(receive))


async def _woken_or_left(woken: asyncio.Event, left: asyncio.Future[None], timeout: float) -> bool:
    """Wait for ``woken`` up to ``timeout``; False if the client left meanwhile."""
    waited = asyncio.ensure_future(woken.wait())
    done, _ = await asyncio.wait(
        (waited, left), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    waited.cancel()
    return left not in done


async def _disconnected(receive: Receive) -> None:
    """Returns when the client has gone (the body was read before)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _too_many(cap: int) -> Answer:
    message = f"This API key already has {cap} waiting requests open; retry later, or poll."
    refused = json_answer(429, error_body("BUSY", message))
    refused.headers.append((b"Retry-After", b"1"))
    return refused
