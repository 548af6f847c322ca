"""kombu's Redis transport with two fixes.

A worker survives losing Redis mid-job. When the broker connection drops while a task is
unacknowledged, kombu closes the channel and restores the unacknowledged messages to their
queues, for which it builds a new connection pool from the connection's parameters; by
then the connection object has already let go of them, and the worker dies with
"Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'"
instead of reconnecting (kombu 5.7; see celery/celery#10205). This channel keeps the last
parameters it connected with, so the restore is tried (and fails like any connection error
if Redis is still away) and the worker reconnects. tests/test_faults.py kills Redis under
a running job to prove it.

And a client object is made once per connection pool, not for every acknowledgement and
every delivery's bookkeeping: kombu builds a new redis-py client (with its table of ~80
response callbacks) each time, a fifth of the worker main process's CPU per job.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class RedisChannel(kombu_redis.Channel):  # type: ignore[misc]
    _last_connparams: dict[bool, dict[str, Any]] | None = None
    _sync_client: Any = None
    _sync_client_pool: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool  # a new one after a disconnect: then a new client too
        if self._sync_client is None or self._sync_client_pool is not pool:
            self._sync_client = super()._create_client(asynchronous=False)
            self._sync_client_pool = pool
        return self._sync_client

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        saved = self._last_connparams or {}
        if self.connection.client is None and saved:
            return dict(saved.get(asynchronous) or saved[not asynchronous])
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)
        self._last_connparams = {**saved, asynchronous: dict(params)}
        return params


class RedisTransport(kombu_redis.Transport):  # type: ignore[misc]
    Channel = RedisChannel
