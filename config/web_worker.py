"""gunicorn's asgi worker with a deadline for a request's headers.

gunicorn's asgi worker reads requests on its event loop, so a slow client costs no thread,
but it has no deadline for the headers: a client that sends one header line every few
seconds keeps its connection (one of WEB_CONNECTIONS) for ever. Here a connection whose
request headers are not complete within WEB_HEADER_TIMEOUT seconds of their first byte
(or of the connection, for the first request) is closed. The body's deadline is the
front's (REPORT_BODY_TIMEOUT, reports/api/front.py).

``python -m config.serve web`` runs gunicorn with ``--worker-class config.web_worker.Worker``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers import gasgi

HEADER_TIMEOUT = float(os.environ.get("WEB_HEADER_TIMEOUT") or 10.0)


class HeaderDeadlineProtocol(ASGIProtocol):  # type: ignore[misc]  # gunicorn is untyped
    """ASGIProtocol, closing a connection whose request headers take too long."""

    _deadline: asyncio.TimerHandle | None = None
    _awaiting_headers = True

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._awaiting_headers and self._deadline is None:
            self._arm()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)

    def _on_headers_complete(self) -> Any:
        self._awaiting_headers = False
        self._disarm()
        return super()._on_headers_complete()

    def _on_message_complete(self) -> Any:
        self._awaiting_headers = True
        return super()._on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.worker.loop.call_later(HEADER_TIMEOUT, self._headers_late)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_late(self) -> None:
        self._deadline = None
        if self._awaiting_headers:
            self._close_transport()


class Worker(gasgi.ASGIWorker):  # type: ignore[misc]
    """gunicorn's asgi worker, serving connections with HeaderDeadlineProtocol."""

    async def _serve(self) -> None:
        # gasgi creates each connection's protocol by its module-level name: point it here
        # for this worker's process (gunicorn runs one worker class per process).
        gasgi.ASGIProtocol = HeaderDeadlineProtocol
        await super()._serve()
