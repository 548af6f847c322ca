"""The web server's edge: Django's WSGI application served from an event loop.

gunicorn's ``asgi`` worker reads requests on an event loop; this ASGI application then

- reads the whole body on the loop (within REPORT_BODY_TIMEOUT; no more than
  REPORT_MAX_BODY_BYTES, or a ProgSnap2 table's REPORT_MAX_CSV_BYTES, are buffered), so
  a slow client holds no thread;
- runs Django's WSGI handler for the complete request on a thread of a fixed pool
  (WEB_THREADS), the same request cycle and middleware as under a WSGI server;
- holds a status answer that the view marked (``hold.py``) on the loop, not on a thread,
  until its job is announced (the process's LISTEN connection) or the hold ends, and then
  asks the view again; a per-key cap bounds the waits one tenant may hold (``waits.py``);
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

from reports.api.body_limit import body_limit
from reports.api.waits import HELD, LEFT, Listener, Waits
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


@dataclass
class Front:
    """The ASGI application (``config/asgi.py`` makes one per web process)."""

    app: WsgiApp
    threads: int
    max_body: int
    body_timeout: float
    waits: Waits
    max_csv: int = 0  # a ProgSnap2 table's limit (body_limit.py); 0: max_body
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
        listener = self.waits.listener()
        if listener is not None:
            listener.start()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        loop = asyncio.get_running_loop()

        async def ask() -> Answer:
            return await loop.run_in_executor(self.pool, call, self.app, scope, body)

        waits = self.waits
        try:
            path, query = scope["path"], scope.get("query_string", b"")
            before = await waits.before_read(scope["method"], path, query, receive)
            if before == LEFT:
                return
            started = time.monotonic()
            answer = await ask()
            if answer.created is not None:
                waits.remember(*answer.created, since=started)
            if answer.hold is not None and (answer.hold.explicit or before != HELD):
                held = await waits.held(answer, ask, receive)
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
        limit = body_limit(
            scope.get("query_string", b"").decode("latin-1"),
            json_bytes=self.max_body,
            csv_bytes=self.max_csv or self.max_body,
        )
        if declared is not None and declared > limit:
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
                    if size <= limit:
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


def front_for(
    app: WsgiApp,
    listener: Callable[[], Listener | None] = lambda: None,
    *,
    max_body: int = 64 * 1024 * 1024,
    max_csv: int = 0,
    body_timeout: float = 60.0,
    max_waits_per_key: int = 1000,
    hold_seconds: float = 0.25,
) -> Front:
    """A front for ``app`` with the web server's thread count (WEB_THREADS) and these
    limits: what config/asgi.py (from the settings) and the bench's minimal apps serve."""
    return Front(
        app=app,
        threads=int(os.environ.get("WEB_THREADS") or 16),
        max_body=max_body,
        max_csv=max_csv,
        body_timeout=body_timeout,
        waits=Waits(listener, max_waits_per_key, hold_seconds),
    )
