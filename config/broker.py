"""What differs between brokers, chosen by the scheme of ``CELERY_BROKER_URL``.

Redis keeps the settings it always had (in ``config/settings.py``), through kombu's Redis
transport with two fixes (``RedisTransport`` below). RabbitMQ gets what the job lifecycle
relies on there:

- quorum queues for ``html``, ``pdf`` and ``maintenance``: durable, and replicated over
  the nodes when RabbitMQ is clustered;
- topic exchanges, because Celery's native delayed delivery (how a ``countdown`` works on
  quorum queues, which have no global QoS for the worker to hold ETA tasks with) only
  routes through topic or fanout exchanges;
- publisher confirms, so a publish counts only once the broker has the message; a
  broker that refuses it (nack) or stops answering makes the publish fail, and the job row
  waits for the sweeper as when the broker is down;
- a socket timeout (``SOCKET_TIMEOUT``, as Redis's ``socket_timeout``) on every read and
  write, so that no wait for the broker is unbounded: after a failed publish Celery closes
  the connection politely (channel, then connection), and each of those waits for an
  answer too, so a broker that stops answering costs a POST at most three timeouts;
- on connection loss the worker cancels the jobs it is running: RabbitMQ hands their
  messages to another worker at once (unlike Redis), so finishing them would run them twice.

RabbitMQ's ``consumer_timeout`` (how long a delivered message may stay unacknowledged,
30 minutes by default) cannot be read over AMQP; ``RABBITMQ_CONSUMER_TIMEOUT`` tells the
settings what the broker uses, and they refuse to start when a job could outlive it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from kombu import Exchange, Queue
from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)

RABBITMQ_SCHEMES = ("amqp://", "amqps://", "pyamqp://")
# Seconds any read from (or write to) RabbitMQ may wait, a publish's confirm included;
# Redis's socket_timeout is the same.
SOCKET_TIMEOUT = 5
# Quorum queues with message TTL and at-least-once dead-lettering (both used by native
# delayed delivery) need RabbitMQ 3.10.
MIN_RABBITMQ = (3, 10)
# Native delayed delivery prefixes the routing key with the delay in 28 binary digits.
_DELAY_PREFIX = re.compile(r"^(?:[01]\.){28}")


def is_rabbitmq(url: str) -> bool:
    return url.startswith(RABBITMQ_SCHEMES)


def quorum_queues(names: list[str]) -> list[Queue]:
    """One durable quorum queue per name, each bound to a topic exchange of its name (what
    Celery's create-missing settings for RabbitMQ make of any other queue name too)."""
    return [
        Queue(
            name,
            Exchange(name, type="topic", durable=True),
            routing_key=name,
            durable=True,
            queue_arguments={"x-queue-type": "quorum"},
        )
        for name in names
    ]


def rabbitmq_transport_options() -> dict[str, Any]:
    return {
        "confirm_publish": True,
        # SO_RCVTIMEO / SO_SNDTIMEO on the socket (py-amqp): bounds the confirm and every
        # other reply a process waits for. The worker reads its deliveries when the socket
        # is readable, so an idle consumer is not affected.
        "read_timeout": SOCKET_TIMEOUT,
        "write_timeout": SOCKET_TIMEOUT,
        # As on Redis: a publish tries the broker once and fails at once when it is down
        # (the sweeper publishes later); the worker keeps its own reconnect loop.
        "max_retries": 0,
    }


def delivered_queue(delivery_info: Mapping[str, Any] | None) -> str | None:
    """The queue a message was delivered from, for re-publishing it there.

    On quorum queues Celery sends a ``countdown`` through the delay exchanges using the
    routing key of the queue it is given, or of the default queue (``html``) when given
    none, so a retried PDF job would land on the ``html`` queue. Our queues' routing key
    is their name; a delayed message's key carries the delay's binary digits in front.
    """
    key = (delivery_info or {}).get("routing_key")
    if not key:
        return None
    return _DELAY_PREFIX.sub("", key, count=1) or None


def check_rabbitmq_server(properties: dict[str, Any]) -> str:
    """Refuse a broker too old for quorum queues with delayed delivery; return its version."""
    product = properties.get("product", "")
    version = str(properties.get("version", ""))
    if product != "RabbitMQ":
        return f"{product} {version}".strip()
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found and found < MIN_RABBITMQ:
        wanted = ".".join(map(str, MIN_RABBITMQ))
        raise RuntimeError(
            f"RabbitMQ {version} is too old: quorum queues with delayed retries need {wanted}+"
        )
    return f"RabbitMQ {version}"


# --- Redis ---------------------------------------------------------------------------
# kombu's Redis transport with two fixes.
#
# A worker survives losing Redis mid-job. When the broker connection drops while a task is
# unacknowledged, kombu closes the channel and restores the unacknowledged messages to their
# queues, for which it builds a new connection pool from the connection's parameters; by
# then the connection object has already let go of them, and the worker dies with
# "Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'"
# instead of reconnecting (kombu 5.7; see celery/celery#10205). This channel keeps the last
# parameters it connected with, so the restore is tried (and fails like any connection error
# if Redis is still away) and the worker reconnects. tests/test_faults.py kills Redis under
# a running job to prove it.
#
# And a client object is made once per connection pool, not for every acknowledgement and
# every delivery's bookkeeping: kombu builds a new redis-py client (with its table of ~80
# response callbacks) each time, a fifth of the worker main process's CPU per job.


class RedisChannel(kombu_redis.Channel):
    _last_connparams: dict[bool, dict[str, Any]] | None = None
    _sync_client: Any = None
    _sync_client_pool: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        create = super()._create_client  # type: ignore[misc]  # kombu private, not in its stubs
        if asynchronous:
            return create(asynchronous=True)
        pool = self.pool  # a new one after a disconnect: then a new client too
        if self._sync_client is None or self._sync_client_pool is not pool:
            self._sync_client = create(asynchronous=False)
            self._sync_client_pool = pool
        return self._sync_client

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        saved = self._last_connparams or {}
        if self.connection.client is None and saved:
            return dict(saved.get(asynchronous) or saved[not asynchronous])
        connparams = super()._connparams  # type: ignore[misc]  # kombu private, not in its stubs
        params: dict[str, Any] = connparams(asynchronous=asynchronous)
        self._last_connparams = {**saved, asynchronous: dict(params)}
        return params


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel
