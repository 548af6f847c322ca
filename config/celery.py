"""The Celery application. Messages carry job ids only; the database is the record.

All Celery settings live in ``config/settings.py`` under the ``CELERY_`` prefix.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import celeryd_init, worker_process_init

from config.broker import check_rabbitmq_server
from reports.jobs.memory import pool_process_limit
from reports.ops.logs import bind_node

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


class RabbitMQCheck(bootsteps.StartStopStep):
    """On each (re)connection of a worker to RabbitMQ: stop if the broker is too old for
    quorum queues with delayed retries (config/broker.py), else say what it is."""

    requires = ("celery.worker.consumer.connection:Connection",)

    def include_if(self, parent: Any) -> bool:
        return bool(parent.app.connection_for_write().transport.driver_type == "amqp")

    def start(self, parent: Any) -> None:
        found = check_rabbitmq_server(parent.connection.connection.server_properties)
        logger.info("broker: %s, quorum queues", found)


app = Celery("report_task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(RabbitMQCheck)
app.autodiscover_tasks(["reports"])


@celeryd_init.connect
def _log_the_node_name(sender: str, **_: Any) -> None:
    """A worker's log lines say which node wrote them, before its pool processes fork."""
    bind_node(sender)


@worker_process_init.connect
def _limit_the_pool_process(**_: Any) -> None:
    """Each pool process (not the worker's main process) runs its jobs under the memory
    ceiling, and is the one the kernel's OOM killer picks first (reports/jobs/memory.py)."""
    limit = pool_process_limit()
    logger.debug("pool process: memory limit %d MiB", limit >> 20)
