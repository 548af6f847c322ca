"""``request_parse``: a POST's body and query in, one typed request out, without Django."""

from __future__ import annotations

import dataclasses
import json

import pytest

from reports.errors import InvalidInput, PayloadTooLarge
from reports.report.limits import DEFAULT_LIMITS, Limits
from reports.report.request import ReportRequest, request_parse

STUDENT = {
    "namespace": "ns",
    "student_id": "s1",
    "events": [{"type": "run", "created_time": "2024-07-21T10:00:00Z", "unit": 3}],
}


def parse(
    body: object, query: dict[str, str] | None = None, limits: Limits = DEFAULT_LIMITS
) -> ReportRequest:
    return request_parse(
        body=json.dumps(body).encode(),
        query=query or {},
        limits=limits,
        callback_check=lambda url: url.lower(),
    )


def test_the_query_wins_over_the_one_objects_fields() -> None:
    own = dict(STUDENT, idle_minutes=3, timezone="Europe/Berlin", callback_url="http://A/")
    assert parse(own) == ReportRequest(
        student_count=1,
        event_count=1,
        idle_minutes=3,
        timezone="Europe/Berlin",
        callback_url="http://a/",  # through the check
    )
    query = {"idle_minutes": "7", "timezone": "Asia/Tokyo", "callback_url": "http://B/"}
    wanted = parse(own, query)
    assert (wanted.idle_minutes, wanted.timezone, wanted.callback_url) == (
        7,
        "Asia/Tokyo",
        "http://b/",
    )


def test_a_lists_fields_are_not_read() -> None:
    own = dict(STUDENT, idle_minutes=3, timezone="Europe/Berlin", callback_url="http://a/")
    wanted = parse([own, own])
    assert wanted == ReportRequest(2, 2, None, None, None)


def test_an_unknown_time_zone_is_refused_naming_timezone() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(STUDENT, {"timezone": "Mars/Olympus"})
    assert list(refused.value.errors or {}) == ["timezone"]


def test_every_bad_field_is_named_by_its_path() -> None:
    bad = dict(STUDENT, events=[dict(STUDENT["events"][0], unit=1.5), 3])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        parse([STUDENT, bad, "x"])
    assert list(refused.value.errors or {}) == ["[1].events[0].unit", "[1].events[1]", "[2]"]


def test_a_count_over_its_limit_is_413_naming_it() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, students=1)
    with pytest.raises(PayloadTooLarge) as refused:
        parse([STUDENT, STUDENT], limits=limits)
    assert refused.value.details == {"limit": "students", "max": 1, "found": 2}
