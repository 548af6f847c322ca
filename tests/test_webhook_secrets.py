"""Webhook secrets per tenant: a job's events are signed with its API key's own secret
(``REPORT_API_KEYS`` entry ``key:secret[:previous]``), else with REPORT_WEBHOOK_SECRET;
while a secret is rotated both verify. Checked with the receiver's code from docs/api.md,
on a real loopback receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.api_keys import api_keys, key_owner
from reports.jobs import run
from reports.models import WebhookAttempt, WebhookDelivery
from reports.webhooks import delivery
from reports.webhooks.signing import signature_header
from tests.receiver import Receiver
from tests.test_security import _settings_process
from tests.test_webhooks import docs_verify

GLOBAL = "whsec-global"


@pytest.fixture
def tenants(settings, tmp_path: Path):
    """Set REPORT_API_KEYS as the environment would: parsed by config.api_keys."""

    def configure(*entries: str, secret: str = GLOBAL, previous: str = "") -> None:
        settings.REPORT_WEBHOOK_SECRET = secret
        settings.REPORT_WEBHOOK_PREVIOUS_SECRET = previous
        keys, secrets = api_keys(list(entries), shared=(secret, previous))
        settings.REPORT_API_KEYS = keys
        settings.REPORT_WEBHOOK_KEY_SECRETS = secrets

    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    settings.MEDIA_ROOT = tmp_path
    return configure


def delivered(client, receiver: Receiver, sample: dict, key: str | None, path: str):
    """Submit a job with this key and a callback, run it, deliver its event: the request
    the receiver got."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    body = {**sample, "callback_url": receiver.url(path)}
    response = client.post(
        "/assignment/html", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    assert run.job_run(job_id=task_id, holder="a/1") == "SUCCESS"
    assert delivery.webhook_deliver(job_id=task_id) == "delivered"
    [request] = receiver.at(path)
    return request


def verifies(secret: str, request) -> bool:
    return docs_verify()(secret.encode(), request.body, request.headers["report-signature"])


@pytest.mark.django_db
def test_a_tenant_s_events_are_signed_with_its_own_secret_only(
    client, tenants, receiver, sample
) -> None:
    tenants("key-a:whsec-a", "key-b:whsec-b", "key-c")
    for key, own, others in [
        ("key-a", "whsec-a", ["whsec-b", GLOBAL]),
        ("key-b", "whsec-b", ["whsec-a", GLOBAL]),
    ]:
        request = delivered(client, receiver, sample, key, f"/{key}")
        assert verifies(own, request)
        for other in others:  # tenant B's secret does not verify tenant A's event
            assert not verifies(other, request), (key, other)
        assert request.headers["report-signature"].count("v1=") == 1
    # A key without a secret of its own falls back to REPORT_WEBHOOK_SECRET.
    request = delivered(client, receiver, sample, "key-c", "/key-c")
    assert verifies(GLOBAL, request)
    assert not verifies("whsec-a", request) and not verifies("whsec-b", request)


@pytest.mark.django_db
def test_during_a_rotation_both_secrets_verify(client, tenants, receiver, sample) -> None:
    tenants("key-a:whsec-new:whsec-old", "key-b", secret="global-new", previous="global-old")
    for key, new, old, path in [
        ("key-a", "whsec-new", "whsec-old", "/rotating-a"),
        ("key-b", "global-new", "global-old", "/rotating-b"),
    ]:
        request = delivered(client, receiver, sample, key, path)
        header = request.headers["report-signature"]
        assert header.count("v1=") == 2
        assert verifies(new, request) and verifies(old, request)
        assert not verifies("another", request)
        # A receiver on the earlier snippet (it read only the last v1) keeps verifying
        # with the old secret during the rotation: the previous secret's v1 comes last.
        assert earlier_verify(old.encode(), request.body, header)


def earlier_verify(secret: bytes, body: bytes, header: str, tolerance: int = 300) -> bool:
    """docs/api.md's snippet before rotations (a dict of the fields: the last v1 wins)."""
    fields = dict(part.strip().partition("=")[::2] for part in header.split(","))
    timestamp, signature = fields.get("t", ""), fields.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@pytest.mark.django_db
def test_the_old_single_secret_configuration_still_works(client, tenants, receiver, sample) -> None:
    tenants("key-a", "key-b")  # plain keys, as before
    for key in ("key-a", "key-b"):
        assert verifies(GLOBAL, delivered(client, receiver, sample, key, f"/old-{key}"))
    tenants()  # no keys at all: the open service
    assert verifies(GLOBAL, delivered(client, receiver, sample, None, "/old-open"))


@pytest.mark.django_db
def test_a_key_with_its_own_secret_needs_no_global_one(client, tenants, receiver, sample) -> None:
    tenants("key-a:whsec-a", "key-b", secret="")
    assert verifies("whsec-a", delivered(client, receiver, sample, "key-a", "/own-only"))
    body = {**sample, "callback_url": receiver.url("/refused")}
    response = client.post(
        "/assignment/html",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer key-b",
    )
    assert response.status_code == 400
    assert "REPORT_WEBHOOK_SECRET" in response.json()["errors"]["callback_url"][0]


@pytest.mark.django_db
def test_a_job_whose_secret_is_gone_records_a_failed_attempt(
    client, tenants, receiver, sample, settings
) -> None:
    """The key's secret was removed from the configuration after the job was submitted,
    and there is no global one: the attempt is recorded and retried, nothing is sent."""
    tenants("key-a:whsec-a", secret="")
    body = {**sample, "callback_url": receiver.url("/gone")}
    response = client.post(
        "/assignment/html",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer key-a",
    )
    task_id = response.json()["task_id"]
    assert run.job_run(job_id=task_id, holder="a/1") == "SUCCESS"
    tenants("key-a", secret="")
    assert delivery.webhook_deliver(job_id=task_id) == "retrying"
    [attempt] = WebhookAttempt.objects.filter(job_id=uuid.UUID(task_id))
    assert "NoSecret" in attempt.error and "REPORT_WEBHOOK_SECRET" in attempt.error
    assert WebhookDelivery.objects.get(job_id=uuid.UUID(task_id)).state == "retrying"
    assert receiver.requests == []


def test_the_header_carries_one_v1_per_secret_in_order() -> None:
    header = signature_header(secrets=["new", "old"], body=b"{}", timestamp=1700000000)
    single = [
        signature_header(secrets=[s], body=b"{}", timestamp=1700000000) for s in ("new", "old")
    ]
    assert header == f"t=1700000000,{single[0].split(',')[1]},{single[1].split(',')[1]}"


def test_api_key_entries_are_parsed() -> None:
    keys, secrets = api_keys(["key-a", "key-b:whsec-b", "key-c:whsec-c2:whsec-c1"])
    assert keys == ["key-a", "key-b", "key-c"]
    assert secrets == {
        key_owner("key-b"): ("whsec-b",),
        key_owner("key-c"): ("whsec-c2", "whsec-c1"),
    }


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["key-a:"], "entry 1 is not"),
        ([":whsec"], "entry 1 is not"),
        (["key-a", "key-b:s1:s2:s3"], "entry 2 is not"),
        (["key-a:s1::"], "entry 1 is not"),
        (["key-a:s1", "key-a:s2"], "entry 2 repeats a key"),
        (["key-a:same", "key-b:same"], "entry 2 reuses a webhook secret"),
        (["key-a:whsec-global"], "entry 1 reuses a webhook secret"),
        (["key-a:twice:twice"], "entry 1 reuses a webhook secret"),
    ],
)
def test_malformed_api_key_entries_are_refused_without_echoing_them(entries, message) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        api_keys(entries, shared=(GLOBAL, ""))
    assert message in str(refused.value)
    assert "s1" not in str(refused.value) and "same" not in str(refused.value)


@pytest.mark.slow
def test_the_environment_s_old_and_new_forms(tmp_path) -> None:
    code = (
        "from django.conf import settings\n"
        "import django; django.setup()\n"
        "print(settings.REPORT_API_KEYS, sorted(settings.REPORT_WEBHOOK_KEY_SECRETS.values()))\n"
    )
    old = _settings_process(code, REPORT_API_KEYS="key-one,key-two", REPORT_DATA_DIR=str(tmp_path))
    assert old.stdout.strip() == "['key-one', 'key-two'] []", old
    new = _settings_process(
        code,
        REPORT_API_KEYS="key-one:whsec-1, key-two:whsec-3:whsec-2",
        REPORT_DATA_DIR=str(tmp_path),
    )
    assert new.stdout.strip() == (
        "['key-one', 'key-two'] [('whsec-1',), ('whsec-3', 'whsec-2')]"
    ), new
