from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import loopback
from tests.receiver import Receiver
from tests.stack import Stack

loopback.install()  # no test connects outside loopback and its own network hosts

SAMPLE = {
    "namespace": "ns_example",
    "student_id": "00a9a76518624b02b0ed57263606fc26",
    "events": [
        {"type": "saved_code", "created_time": "2024-07-21 03:04:55.939000+00:00", "unit": "17"}
    ],
}

HOW_TO_ENABLE = (
    "integration tests need a PostgreSQL and a Redis: set REPORT_TEST_POSTGRES="
    "postgres://user@host:5432/postgres and REPORT_TEST_REDIS=redis://host:6379"
)


@pytest.fixture(scope="session", autouse=True)
def _forget_published_messages() -> Iterator[None]:
    """In-process tests that commit publish real messages (nobody consumes them): remove
    them, and anything else under this run's broker key prefix, when the session ends."""
    yield
    from django.conf import settings

    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix")
    if not prefix or not settings.CELERY_BROKER_URL.startswith("redis"):
        return
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5)
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass


@pytest.fixture(autouse=True)
def _stop_job_listener() -> Iterator[None]:
    """A long-poll test leaves the process's LISTEN thread (and its connection to the test
    database) running; end it so the test database can be dropped."""
    yield
    from reports.jobs import selectors

    if selectors._listener is not None:
        selectors._listener.stop()


@pytest.fixture
def sample() -> dict:
    import copy

    return copy.deepcopy(SAMPLE)


HOW_TO_ENABLE_RABBITMQ = (
    "integration tests on RabbitMQ need a RabbitMQ whose rabbitmqctl works on this machine: "
    "set REPORT_TEST_RABBITMQ=amqp://guest:guest@127.0.0.1:5672"
)
NO_SKIPPING = " (REPORT_REQUIRE_INTEGRATION is set: no skipping)"
BROKERS = ("redis", "rabbitmq")


def rabbitmq_url() -> str:
    url = os.environ.get("REPORT_TEST_RABBITMQ")
    if not url:
        if os.environ.get("REPORT_REQUIRE_INTEGRATION"):
            pytest.fail(HOW_TO_ENABLE_RABBITMQ + NO_SKIPPING)
        pytest.skip(HOW_TO_ENABLE_RABBITMQ)
    return url


@pytest.fixture(scope="session", params=BROKERS)
def broker(request: pytest.FixtureRequest) -> str:
    """Runs a test (and the stack it uses) once on Redis and once on RabbitMQ."""
    return str(request.param)


def integration_urls() -> tuple[str, str]:
    postgres = os.environ.get("REPORT_TEST_POSTGRES")
    redis = os.environ.get("REPORT_TEST_REDIS")
    if not postgres or not redis:
        if os.environ.get("REPORT_REQUIRE_INTEGRATION"):
            pytest.fail(HOW_TO_ENABLE + " (REPORT_REQUIRE_INTEGRATION is set: no skipping)")
        pytest.skip(HOW_TO_ENABLE)
    return postgres, redis


def make_stack(
    tmp: Path,
    *,
    postgres: str | None = None,
    redis: str | None = None,
    broker: str = "redis",
    **env: str,
) -> Stack:
    """A fresh database with migrations; ``postgres``/``redis`` replace the shared services
    with a test's own instances (the ones a fault test may stop or flush). ``broker`` is
    "redis" or "rabbitmq" (a virtual host of its own on REPORT_TEST_RABBITMQ)."""
    shared_postgres, shared_redis = integration_urls()
    stack = Stack(
        postgres_admin_url=postgres or shared_postgres,
        redis_url=redis or shared_redis,
        tmp=tmp,
        env_overrides=env,
        rabbitmq_url=rabbitmq_url() if broker == "rabbitmq" else None,
    )
    stack.create_database()
    return stack


@contextlib.contextmanager
def running_stack(tmp: Path, *, broker: str = "redis", **env: str) -> Iterator[Stack]:
    """Web and one worker on a fresh database (``make_stack``), stopped and dropped after."""
    s = make_stack(tmp, broker=broker, **env)
    try:
        s.start("web")
        s.start("worker")
        yield s
    finally:
        s.stop_all()
        s.drop_database()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, broker: str) -> Iterator[Stack]:
    """One shared service (web + one worker) on a fresh database, per broker."""
    with running_stack(tmp_path_factory.mktemp("stack"), broker=broker) as s:
        yield s


# --- Webhooks (tests/test_webhooks*.py) ------------------------------------------------------

WEBHOOK_SECRET = "whsec-test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback (tests/receiver.py)."""
    with Receiver() as r:
        yield r


@pytest.fixture
def hooks(settings, tmp_path: Path):
    """Webhooks on: the test secret, loopback receivers allowed, report files in tmp_path."""
    settings.REPORT_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    settings.MEDIA_ROOT = tmp_path
    return settings
