"""A request's callback_url: checked when the job is submitted, stored with the job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.urls import reverse

from reports.errors import InvalidInput
from reports.models import WebhookDelivery
from reports.webhooks.addresses import ForbiddenAddress, resolve, target_of
from reports.webhooks.signing import signing_secrets
from reports.webhooks.urls import BadCallbackUrl, normalise

# Resolving the host at submit time holds the request: not for long.
SUBMIT_RESOLVE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Callback:
    url: str
    origin: str  # "<scheme>://<host>" of the request: the event's URLs start with it


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput("The callback_url is not accepted.", errors={"callback_url": [reason]})


def callback_url_check(url: str, *, owner: str = "") -> str:
    """The URL, normalised, if the service may call it; else InvalidInput naming
    ``callback_url``. Normalised (``urls.normalise``): the host IDNA-encoded, path and
    query percent-encoded as UTF-8, the fragment dropped; what is stored is what is sent.

    Its host is resolved now and every address checked (the delivery checks again when it
    connects: an answer may change in between). Refused: no secret to sign the events of
    ``owner``'s jobs with (its API key's own, else REPORT_WEBHOOK_SECRET), a scheme other
    than http/https, credentials in the URL, a host that does not resolve, or any address
    that is not public, unless the host is named in REPORT_WEBHOOK_ALLOW_HOSTS.
    """
    if not signing_secrets(owner=owner):
        raise _refuse(
            "This service does not send callbacks for this API key: it has no webhook "
            "secret of its own and REPORT_WEBHOOK_SECRET is not set."
        )
    try:
        normal = normalise(url)
        target = target_of(normal)
        if not target.allowed:
            resolve(target, timeout=SUBMIT_RESOLVE_TIMEOUT)
    except (BadCallbackUrl, ForbiddenAddress) as exc:
        raise _refuse(str(exc)) from None
    except OSError as exc:
        raise _refuse(f"The host could not be resolved: {exc}.") from None
    return normal.text


def webhook_row(*, job_id: uuid.UUID, kind: str, callback: Callback) -> WebhookDelivery:
    """The delivery row stored with a new job (in the same statement, see jobs.submit)."""
    status_url = callback.origin + reverse(f"{kind}-detail", args=[job_id])
    return WebhookDelivery(job_id=job_id, url=callback.url, status_url=status_url)
