"""Schemathesis hooks (loaded through schemathesis.toml, by the CLI and by
tests/test_schema_live.py).

A schema-valid callback_url is still refused when its host does not resolve, or resolves
to an address that is not public (a 400 naming ``callback_url``, documented on the create
operations): no schema can say which names resolve. Schema-valid requests therefore name a
receiver the service under test accepts: loopback, allowed with
``REPORT_WEBHOOK_ALLOW_HOSTS=127.0.0.1`` (and signed with ``REPORT_WEBHOOK_SECRET``), on
the discard port, where nothing listens. And each gets an Idempotency-Key of its own:
generated keys repeat ("0"), and a key reused with another body is a 422 (documented), so
most requests would never create a job. Schema-violating requests are sent as generated.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

RECEIVER = "http://127.0.0.1:9/schemathesis"


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if isinstance(case.query, dict) and case.query.get("callback_url") is not None:
        case.query["callback_url"] = RECEIVER
    if isinstance(case.body, dict) and case.body.get("callback_url") is not None:
        case.body["callback_url"] = RECEIVER
    if case.headers is not None and "Idempotency-Key" in case.headers:  # a mapping
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
