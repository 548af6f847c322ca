"""``REPORT_API_KEYS``: the API keys, and each key's own webhook secrets if it has them.

An entry is ``<key>`` (as before), ``<key>:<webhook secret>``, or, while that secret is
rotated, ``<key>:<webhook secret>:<previous secret>`` (events are then signed with both).
":" separates because no valid bearer token holds one (RFC 6750's token characters are
letters, digits and ``-._~+/=``). The secrets are kept by the key's *owner* (its sha256,
what a job stores), so a delivery finds its job's secrets without the key.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ImproperlyConfigured

FORM = "<key>, <key>:<webhook secret> or <key>:<webhook secret>:<previous secret>"


def key_owner(key: str) -> str:
    """What a job stores about the key that created it: its sha256, never the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_keys(
    entries: list[str], *, shared: tuple[str, ...] = ()
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """The keys, and the webhook secrets of those that have their own (newest first), by
    owner. ``shared``: the service's own webhook secrets, which no key may reuse (nor one
    key another's): a tenant holding a secret could forge the events it signs.

    A malformed entry is refused at startup, named by its position, never echoed."""
    keys: list[str] = []
    secrets: dict[str, tuple[str, ...]] = {}
    seen = {secret for secret in shared if secret}
    for number, entry in enumerate(entries, start=1):
        key, *own = entry.split(":")
        if not key or len(own) > 2 or not all(own):
            raise ImproperlyConfigured(f"REPORT_API_KEYS entry {number} is not {FORM}.")
        if key in keys:
            raise ImproperlyConfigured(f"REPORT_API_KEYS entry {number} repeats a key.")
        if seen.intersection(own) or len(set(own)) < len(own):
            raise ImproperlyConfigured(
                f"REPORT_API_KEYS entry {number} reuses a webhook secret: each key's must "
                "be its own, and not REPORT_WEBHOOK_SECRET."
            )
        seen.update(own)
        keys.append(key)
        if own:
            secrets[key_owner(key)] = tuple(own)
    return keys, secrets
