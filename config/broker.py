"""kombu's Redis transport with one fix: a worker survives losing Redis mid-job.

When the broker connection drops while a task is unacknowledged, kombu closes the channel
and restores the unacknowledged messages to their queues, for which it builds a new
connection pool from the connection's parameters; by then the connection object has
already let go of them, and the worker dies with "Unrecoverable error: AttributeError:
'NoneType' object has no attribute 'hostname'" instead of reconnecting (kombu 5.7; see
celery/celery#10205). This channel keeps the last parameters it connected with, so the
restore is tried (and fails like any connection error if Redis is still away) and the
worker reconnects. tests/test_faults.py kills Redis under a running job to prove it.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class RedisChannel(kombu_redis.Channel):  # type: ignore[misc]
    _last_connparams: dict[bool, dict[str, Any]] | None = None

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        saved = self._last_connparams or {}
        if self.connection.client is None and saved:
            return dict(saved.get(asynchronous) or saved[not asynchronous])
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)
        self._last_connparams = {**saved, asynchronous: dict(params)}
        return params


class RedisTransport(kombu_redis.Transport):  # type: ignore[misc]
    Channel = RedisChannel
