"""Webhooks in this process, against a real HTTP receiver on loopback: which URLs are
refused (at submit time and again at connect time), how a request is sent, signed,
retried and recorded, and that every way a job ends leads to a delivery."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import socket
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from reports.jobs import run, states, submit, sweep
from reports.models import JobInput, JobStatus, ReportJob, WebhookAttempt, WebhookDelivery
from reports.webhooks import addresses, delivery, sender
from reports.webhooks.callback import Callback
from reports.webhooks.signing import signature_header
from tests.conftest import WEBHOOK_SECRET
from tests.receiver import Answer, Receiver

ROOT = Path(__file__).resolve().parent.parent
SECRET = WEBHOOK_SECRET


def post(client, payload, query: str = ""):
    return client.post(
        f"/assignment/html{query}", json.dumps(payload), content_type="application/json"
    )


# --- Which URLs are refused ----------------------------------------------------------------

FORBIDDEN = [
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://localhost:8000/hook",  # a name that resolves to 127.0.0.1
    "http://2130706433/hook",  # 127.0.0.1 written as one number
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", FORBIDDEN)
def test_private_addresses_are_refused_at_submit_time(client, settings, sample, url) -> None:
    settings.REPORT_WEBHOOK_SECRET = SECRET
    for response in (
        post(client, sample, f"?callback_url={url}"),
        post(client, {**sample, "callback_url": url}),
    ):
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["status"] == "INVALID"
        assert "forbidden address" in body["errors"]["callback_url"][0]
    assert not ReportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/hook", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("http://user:secret@example.org/", "credentials"),
        ("http:///nohost", "no host"),
        ("http://no-such-host.invalid/hook", "could not be resolved"),
        ("http://example.org:99999/", "Not a valid URL"),
        ("http://example.org/" + "a" * 2100, "2048"),
    ],
)
def test_invalid_urls_are_a_400_naming_callback_url(client, settings, sample, url, reason) -> None:
    settings.REPORT_WEBHOOK_SECRET = SECRET
    response = post(client, sample, "?" + _query(url))
    assert response.status_code == 400, response.content
    assert reason in response.json()["errors"]["callback_url"][0]


def _query(url: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"callback_url": url})


@pytest.mark.django_db
def test_callbacks_are_refused_without_a_secret(client, settings, sample) -> None:
    settings.REPORT_WEBHOOK_SECRET = ""
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    response = post(client, {**sample, "callback_url": "http://127.0.0.1:9/hook"})
    assert response.status_code == 400
    assert "REPORT_WEBHOOK_SECRET" in response.json()["errors"]["callback_url"][0]


@pytest.mark.django_db
def test_an_allowed_host_is_accepted_and_stored_with_the_job(client, hooks, sample) -> None:
    hooks.REPORT_WEBHOOK_ALLOW_HOSTS = ["localhost"]
    response = post(client, sample, "?callback_url=http://localhost:8000/hook?x=1")
    assert response.status_code == 202, response.content
    accepted = response.json()
    job = ReportJob.objects.get(id=accepted["task_id"])
    assert job.has_callback
    hook = WebhookDelivery.objects.get(job=job)
    assert hook.url == "http://localhost:8000/hook?x=1"
    assert hook.status_url == accepted["status_url"]
    assert (hook.state, hook.attempts) == ("pending", 0)
    # The query parameter wins over the body's field.
    body = {**sample, "callback_url": "http://localhost:1/body"}
    response = post(client, body, "?callback_url=http://localhost:2/query")
    assert WebhookDelivery.objects.get(job_id=response.json()["task_id"]).url.endswith("/query")
    # In a list, a student's callback_url is not the request's.
    response = post(client, [body, {**sample, "student_id": "b"}])
    assert response.status_code == 202
    assert not ReportJob.objects.get(id=response.json()["task_id"]).has_callback


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo around 10.0.0.1
    ],
)
def test_forbidden_ranges(address: str) -> None:
    assert addresses.forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert addresses.forbidden_reason(ipaddress.ip_address(address)) is None


# --- Sending -----------------------------------------------------------------------------------


def test_the_address_is_checked_again_when_connecting(settings, receiver) -> None:
    """A URL that passed at submit time (say the name resolved elsewhere then) is refused
    when it resolves to a forbidden address at delivery time: nothing is sent."""
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = []
    outcome = sender.post(receiver.url("/hook"), b"{}", {})
    assert outcome.status is None and not outcome.retry
    assert "forbidden address" in outcome.error
    time.sleep(0.2)
    assert receiver.requests == []
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    assert sender.post(receiver.url("/hook"), b"{}", {}).delivered
    assert len(receiver.at("/hook")) == 1


def test_the_connection_goes_to_the_checked_address_not_a_new_lookup(settings, receiver) -> None:
    """DNS rebinding: the name is resolved once, and the connection is made to the address
    that was checked. A name that no DNS knows is still reached at the given address."""
    target = addresses.Target("http", "never-resolves.invalid", receiver.port, "/pinned", False)
    outcome = sender.send_to(
        target,
        [(socket.AF_INET, ("127.0.0.1", receiver.port))],
        b"{}",
        {},
        time.monotonic() + 5,
    )
    assert outcome.delivered, outcome
    [request] = receiver.at("/pinned")
    assert request.headers["host"] == f"never-resolves.invalid:{receiver.port}"


def test_redirects_are_not_followed(settings, receiver) -> None:
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver.plan("/moved", Answer(302, {"Location": receiver.url("/elsewhere")}))
    outcome = sender.post(receiver.url("/moved"), b"{}", {})
    assert (outcome.status, outcome.retry) == (302, False)
    assert "redirects are not followed" in outcome.error
    time.sleep(0.2)
    assert receiver.at("/elsewhere") == []


def test_at_most_64_kb_of_the_answer_is_read(settings, receiver) -> None:
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver.plan("/big", Answer(200, body=b"x" * (1024 * 1024)))
    outcome = sender.post(receiver.url("/big"), b"{}", {})
    assert outcome.delivered and outcome.received == 64 * 1024


@pytest.mark.slow
def test_a_slow_answer_is_cut_at_10_seconds(settings, receiver) -> None:
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver.plan("/slow", Answer(200, body=b"x" * 100, drip=0.5))  # 50 s to send it all
    started = time.monotonic()
    outcome = sender.post(receiver.url("/slow"), b"{}", {})
    elapsed = time.monotonic() - started
    assert outcome.status is None and outcome.retry and "timed out" in outcome.error
    assert sender.TOTAL_TIMEOUT <= elapsed < sender.TOTAL_TIMEOUT + 1.5


@pytest.mark.parametrize(
    ("answer", "retry", "retry_after"),
    [
        (Answer(500), True, None),
        (Answer(503, {"Retry-After": "7"}), True, 7.0),
        (Answer(429, {"Retry-After": "3"}), True, 3.0),
        (Answer(404), False, None),
        (Answer(410), False, None),
        (Answer(204), False, None),
    ],
)
def test_what_is_retried(settings, receiver, answer, retry, retry_after) -> None:
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver.plan("/x", answer)
    outcome = sender.post(receiver.url("/x"), b"{}", {})
    assert (outcome.status, outcome.retry, outcome.retry_after) == (
        answer.status,
        retry,
        retry_after,
    )


def test_a_receiver_that_is_down_is_retried(settings) -> None:
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = sender.post(f"http://127.0.0.1:{port}/", b"{}", {})
    assert outcome.status is None and outcome.retry
    assert "ConnectionRefusedError" in outcome.error


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (6, 32), (30, 3600)]:
        delays = [delivery.retry_delay(attempt=attempt, retry_after=None) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    assert delivery.retry_delay(attempt=1, retry_after=120) == 120


# --- Signing: the receiver's ten lines from docs/api.md ------------------------------------


def docs_verify():
    """The verification code a receiver copies from docs/api.md, run as it is written."""
    text = (ROOT / "docs" / "api.md").read_text()
    match = re.search(r"<!-- verify-webhook -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/api.md has no verification snippet"
    code = match.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)
    return namespace["verify"]


def test_the_documented_receiver_code_verifies_a_signature() -> None:
    verify = docs_verify()
    body = b'{"type": "report.succeeded"}'
    header = signature_header(secrets=[SECRET], body=body)
    assert verify(SECRET.encode(), body, header)
    assert not verify(SECRET.encode(), body + b" ", header)  # a changed body
    assert not verify(b"another secret", body, header)
    old = signature_header(secrets=[SECRET], body=body, timestamp=int(time.time()) - 301)
    assert not verify(SECRET.encode(), body, old)  # a replay, older than 5 minutes
    assert not verify(SECRET.encode(), body, "v1=" + header.split("v1=")[1])  # no time
    assert not verify(SECRET.encode(), body, "")


def test_the_signature_is_hmac_sha256_of_time_dot_body() -> None:
    header = signature_header(secrets=["k"], body=b"{}", timestamp=1700000000)
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


# --- Every way a job ends leads to a delivery -------------------------------------------------


def new_job(sample: dict, receiver: Receiver, path: str, kind: str = "html") -> str:
    body = json.dumps(sample).encode()
    callback = Callback(url=receiver.url(path), origin="http://api.example")
    job = submit.job_create(
        kind=kind, body=body, student_count=1, event_count=1, callback=callback
    ).job
    return str(job.id)


def event_of(request) -> dict:
    verify = docs_verify()
    assert verify(SECRET.encode(), request.body, request.headers["report-signature"])
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.body)


@pytest.mark.django_db
def test_success_is_delivered_once_the_run_commits(
    hooks, receiver, sample, django_capture_on_commit_callbacks
) -> None:
    task_id = new_job(sample, receiver, "/ok")
    with django_capture_on_commit_callbacks() as callbacks:
        assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.SUCCESS
    assert len(callbacks) == 1  # the delivery is queued after the commit, not before
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    [request] = receiver.at("/ok")
    job = ReportJob.objects.get(id=task_id)
    assert job.finished_at is not None
    assert event_of(request) == {
        "type": "report.succeeded",
        "task_id": task_id,
        "kind": "html",
        "status": "SUCCESS",
        "status_url": f"http://api.example/assignment/html/{task_id}",
        "report_url": f"http://api.example/assignment/html/{task_id}/report",
        "created_at": job.finished_at.isoformat().replace("+00:00", "Z"),
    }
    hook = WebhookDelivery.objects.get(job_id=uuid.UUID(task_id))
    assert (hook.state, hook.attempts, hook.last_status) == ("delivered", 1, 200)
    assert delivery.webhook_deliver(job_id=task_id) is None  # a duplicate message: nothing


@pytest.mark.django_db
def test_a_job_without_a_callback_queues_nothing(
    hooks, sample, django_capture_on_commit_callbacks
) -> None:
    job = submit.job_create(
        kind="html", body=json.dumps(sample).encode(), student_count=1, event_count=1
    ).job
    with django_capture_on_commit_callbacks() as callbacks:
        assert run.job_run(job_id=job.id, holder="a/1") == JobStatus.SUCCESS
    assert callbacks == []


@pytest.mark.django_db
def test_a_failed_job_is_delivered_as_report_failed(
    hooks, receiver, sample, django_capture_on_commit_callbacks
) -> None:
    """job_fail: here the input is missing; a bad input or a time limit take the same path."""
    task_id = new_job(sample, receiver, "/failed")
    JobInput.objects.filter(job_id=uuid.UUID(task_id)).delete()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.FAILURE
    assert len(callbacks) == 1
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    event = event_of(receiver.at("/failed")[0])
    assert (event["type"], event["status"], event["report_url"]) == (
        "report.failed",
        "FAILURE",
        None,
    )


@pytest.mark.django_db
def test_a_job_out_of_attempts_is_delivered_as_report_failed(
    hooks, receiver, sample, django_capture_on_commit_callbacks
) -> None:
    hooks.REPORT_JOB_MAX_ATTEMPTS = 1
    task_id = new_job(sample, receiver, "/exhausted")
    assert states.job_claim(job_id=task_id, holder="a/1") is not None
    ReportJob.objects.filter(id=task_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert states.job_claim(job_id=task_id, holder="b/2") is None
    assert ReportJob.objects.get(id=task_id).status == JobStatus.FAILURE
    assert len(callbacks) == 1
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    assert event_of(receiver.at("/exhausted")[0])["type"] == "report.failed"


@pytest.mark.django_db
def test_the_sweeper_queues_a_due_delivery_whose_message_was_lost(hooks, receiver, sample) -> None:
    task_id = new_job(sample, receiver, "/lost")
    assert delivery.webhooks_sweep()["webhooks"] == 0  # not finished: nothing due
    with_commit = run.job_run(job_id=task_id, holder="a/1")
    assert with_commit == JobStatus.SUCCESS
    # Just finished: its message is on its way, the sweeper leaves it alone...
    assert delivery.webhooks_sweep()["webhooks"] == 0
    # ... until it is overdue (the process died before publishing, or the broker lost it).
    later = timezone.now() + timedelta(seconds=hooks.REPORT_SWEEP_PENDING_AFTER + 1)
    assert delivery.webhooks_sweep(now=later)["webhooks"] == 1
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    assert delivery.webhooks_sweep(now=later)["webhooks"] == 0


@pytest.mark.django_db
def test_failures_are_retried_recorded_and_given_up_on(hooks, receiver, sample) -> None:
    task_id = new_job(sample, receiver, "/flaky")
    receiver.plan("/flaky", Answer(503), Answer(429, {"Retry-After": "30"}), Answer(404))
    assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.SUCCESS

    def due_now() -> None:  # as if the retry's time had come
        WebhookDelivery.objects.filter(job_id=uuid.UUID(task_id)).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )

    assert delivery.webhook_deliver(job_id=task_id) == "retrying"
    hook = WebhookDelivery.objects.get(job_id=uuid.UUID(task_id))
    assert (hook.state, hook.attempts, hook.last_status) == ("retrying", 1, 503)
    assert hook.next_attempt_at is not None and hook.next_attempt_at > timezone.now()
    assert delivery.webhook_deliver(job_id=task_id) is None  # early: not due yet
    due_now()
    before = timezone.now()
    assert delivery.webhook_deliver(job_id=task_id) == "retrying"
    hook = WebhookDelivery.objects.get(job_id=uuid.UUID(task_id))
    assert hook.next_attempt_at is not None
    assert hook.next_attempt_at >= before + timedelta(seconds=30)  # Retry-After honoured
    due_now()
    assert delivery.webhook_deliver(job_id=task_id) == "failed"  # a 404 is not retried
    attempts = list(
        WebhookAttempt.objects.filter(job_id=uuid.UUID(task_id)).values_list(
            "http_status", flat=True
        )
    )
    assert attempts == [503, 429, 404]
    assert WebhookDelivery.objects.get(job_id=uuid.UUID(task_id)).attempts == 3
    assert ReportJob.objects.get(id=task_id).status == JobStatus.SUCCESS  # untouched


@pytest.mark.django_db
def test_retries_stop_after_the_retry_window(hooks, receiver, sample) -> None:
    hooks.REPORT_WEBHOOK_RETRY_FOR = 60
    task_id = new_job(sample, receiver, "/down")
    receiver.plan("/down", Answer(500))
    assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.SUCCESS
    ReportJob.objects.filter(id=task_id).update(finished_at=timezone.now() - timedelta(hours=1))
    assert delivery.webhook_deliver(job_id=task_id) == "failed"


@pytest.mark.django_db
def test_a_rerun_job_delivers_its_new_end(hooks, receiver, sample) -> None:
    task_id = new_job(sample, receiver, "/rerun")
    JobInput.objects.filter(job_id=uuid.UUID(task_id)).update(body=b"{}")  # fails in the worker
    assert run.job_run(job_id=task_id, holder="a/1") == JobStatus.FAILURE
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    JobInput.objects.filter(job_id=uuid.UUID(task_id)).update(body=json.dumps(sample).encode())
    assert sweep.jobs_rerun(job_ids=[task_id]) == 1
    assert WebhookDelivery.objects.get(job_id=uuid.UUID(task_id)).state == "pending"
    assert run.job_run(job_id=task_id, holder="a/2") == JobStatus.SUCCESS
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    types = [event_of(r)["type"] for r in receiver.at("/rerun")]
    assert types == ["report.failed", "report.succeeded"]


@pytest.mark.django_db
def test_the_status_answer_shows_the_webhook(client, hooks, receiver, sample) -> None:
    response = post(client, sample, f"?callback_url={receiver.url('/status')}")
    task_id = response.json()["task_id"]
    pending = client.get(f"/assignment/html/{task_id}").json()
    assert pending["webhook"] == {"state": "pending", "attempts": 0, "last_status": None}
    receiver.plan("/status", Answer(500))
    run.job_run(job_id=task_id, holder="a/1")
    delivery.webhook_deliver(job_id=task_id)
    done = client.get(f"/assignment/html/{task_id}").json()
    assert done["status"] == "SUCCESS"
    assert done["webhook"] == {"state": "retrying", "attempts": 1, "last_status": 500}
    plain = post(client, sample)
    assert "webhook" not in client.get(f"/assignment/html/{plain.json()['task_id']}").json()
