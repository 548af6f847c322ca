"""The web server's edge: Django's WSGI application served from an event loop.

gunicorn's ``asgi`` worker reads requests on an event loop; this ASGI application then

- reads the whole body on the loop (within REPORT_BODY_TIMEOUT; no more than
  REPORT_MAX_BODY_BYTES are buffered), so a slow client holds no thread;
- runs Django's WSGI handler for the complete request on a thread of a fixed pool
  (WEB_THREADS), the same request cycle and middleware as under a WSGI server;
- holds a status answer that the view marked (``hold.py``) on the loop, not on a thread,
  until its job is announced finished (the process's LISTEN connection) or the hold ends,
  and then asks the view again; a per-key cap bounds the waits one tenant may hold;
- sends the answer, streaming large bodies and files in chunks read on the pool.

Why not Django's own ASGI handler: with this project's synchronous middleware (Django's
security, CSRF and common middleware among them) it switches threads several times per
request. Measured with ``python -m bench cpu --kind html`` (seed jobs at c=16, 5 ms
polls): 13.1 ms of web CPU per report against 8.7 ms for gunicorn's gthread worker.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from reports.api.hold import Hold
from reports.api.wsgi_bridge import (
    Answer,
    Body,
    Receive,
    Scope,
    Send,
    WsgiApp,
    call,
    content_length,
    json_answer,
    send_answer,
)
from reports.errors import error_body

SPOOL_BYTES = 1024 * 1024  # a larger body waits for its thread in a temporary file
POLL_FIRST = 0.05  # without LISTEN (SQLite), a ?wait= re-reads the job this often at first,
POLL_MAX = 0.5  # backing off to this
RECHECK = 1.0  # with LISTEN, it still re-reads once a second (an announcement lost with
# the listener's connection)


class Listener(Protocol):
    """What the front needs of ``reports.jobs.listener.JobListener``."""

    def start(self) -> None: ...
    def register(self, job_id: str, wake: Callable[[], None]) -> None: ...
    def unregister(self, job_id: str, wake: Callable[[], None]) -> None: ...
    def covers(self, since: float) -> bool: ...
    def announced_since(self, job_id: str, since: float) -> bool: ...


@dataclass
class Front:
    """The ASGI application (``config/asgi.py`` makes one per web process)."""

    app: WsgiApp
    threads: int
    max_body: int
    body_timeout: float
    max_waits_per_key: int
    listener: Callable[[], Listener | None]  # the process's listener, or None (no LISTEN)
    waiting: Counter[str] = field(default_factory=Counter)  # open holds by owner
    _pool: ThreadPoolExecutor | None = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="web")
        return self._pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        # websockets: none here; returning closes the connection

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Listening before the first hold, so that holds are covered (Listener.covers).
                await asyncio.get_running_loop().run_in_executor(self.pool, self._start_listener)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start_listener(self) -> None:
        listener = self.listener()
        if listener is not None:
            listener.start()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(self.pool, call, self.app, scope, body)
            if answer.hold is not None:
                held = await self._held(answer, scope, body, receive)
                if held is None:  # the client left
                    return
                answer = held
            await send_answer(answer, send, self.pool)
        finally:
            body.file.close()

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> Body | None:
        """The whole body, spooled; None when the client left or was too slow (408 sent).
        A body declared larger than the limit is not read: Django answers 413 from its
        Content-Length (BodySizeLimitMiddleware); one sent without a length stops being
        read past the limit and gets the same answer."""
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        declared = content_length(scope)
        if declared is not None and declared > self.max_body:
            return Body(spool, declared)
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                more = True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        spool.close()
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size <= self.max_body:
                        spool.write(chunk)
                    else:
                        break
                    more = message.get("more_body", False)
        except TimeoutError:
            spool.close()
            late = f"The request body did not arrive within {self.body_timeout:g} seconds."
            await send_answer(json_answer(408, error_body("TIMEOUT", late)), send, self.pool)
            return None
        return Body(spool, size)

    async def _held(
        self, answer: Answer, scope: Scope, body: Body, receive: Receive
    ) -> Answer | None:
        """Serve a hold: the view asked again when the job is announced, or once the hold
        ends (a ?wait=) — a plain read's brief hold that ends unannounced keeps its answer.
        None: the client disconnected meanwhile."""
        hold = answer.hold
        assert hold is not None
        listener = self.listener()
        if listener is None and not hold.explicit:
            return answer  # no announcements to wait for: polling here would cost more
        if self.waiting[hold.owner] >= self.max_waits_per_key:
            return _too_many(self.max_waits_per_key) if hold.explicit else answer
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(woken.set)

        left = asyncio.ensure_future(_disconnected(receive))
        self.waiting[hold.owner] += 1
        if listener is not None:
            listener.register(hold.job_id, wake)
        try:
            return await self._wait(answer, hold, listener, woken, left, scope, body)
        finally:
            if listener is not None:
                listener.unregister(hold.job_id, wake)
            self.waiting[hold.owner] -= 1
            if not self.waiting[hold.owner]:
                del self.waiting[hold.owner]
            left.cancel()

    async def _wait(
        self,
        answer: Answer,
        hold: Hold,
        listener: Listener | None,
        woken: asyncio.Event,
        left: asyncio.Future[None],
        scope: Scope,
        body: Body,
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
                timeout = min(remaining, RECHECK if covered else poll)
                if not await _woken_or_left(woken, left, timeout):
                    return None
                if not woken.is_set() and covered and not hold.explicit:
                    continue  # only an announcement ends a plain read's hold early
                poll = min(poll * 2, POLL_MAX)
            woken.clear()
            again = await asyncio.get_running_loop().run_in_executor(
                self.pool, call, self.app, scope, body
            )
            if again.hold is None or time.monotonic() >= deadline:
                return again
            if not hold.explicit and again.body != answer.body:
                return again  # the job moved (its progress): a plain read shows it now
            answer, read_at = again, again.hold.read_at


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
    message = (
        f"This API key already has {cap} waiting requests open; retry later or without ?wait=."
    )
    refused = json_answer(429, error_body("BUSY", message))
    refused.headers.append((b"Retry-After", b"1"))
    return refused


def front_for(
    app: WsgiApp, listener: Callable[[], Listener | None] = lambda: None, **limits: Any
) -> Front:
    """A front for ``app`` with the web server's thread count (WEB_THREADS) and the
    limits' defaults unless given: what config/asgi.py and the bench's minimal apps serve."""
    defaults = {
        "max_body": 64 * 1024 * 1024,
        "body_timeout": 60.0,
        "max_waits_per_key": 1000,
    }
    threads = int(os.environ.get("WEB_THREADS") or 16)
    return Front(app=app, threads=threads, listener=listener, **{**defaults, **limits})
