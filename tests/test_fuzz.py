"""Whatever a client sends, the API answers 202 or 4xx, never 5xx; and whatever it accepts,
the worker can turn into both an HTML and a PDF report without crashing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reports.renderers import render
from reports.report.analysis import build_report
from reports.report.contract import MAX_EVENT_YEAR, MIN_EVENT_YEAR, decode_students

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# Any character at all: controls, NUL, RTL marks, and lone surrogates (which json.dumps
# writes as "\ud800" escapes).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
huge_ints = st.one_of(
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30, -(10**400)]),
)
json_scalars = st.one_of(st.none(), st.booleans(), huge_ints, st.floats(allow_nan=False), any_text)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)

offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Written in the contract's years, at any offset (the first and last instants included).
aware_datetimes = st.datetimes(
    min_value=datetime(MIN_EVENT_YEAR, 1, 1),
    max_value=datetime(MAX_EVENT_YEAR, 12, 31, 23, 59, 59, 999999),
    timezones=offsets,
)


def _format(dt: datetime, style: int) -> str:
    if style == 0:
        return dt.isoformat()
    if style == 1:
        return dt.isoformat(sep=" ")
    if style == 2:  # no offset: UTC
        return dt.replace(tzinfo=None).isoformat()
    if not MIN_EVENT_YEAR <= dt.astimezone(UTC).year <= MAX_EVENT_YEAR:
        return dt.isoformat()  # written in UTC it would fall outside the years: keep the offset
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


times = st.builds(_format, aware_datetimes, st.integers(0, 3))
identifiers = st.text(
    st.characters(codec=None, exclude_characters="\x00"), min_size=1, max_size=255
)
units = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(st.characters(codec=None), min_size=1, max_size=255),
)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly valid values, sometimes anything at all."""
    return st.one_of(valid, valid, valid, json_values)


events = st.fixed_dictionaries(
    {"type": maybe(identifiers), "created_time": maybe(times), "unit": maybe(units)},
    optional={"extra": json_values},
)
students = st.fixed_dictionaries(
    {
        "namespace": maybe(identifiers),
        "student_id": maybe(identifiers),
        "events": maybe(st.lists(events, min_size=1, max_size=6)),
    }
)
payloads = st.one_of(students, st.lists(students, min_size=1, max_size=3), json_values)


def check(body: bytes, kind: str = "html") -> int:
    response = Client().post(f"/assignment/{kind}", body, content_type="application/json")
    assert response.status_code == 202 or 400 <= response.status_code < 500, (
        response.status_code,
        response.content[:500],
    )
    assert response["Content-Type"] == "application/json"
    event(f"answered {response.status_code}")
    if response.status_code == 202:
        report = build_report(decode_students(body), idle_minutes=30)
        for format_ in ("html", "pdf"):
            assert render(report, format_).content
    return response.status_code


@FUZZ
@given(payloads, st.booleans())
def test_any_json_payload_gets_202_or_4xx_and_accepted_ones_render(payload, ascii_only) -> None:
    check(json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))


valid_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=255)
valid_events = st.fixed_dictionaries(
    {
        "type": valid_text,
        "created_time": times,
        "unit": st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), valid_text),
    }
)
valid_students = st.fixed_dictionaries(
    {
        "namespace": valid_text.filter(lambda t: "\x00" not in t),
        "student_id": valid_text.filter(lambda t: "\x00" not in t),
        # At most 5 events, 3 students: 15 distinct types at most, under REPORT_MAX_EVENT_TYPES
        # (16); the limits themselves are tested in tests/test_limits.py.
        "events": st.lists(valid_events, min_size=1, max_size=5),
    }
)


@settings(FUZZ, max_examples=100)
@given(st.one_of(valid_students, st.lists(valid_students, min_size=1, max_size=3)))
def test_every_valid_payload_is_accepted_and_renders(payload) -> None:
    """Any text (controls, RTL, emoji), any time written in the contract's years (1900 to
    2100) at any offset, any 64-bit unit: accepted, and drawn as HTML and PDF."""
    assert check(json.dumps(payload, ensure_ascii=False).encode()) == 202


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        # invalid UTF-8 inside an otherwise valid body
        st.binary(min_size=1, max_size=8).map(
            lambda raw: (
                b'{"namespace": "ns", "student_id": "'
                + raw
                + b'", "events": [{"type": "t", "created_time": "2024-01-01T00:00:00Z",'
                b' "unit": 1}]}'
            )
        ),
        # deep nesting
        st.integers(1, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(1, 100_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
        # a number with many digits
        st.integers(1, 100_000).map(
            lambda n: (
                b'{"namespace": "ns", "student_id": "s", "events": [{"type": "t",'
                b' "created_time": "2024-01-01T00:00:00Z", "unit": ' + b"9" * n + b"}]}"
            )
        ),
    )
)
def test_any_bytes_get_202_or_4xx(body) -> None:
    check(body, kind="pdf")
