"""The hand-written publisher (reports/jobs/publish.py) sends what Celery itself sends."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from reports.jobs.publish import RedisPublisher, job_publish
from reports.tasks import run_job
from tests.conftest import integration_urls


@pytest.fixture
def redis_queue() -> Iterator[tuple[object, str]]:
    """The test run's own key prefix on the shared Redis, emptied afterwards."""
    import redis

    _, url = integration_urls()
    client = redis.Redis.from_url(f"{url}/0")
    prefix = f"rt_publish_{uuid.uuid4().hex[:8]}:"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


def celery_message(client: Any, prefix: str, task_id: str, url: str) -> dict:
    """What apply_async writes to the same queue, through the service's own transport."""
    from kombu import Connection

    with Connection(
        url,
        transport="config.broker:RedisTransport",
        transport_options={"global_keyprefix": prefix},
    ) as conn:
        run_job.apply_async(  # type: ignore[call-arg]  # Celery passes connection= on; unstubbed
            args=[task_id],  # type: ignore[arg-type]  # a list, as the service publishes args
            queue="html",
            task_id=task_id,
            connection=conn,
        )
    return json.loads(client.lpop(f"{prefix}html"))


def test_the_message_matches_celerys_own_field_for_field(redis_queue) -> None:
    client, prefix = redis_queue
    _, url = integration_urls()
    task_id = str(uuid.uuid4())
    theirs = celery_message(client, prefix, task_id, f"{url}/0")
    publisher = RedisPublisher(
        f"{url}/0",
        key_prefix=prefix,
        time_limits=(settings.REPORT_JOB_TIME_LIMIT, settings.REPORT_JOB_SOFT_TIME_LIMIT),
    )
    publisher.publish(task_id=task_id, queue="html")
    ours = json.loads(client.lpop(f"{prefix}html"))
    assert set(ours) == set(theirs)
    assert base64.b64decode(ours["body"]) == base64.b64decode(theirs["body"]).replace(b" ", b"")
    assert json.loads(base64.b64decode(ours["body"])) == json.loads(
        base64.b64decode(theirs["body"])
    )
    for key in ("content-encoding", "content-type"):
        assert ours[key] == theirs[key]
    per_process = {"origin"}  # who sent it: differs by process, not by meaning
    assert set(ours["headers"]) == set(theirs["headers"])
    for key, value in theirs["headers"].items():
        if key not in per_process:
            assert ours["headers"][key] == value, key
    per_message = {"delivery_tag", "reply_to"}  # random per message; no replies wanted
    assert set(ours["properties"]) == set(theirs["properties"])
    for key, value in theirs["properties"].items():
        if key not in per_message:
            assert ours["properties"][key] == value, key


def test_a_countdown_becomes_an_eta_header(redis_queue) -> None:
    client, prefix = redis_queue
    _, url = integration_urls()
    publisher = RedisPublisher(f"{url}/0", key_prefix=prefix, time_limits=(300, 240))
    publisher.publish(task_id=str(uuid.uuid4()), queue="pdf", countdown=30)
    headers = json.loads(client.lpop(f"{prefix}pdf"))["headers"]
    from datetime import UTC, datetime

    eta = datetime.fromisoformat(headers["eta"])
    assert 25 < (eta - datetime.now(UTC)).total_seconds() <= 30


@pytest.mark.django_db
def test_publishing_with_the_broker_down_answers_at_once_and_leaves_it_to_the_sweeper(
    settings, sample
) -> None:
    """No retries inside a request: the row says "not published" and the sweeper will."""
    import time

    from reports.jobs import publish, submit
    from reports.models import ReportJob

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    publish._state.clear()
    try:
        job = submit.job_create(
            kind="html", body=json.dumps(sample).encode(), student_count=1, event_count=1
        ).job
        started = time.monotonic()
        assert job_publish(job_id=job.id, kind="html") is False
        assert time.monotonic() - started < 1
        assert ReportJob.objects.get(id=job.id).published_at is None
    finally:
        publish._state.clear()
