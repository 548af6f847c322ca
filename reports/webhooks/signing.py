"""Signing webhook bodies, Stripe-style: ``Report-Signature: t=<unix time>,v1=<hex HMAC>``."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Report-Signature"


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>``: the time
    is signed too, so a receiver can refuse an old request replayed to it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + body, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"
