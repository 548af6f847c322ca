"""Callback URLs are stored normalised or refused at submit, and no delivery, whatever its
stored URL or whatever raises while it is built, signed or sent, stays ``sending`` or
crashes the delivery task: each ends as a recorded attempt.

No test here connects anywhere but the loopback receiver: names are answered by a
resolver stub (``public_dns``), and a submit never connects."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from reports import tasks
from reports.jobs import run
from reports.models import ReportJob, WebhookAttempt, WebhookDelivery
from reports.webhooks import delivery, sender, urls
from tests.receiver import Answer, Receiver
from tests.test_webhooks import event_of, new_job

PUBLIC = "1.1.1.1"  # what every name resolves to under the stub; never connected to


@pytest.fixture
def public_dns(monkeypatch) -> list[str]:
    """getaddrinfo answers PUBLIC for every name (and records the names it was asked)."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def submit(client, url: str, *, in_body: bool, sample: dict):
    if in_body:
        body, path = {**sample, "callback_url": url}, "/assignment/html"
    else:
        from urllib.parse import urlencode

        body, path = sample, "/assignment/html?" + urlencode({"callback_url": url})
    return client.post(path, json.dumps(body), content_type="application/json")


NORMALISED = [
    ("http://hooks.example/café", "http://hooks.example/caf%C3%A9"),
    ("http://CAFÉ.example/x?q=é&r=1", "http://xn--caf-dma.example/x?q=%C3%A9&r=1"),
    ("http://hooks.example/a%2Fb/%zz?p=%", "http://hooks.example/a%2Fb/%25zz?p=%25"),
    ('http://hooks.example/<"{}|\\^`>', "http://hooks.example/%3C%22%7B%7D%7C%5C%5E%60%3E"),
    ("https://hooks.example?x=1#fragment", "https://hooks.example/?x=1"),
    ("http://[2606:4700:4700:0::1111]:8443/p", "http://[2606:4700:4700::1111]:8443/p"),
    ("https://xn--caf-dma.example:443/a/b?c=d", "https://xn--caf-dma.example:443/a/b?c=d"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("in_body", [False, True], ids=["query", "body"])
@pytest.mark.parametrize(("given", "stored"), NORMALISED)
def test_callback_urls_are_stored_normalised(
    client, hooks, sample, public_dns, given, stored, in_body
) -> None:
    hooks.REPORT_WEBHOOK_ALLOW_HOSTS = []
    response = submit(client, given, in_body=in_body, sample=sample)
    assert response.status_code == 202, response.content
    assert WebhookDelivery.objects.get(job_id=response.json()["task_id"]).url == stored
    assert urls.normalise(stored).text == stored  # normalising twice changes nothing


REFUSED = [
    ("http://hooks.example/\x7f", "U+007F"),
    ("http://hooks.example/a b", "U+0020"),
    ("http://hooks.example/a\tb", "U+0009"),
    ("http://hooks.example/\x85", "U+0085"),
    ("http://hooks.example/\u200b", "U+200B"),  # zero-width space
    ("http://hooks.example/\u202e", "U+202E"),  # right-to-left override
    ("http://hooks.example/\u3000", "U+3000"),  # ideographic space
    ("http://faß.example/", "xn-- form"),  # IDNA 2003 would send it to fass.example
    ("http://a!b.example/", "host name is not valid"),
    ("http://a..b.example/", "host name is not valid"),
    ("http://[v1.x]/", "not a valid IPv6"),
    ("http://[fe80::1%25eth0]/", "not a valid IPv6"),
    ("http://hooks.example/" + "é" * 600, "once percent-encoded"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("in_body", [False, True], ids=["query", "body"])
@pytest.mark.parametrize(("given", "reason"), REFUSED)
def test_urls_that_cannot_be_made_valid_are_a_400_naming_callback_url(
    client, hooks, sample, public_dns, given, reason, in_body
) -> None:
    hooks.REPORT_WEBHOOK_ALLOW_HOSTS = []
    response = submit(client, given, in_body=in_body, sample=sample)
    assert response.status_code == 400, response.content
    assert reason in response.json()["errors"]["callback_url"][0]
    assert not ReportJob.objects.exists()


# --- A stored URL that was never normalised (made so in the row, bypassing submit) ----------


def finished_job_with_url(sample: dict, receiver: Receiver, url: str) -> str:
    task_id = new_job(sample, receiver, "/unused")
    WebhookDelivery.objects.filter(job_id=uuid.UUID(task_id)).update(url=url)
    assert run.job_run(job_id=task_id, holder="a/1") == "SUCCESS"
    return task_id


def only_attempt(task_id: str) -> tuple[WebhookDelivery, WebhookAttempt]:
    hook = WebhookDelivery.objects.get(job_id=uuid.UUID(task_id))
    [attempt] = WebhookAttempt.objects.filter(job_id=uuid.UUID(task_id))
    return hook, attempt


@pytest.mark.django_db
def test_a_stored_non_ascii_url_is_normalised_and_delivered(hooks, receiver, sample) -> None:
    """The UnicodeEncodeError case: before, every attempt raised before connecting and the
    delivery stayed ``sending`` with 0 attempts, run again by the sweeper for ever."""
    task_id = finished_job_with_url(sample, receiver, receiver.url("/café?q=ü"))
    assert tasks.deliver_webhook(task_id) == "delivered"  # the task itself: it returns
    [request] = receiver.at("/caf%C3%A9?q=%C3%BC")
    assert event_of(request)["task_id"] == task_id
    hook, attempt = only_attempt(task_id)
    assert (hook.state, hook.attempts, attempt.http_status) == ("delivered", 1, 200)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/\x7f", "/a b", "/\u200b"])
def test_a_stored_url_with_a_control_character_fails_at_once(hooks, receiver, sample, path) -> None:
    """Before, a DEL was retried for 24 h as a "connection error": it can never succeed."""
    task_id = finished_job_with_url(sample, receiver, receiver.url(path))
    assert tasks.deliver_webhook(task_id) == "failed"
    hook, attempt = only_attempt(task_id)
    assert (hook.state, hook.attempts, hook.next_attempt_at) == ("failed", 1, None)
    assert "control, invisible or whitespace character" in attempt.error
    assert receiver.requests == []


def _raise(*args, **kwargs):
    raise RuntimeError("something nobody planned for")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "where",
    [
        "reports.webhooks.delivery.webhook_event",  # building the event
        "reports.webhooks.delivery.signature_header",  # signing it
        "reports.webhooks.sender.resolve",  # resolving the host
        "reports.webhooks.sender.send_to",  # connecting, sending, reading the answer
        "http.client.HTTPResponse.read",  # reading the answer, deep inside http.client
    ],
)
def test_any_exception_in_an_attempt_is_recorded_and_retried(
    hooks, receiver, sample, monkeypatch, where
) -> None:
    task_id = finished_job_with_url(sample, receiver, receiver.url("/raises"))
    monkeypatch.setattr(where, _raise)
    assert tasks.deliver_webhook(task_id) == "retrying"  # the task did not raise
    hook, attempt = only_attempt(task_id)
    assert (hook.state, hook.attempts, hook.last_status) == ("retrying", 1, None)
    assert hook.next_attempt_at is not None and hook.next_attempt_at > timezone.now()
    assert hook.last_error == attempt.error
    assert attempt.error == "failed: RuntimeError: something nobody planned for"


@pytest.mark.django_db
def test_an_attempt_that_raises_is_given_up_on_by_the_retry_window(
    hooks, receiver, sample, monkeypatch
) -> None:
    hooks.REPORT_WEBHOOK_RETRY_FOR = 60
    task_id = finished_job_with_url(sample, receiver, receiver.url("/raises"))
    ReportJob.objects.filter(id=task_id).update(finished_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(sender, "send_to", _raise)
    assert delivery.webhook_deliver(job_id=task_id) == "failed"
    hook, attempt = only_attempt(task_id)
    assert (hook.state, hook.attempts) == ("failed", 1)
    assert "RuntimeError" in attempt.error


# --- What a hostile receiver answers cannot break the bookkeeping either -------------------


@pytest.fixture
def raw_receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback TCP server that answers every connection with the bytes in its list
    (set by the test), whatever was asked: a receiver that does not speak HTTP."""
    answer: list[bytes] = [b""]
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(answer[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/raw", answer
    stop.set()
    thread.join()
    server.close()


@pytest.mark.django_db
def test_an_answer_with_nul_bytes_is_recorded_escaped(
    hooks, receiver, raw_receiver, sample
) -> None:
    """http.client quotes a malformed status line in its error; PostgreSQL refuses a NUL
    in text, so recording it raised and left the delivery ``sending``."""
    url, answer = raw_receiver
    answer[0] = b"\x00\x01 not http\r\n\r\n"
    task_id = finished_job_with_url(sample, receiver, url)
    assert tasks.deliver_webhook(task_id) == "retrying"
    hook, attempt = only_attempt(task_id)
    assert hook.attempts == 1 and hook.last_error == attempt.error
    assert attempt.error == "connection failed: BadStatusLine: \\x00\\x01 not http\\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize("retry_after", ["9" * 30, "100000000000000"])
def test_an_absurd_retry_after_fails_the_delivery_instead_of_the_task(
    hooks, receiver, sample, retry_after
) -> None:
    """A Retry-After of 10^14 seconds overflowed the next attempt's time: the task raised
    after sending and the delivery stayed ``sending``. It is now a wait past the window."""
    receiver.plan("/later", Answer(503, {"Retry-After": retry_after}))
    task_id = finished_job_with_url(sample, receiver, receiver.url("/later"))
    assert tasks.deliver_webhook(task_id) == "failed"
    hook, attempt = only_attempt(task_id)
    assert (hook.state, attempt.http_status) == ("failed", 503)
