"""Webhooks and deletion through the real stack (gunicorn, Celery workers, PostgreSQL,
Redis), with a real HTTP receiver on loopback (allowed by REPORT_WEBHOOK_ALLOW_HOSTS)."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import cast

import pytest

from tests.conftest import make_stack
from tests.receiver import Answer, Receiver
from tests.stack import Stack, http
from tests.test_faults import job_for, wait_for
from tests.test_webhooks import SECRET, docs_verify

pytestmark = pytest.mark.integration

HOOKS = {
    "REPORT_WEBHOOK_SECRET": SECRET,
    "REPORT_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
    "REPORT_JOB_MAX_ATTEMPTS": "1",
    # Small: the shared PostgreSQL serves several stacks at once.
    "WEB_CONCURRENCY": "1",
    "CELERY_CONCURRENCY": "1",
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture(scope="module")
def hook_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Web; a worker for the reports (with the test faults: slow and poison jobs); and one
    for the maintenance queue (webhook deliveries, the sweeper), which a test may stop."""
    s = make_stack(tmp_path_factory.mktemp("hooks"), **HOOKS)
    try:
        s.start("web")
        s.start("worker", name="reports", faults=True, CELERY_WORKER_QUEUES="html,pdf")
        s.start("worker", name="hooks", CELERY_WORKER_QUEUES="maintenance")
        yield s
    finally:
        s.stop_all()
        s.drop_database()


def with_callback(url: str) -> str:
    return "?" + urllib.parse.urlencode({"callback_url": url})


def event(request) -> dict:
    verify = docs_verify()
    assert verify(SECRET.encode(), request.body, request.headers["report-signature"])
    return json.loads(request.body)


def webhook_rows(stack: Stack, task_id: str) -> tuple:
    [row] = stack.sql(
        "select state, attempts, last_status from reports_webhookdelivery where job_id = %s",
        task_id,
    )
    return row


def test_each_job_sends_one_signed_event(hook_stack: Stack, receiver: Receiver) -> None:
    s = hook_stack
    html = s.post("html", {**job_for("hook-html"), "callback_url": receiver.url("/one/html")})
    pdf = s.post(
        f"pdf{with_callback(receiver.url('/one/pdf'))}",
        [job_for("hook-pdf-a"), job_for("hook-pdf-b")],
    )
    assert html.status == 202 and pdf.status == 202, (html.body, pdf.body)
    for kind, accepted in (("html", html.json()), ("pdf", pdf.json())):
        task_id = accepted["task_id"]
        done = s.wait_done(kind, task_id)
        assert done.status == 200
        [request] = receiver.wait_for(f"/one/{kind}")
        body = event(request)
        assert body == {
            "type": "report.succeeded",
            "task_id": task_id,
            "kind": kind,
            "status": "SUCCESS",
            "status_url": accepted["status_url"],
            "report_url": accepted["status_url"] + "/report",
            "created_at": body["created_at"],
        }
        assert request.headers["user-agent"].startswith("report-task-webhook/")
        # The URLs in the event work (the report itself is never in the event).
        assert s.get(urllib.parse.urlsplit(body["report_url"]).path).status == 200
    wait_for("both recorded", lambda: webhook_rows(s, pdf.json()["task_id"])[0] == "delivered")
    answer = s.get(f"/assignment/html/{html.json()['task_id']}").json()
    assert answer["webhook"] == {"state": "delivered", "attempts": 1, "last_status": 200}
    time.sleep(1)
    assert len(receiver.at("/one/html")) == 1 and len(receiver.at("/one/pdf")) == 1


def test_a_failed_job_sends_report_failed(hook_stack: Stack, receiver: Receiver) -> None:
    """The job kills its worker (REPORT_JOB_MAX_ATTEMPTS=1): the next delivery of its message
    ends it as FAILURE in the claim (reports.jobs.states.job_end_if_exhausted)."""
    s = hook_stack
    accepted = s.post(f"html{with_callback(receiver.url('/failed'))}", job_for("poison"))
    task_id = accepted.json()["task_id"]
    assert s.wait_done("html", task_id, timeout=60).json()["status"] == "FAILURE"
    [request] = receiver.wait_for("/failed")
    body = event(request)
    assert (body["type"], body["status"], body["report_url"]) == ("report.failed", "FAILURE", None)


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(
    hook_stack: Stack, receiver: Receiver
) -> None:
    s = hook_stack
    receiver.plan("/flaky", Answer(503), Answer(429, {"Retry-After": "2"}))
    accepted = s.post(f"html{with_callback(receiver.url('/flaky'))}", job_for("flaky"))
    task_id = accepted.json()["task_id"]
    assert s.wait_done("html", task_id).json()["status"] == "SUCCESS"
    first, second, third = receiver.wait_for("/flaky", 3, timeout=30)
    assert first.body == second.body == third.body  # the same event each time
    assert third.at - second.at >= 1.9  # the Retry-After of the 429
    assert event(third)["type"] == "report.succeeded"
    wait_for("the delivery to be recorded", lambda: webhook_rows(s, task_id)[0] == "delivered")
    assert webhook_rows(s, task_id) == ("delivered", 3, 200)
    attempts = s.sql(
        "select http_status, error from reports_webhookattempt where job_id = %s order by at",
        task_id,
    )
    assert attempts == [(503, "HTTP 503"), (429, "HTTP 429"), (200, "")]
    time.sleep(1)
    assert len(receiver.at("/flaky")) == 3


def test_a_receiver_that_is_down_does_not_hold_the_job(hook_stack: Stack) -> None:
    from tests.stack import free_port

    s = hook_stack
    down = f"http://127.0.0.1:{free_port()}/nobody-listens"
    started = time.monotonic()
    task_id = s.post(f"html{with_callback(down)}", job_for("down")).json()["task_id"]
    done = s.wait_done("html", task_id)
    assert done.json()["status"] == "SUCCESS"
    assert time.monotonic() - started < 10
    wait_for("an attempt", lambda: webhook_rows(s, task_id)[1] >= 1)
    state, _, last_status = webhook_rows(s, task_id)
    assert state in ("retrying", "sending") and last_status is None
    [(error,)] = s.sql(
        "select error from reports_webhookattempt where job_id = %s order by at limit 1", task_id
    )
    assert "ConnectionRefusedError" in error
    answer = s.get(f"/assignment/html/{task_id}").json()
    assert answer["status"] == "SUCCESS" and answer["webhook"]["last_status"] is None


def test_deleting_a_running_job_leaves_nothing(hook_stack: Stack) -> None:
    """The run goes on after the DELETE (it sleeps 3 s first, see tests/fault_hooks.py);
    its fenced store then finds no row and removes the file it wrote."""
    s = hook_stack
    task_id = s.post("html", job_for("slow3")).json()["task_id"]
    started = [("STARTED",)]
    query = "select status from reports_reportjob where id = %s"
    wait_for("the job to start", lambda: s.sql(query, task_id) == started)
    deleted = http("DELETE", s.base_url + f"/assignment/html/{task_id}")
    assert deleted.status == 204, deleted.body
    wait_for("the run to end", lambda: f"{task_id}: run 1" in s.log("reports"), timeout=30)
    for table, column in [
        ("reports_reportjob", "id"),
        ("reports_jobinput", "job_id"),
        ("reports_report", "job_id"),
        ("reports_webhookdelivery", "job_id"),
        ("reports_filedeletion", "name"),
    ]:
        pattern = f"%{task_id}%" if column == "name" else task_id
        op = "like" if column == "name" else "="
        assert s.sql(f"select count(*) from {table} where {column}::text {op} %s", pattern) == [
            (0,)
        ], table
    media = s.tmp / "var" / "media" / "reports"
    assert list(media.glob(f"{task_id}*")) == []
    assert s.get(f"/assignment/html/{task_id}").status == 404
    assert http("DELETE", s.base_url + f"/assignment/html/{task_id}").status == 204
    assert http("DELETE", s.base_url + f"/assignment/html/{uuid.uuid4()}").status == 404


def test_a_delivery_lost_after_the_job_committed_is_sent_by_the_sweeper(
    hook_stack: Stack, receiver: Receiver
) -> None:
    """The job's end is committed, its delivery message is lost (here: the queue is
    emptied while nobody consumes it); the sweeper finds the due delivery in the database."""
    import redis

    s = hook_stack
    s.stop("hooks")
    task_id = s.post(f"html{with_callback(receiver.url('/lost'))}", job_for("lost")).json()[
        "task_id"
    ]
    assert s.wait_done("html", task_id).json()["status"] == "SUCCESS"
    client = redis.Redis.from_url(f"{s.redis_url.rstrip('/')}/0")
    queue = f"{s.name}:maintenance"

    def ours() -> list[bytes]:
        listed = cast(list[bytes], client.lrange(queue, 0, -1))  # a list: the client is sync
        return [m for m in listed if task_id.encode() in m]

    [message] = wait_for("the delivery message", ours)
    assert client.lrem(queue, 0, message.decode()) == 1  # lost
    fast = {"REPORT_SWEEP_INTERVAL": "1", "REPORT_SWEEP_PENDING_AFTER": "2"}
    s.start("worker", name="hooks", CELERY_WORKER_QUEUES="maintenance", overrides=fast)
    s.start("beat", overrides=fast)
    try:
        [request] = receiver.wait_for("/lost", timeout=60)
        assert event(request)["task_id"] == task_id
        wait_for("delivered", lambda: webhook_rows(s, task_id)[0] == "delivered")
    finally:
        s.stop("beat")
