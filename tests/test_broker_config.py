"""The broker settings chosen by CELERY_BROKER_URL's scheme (config/broker.py), read from a
fresh process as each deployment would: settings are computed once, at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.broker import check_rabbitmq_server, delivered_queue

pytestmark = pytest.mark.slow  # each test imports the settings in a process of its own

ROOT = Path(__file__).resolve().parent.parent

DUMP = """
import json, django
django.setup()
from django.conf import settings
from config.celery import app

queues = {n: [q.exchange.type, q.durable, q.queue_arguments] for n, q in app.amqp.queues.items()}
print(json.dumps({
    "transport": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "routes": settings.CELERY_TASK_ROUTES,
    "queues": queues,
    "cancel_on_loss": app.conf.worker_cancel_long_running_tasks_on_connection_loss,
}))
"""


def settings_for(broker_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REPORT_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x",
        "CELERY_BROKER_URL": broker_url,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", DUMP], cwd=ROOT, env=environ, capture_output=True, text=True
    )


def test_rabbitmq_gets_quorum_queues_on_topic_exchanges_and_publisher_confirms() -> None:
    done = settings_for("amqp://guest:guest@127.0.0.1:5672/reporttask")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["transport"] == {
        "confirm_publish": True,
        "read_timeout": 5,
        "write_timeout": 5,
        "max_retries": 0,
    }
    assert set(found["queues"]) == {"html", "pdf", "maintenance"}
    for name in ("html", "pdf", "maintenance"):
        assert found["queues"][name] == ["topic", True, {"x-queue-type": "quorum"}]
    assert found["routes"] == {
        "reports.sweep_jobs": {"queue": "maintenance"},
        "reports.deliver_webhook": {"queue": "maintenance"},
        "reports.expire_jobs": {"queue": "maintenance"},
    }
    assert found["cancel_on_loss"] is True


LONG_JOBS = {"REPORT_JOB_SOFT_TIME_LIMIT": "800", "REPORT_JOB_TIME_LIMIT": "900"}


def test_redis_keeps_its_settings() -> None:
    # Long jobs too: RabbitMQ's consumer timeout does not concern Redis.
    done = settings_for("redis://127.0.0.1:6379/0", CELERY_BROKER_KEY_PREFIX="p:", **LONG_JOBS)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["transport"] == {
        "visibility_timeout": 3600,
        "ack_emulation": False,
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
        "max_retries": 0,
        "global_keyprefix": "p:",
    }
    assert found["routes"] == {
        "reports.sweep_jobs": {"queue": "maintenance"},
        "reports.deliver_webhook": {"queue": "maintenance"},
        "reports.expire_jobs": {"queue": "maintenance"},
    }
    assert found["queues"] == {"html": ["direct", True, None]}  # the rest made when used
    assert found["cancel_on_loss"] is False


def test_a_job_limit_rabbitmqs_consumer_timeout_cannot_cover_refuses_to_start() -> None:
    refused = settings_for("amqp://h/v", **LONG_JOBS)
    assert refused.returncode != 0
    assert "consumer_timeout must exceed twice REPORT_JOB_TIME_LIMIT" in refused.stderr
    assert settings_for("amqp://h/v", RABBITMQ_CONSUMER_TIMEOUT="3600", **LONG_JOBS).returncode == 0


def test_a_rabbitmq_older_than_3_10_is_refused() -> None:
    assert check_rabbitmq_server({"product": "RabbitMQ", "version": "3.10.8"}) == "RabbitMQ 3.10.8"
    assert check_rabbitmq_server({"product": "RabbitMQ", "version": "4.1.0"}) == "RabbitMQ 4.1.0"
    with pytest.raises(RuntimeError, match=r"3\.9\.29 is too old"):
        check_rabbitmq_server({"product": "RabbitMQ", "version": "3.9.29"})


def test_the_queue_a_message_came_from_is_its_routing_key_without_a_delay() -> None:
    delayed = ".".join("0" * 27 + "1") + ".pdf"  # native delayed delivery, 1 s
    assert delivered_queue({"routing_key": delayed}) == "pdf"
    assert delivered_queue({"routing_key": "html", "exchange": "html"}) == "html"
    assert delivered_queue({}) is None and delivered_queue(None) is None
