"""Signing webhook bodies, Stripe-style: ``Report-Signature: t=<unix time>,v1=<hex HMAC>``,
with one ``v1`` per valid secret while a secret is rotated."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from django.conf import settings

HEADER = "Report-Signature"


class NoSecret(RuntimeError):
    """Nothing to sign a job's events with: its key has no webhook secret of its own and
    the service has none (REPORT_WEBHOOK_SECRET)."""


def signing_secrets(*, owner: str) -> tuple[str, ...]:
    """The secrets a job's events are signed with, newest first: its API key's own
    (``REPORT_API_KEYS``' ``key:secret[:previous]``), so that no other tenant can forge
    them; else, for a key without one and on an open service, ``REPORT_WEBHOOK_SECRET``
    (and ``REPORT_WEBHOOK_PREVIOUS_SECRET``). Empty: none, callbacks are off for it."""
    own: tuple[str, ...] = settings.REPORT_WEBHOOK_KEY_SECRETS.get(owner, ()) if owner else ()
    if own:
        return own
    if not settings.REPORT_WEBHOOK_SECRET:
        return ()
    shared = (settings.REPORT_WEBHOOK_SECRET, settings.REPORT_WEBHOOK_PREVIOUS_SECRET)
    return tuple(secret for secret in shared if secret)


def signature_header(*, secrets: Sequence[str], body: bytes, timestamp: int | None = None) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with one ``v1`` per secret,
    in their order (the previous secret's last: a receiver that reads only the last ``v1``
    keeps verifying with the old secret until it has switched). The time is signed too,
    so a receiver can refuse an old request replayed to it."""
    if not secrets:
        raise NoSecret(
            "no webhook secret to sign with: the job's API key has none of its own and "
            "REPORT_WEBHOOK_SECRET is not set"
        )
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + body
    macs = (hmac.new(s.encode("utf-8"), signed, hashlib.sha256).hexdigest() for s in secrets)
    return ",".join([f"t={t}", *(f"v1={mac}" for mac in macs)])
