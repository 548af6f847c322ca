"""Schemathesis hooks (loaded through schemathesis.toml, by the CLI and by
tests/test_schema_live.py).

A schema-valid callback_url is still refused when its host does not resolve, or resolves
to an address that is not public (a 400 naming ``callback_url``, documented on the create
operations): no schema can say which names resolve. Schema-valid requests therefore name a
receiver the service under test accepts: loopback, allowed with
``REPORT_WEBHOOK_ALLOW_HOSTS=127.0.0.1`` (and signed with ``REPORT_WEBHOOK_SECRET``), on
the discard port, where nothing listens. And each gets an Idempotency-Key of its own:
generated keys repeat ("0"), and a key reused with another body is a 422 (documented), so
most requests would never create a job.

Likewise a body in another format (``?input=``, docs/api.md "Other input formats"): no
schema can say which strings are a ProgSnap2 table whose rows parse, which media type an
``?input=`` is read in, or which statements' verbs map. A schema-valid request of another
format (a text/csv or zip body, an ``?input=``, or a JSON body that is not the service's)
is sent with a valid body of that format and the ``?input=`` it needs; its other
parameters stay as generated. Schema-violating requests are sent as generated.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

RECEIVER = "http://127.0.0.1:9/schemathesis"
_AT = "2024-03-01T10:00:00Z"
TABLE = f"SubjectID,ProblemID,EventType,ServerTimestamp\r\nada,p1,File.Edit,{_AT}\r\n"
STATEMENTS = [
    {
        "actor": {"account": {"homePage": "https://example.edu", "name": "ada"}},
        "verb": {"id": "http://activitystrea.ms/schema/1.0/save"},
        "object": {"id": "p1"},
        "timestamp": _AT,
    }
]
ENVELOPE = {
    "sensor": "https://example.edu",
    "sendTime": _AT,
    "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
    "data": [
        {
            "type": "AssessmentEvent",
            "actor": {"id": "ada", "type": "Person"},
            "action": "Submitted",
            "object": {"id": "p1"},
            "eventTime": _AT,
        }
    ],
}
_BODIES: dict[str, tuple[str, Any]] = {
    "progsnap2": ("text/csv", TABLE),
    "xapi": ("application/json", STATEMENTS),
    "caliper": ("application/json", ENVELOPE),
}


def _other_format(case: Any) -> str | None:
    """The format a schema-valid create request is of, when not the service's JSON."""
    chosen = case.query.get("input") if isinstance(case.query, dict) else None
    if chosen in _BODIES:
        return str(chosen)
    if case.media_type in ("text/csv", "application/zip"):
        return "progsnap2"
    body = case.body
    ours = isinstance(body, dict) and "events" in body
    ours = ours or (isinstance(body, list) and bool(body) and "events" in body[0])
    if case.media_type != "application/json" or ours or not isinstance(body, dict | list):
        return None
    return "caliper" if isinstance(body, dict) and "data" in body else "xapi"


def _as_other_format(case: Any, chosen: str) -> None:
    case.media_type, case.body = _BODIES[chosen]
    if not isinstance(case.query, dict):
        case.query = {}
    case.query["input"] = chosen
    case.query.pop("mapping", None)  # a generated one is rarely JSON, never a known name
    if "namespace" in case.query:
        case.query["namespace"] = "ns"  # a student's texts have rules (no NUL) it may break


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
    if case.method == "POST" and case.path.startswith("/assignment/"):
        chosen = _other_format(case)
        if chosen is not None:
            _as_other_format(case, chosen)
