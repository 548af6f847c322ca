from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
import pytest

from reports.report.analysis import build_report
from reports.report.contract import StudentIn, decode_students, unit_sort_key
from reports.report.model import display_text


def student(events: Sequence[tuple[str, str, object]], sid: str = "s1") -> StudentIn:
    return msgspec.convert(
        {
            "namespace": "ns",
            "student_id": sid,
            "events": [{"type": t, "created_time": c, "unit": u} for t, c, u in events],
        },
        StudentIn,
    )


def one(events: Sequence[tuple[str, str, object]], idle: float = 30):
    return build_report([student(events)], idle_minutes=idle).students[0]


def test_aliases_follow_numeric_unit_order_and_events_chronological_order() -> None:
    s = one(
        [
            ("saved_code", "2024-07-21T10:00:00Z", "10"),
            ("saved_code", "2024-07-21T09:00:00Z", 9),
            ("run", "2024-07-21T11:00:00Z", "2"),
            ("run", "2024-07-21T08:00:00Z", "10"),
        ]
    )
    assert [(q.alias, q.unit) for q in s.questions] == [("Q1", "2"), ("Q2", "9"), ("Q3", "10")]
    assert s.event_order_line == "Event Order: Q3 -> Q2 -> Q3 -> Q1"


def test_int_and_string_units_are_the_same_unit() -> None:
    s = one([("a", "2024-01-01T00:00:00Z", 17), ("a", "2024-01-01T00:01:00Z", "17")])
    assert len(s.questions) == 1
    assert s.questions[0].events == 2
    assert s.event_order == "Q1 -> Q1"


def test_non_numeric_units_come_after_numbers_in_string_order() -> None:
    s = one(
        [
            ("a", "2024-01-01T00:00:00Z", "b"),
            ("a", "2024-01-01T00:01:00Z", "A"),
            ("a", "2024-01-01T00:02:00Z", "100"),
            ("a", "2024-01-01T00:03:00Z", -3),
        ]
    )
    assert [q.unit for q in s.questions] == ["-3", "100", "A", "b"]
    assert s.event_order == "Q4 -> Q3 -> Q2 -> Q1"


def test_unit_sort_key_is_numeric_for_digit_strings_only() -> None:
    units = ["10", "9", "x1", "2", "007", "½", "²"]
    assert sorted(units, key=unit_sort_key) == ["2", "007", "9", "10", "x1", "²", "½"]


def test_ties_keep_input_order() -> None:
    s = one(
        [
            ("a", "2024-01-01T00:00:00Z", "3"),
            ("a", "2024-01-01T00:00:00Z", "1"),
            ("a", "2024-01-01T00:00:00Z", "2"),
        ]
    )
    assert s.event_order == "Q3 -> Q1 -> Q2"


def test_naive_times_are_utc_and_offsets_are_respected() -> None:
    s = one(
        [
            ("a", "2024-01-01 12:00:00", "1"),  # 12:00 UTC
            ("a", "2024-01-01T13:30:00+02:00", "2"),  # 11:30 UTC: first
        ]
    )
    assert s.event_order == "Q2 -> Q1"
    assert s.first == datetime(2024, 1, 1, 11, 30, tzinfo=UTC)


def test_seed_time_format_parses() -> None:
    [s] = decode_students(
        b'{"namespace":"n","student_id":"s","events":[{"type":"saved_code",'
        b'"created_time":"2024-07-21 03:04:55.939000+00:00","unit":"17"}]}'
    )
    assert s.events[0].created_time == datetime(2024, 7, 21, 3, 4, 55, 939000, tzinfo=UTC)


def test_visits_counts_and_active_time() -> None:
    # Q1 x2 (5 min apart), Q2 (2 min later), 2 h idle, Q1 again, Q1 +1 min.
    s = one(
        [
            ("saved_code", "2024-01-01T10:00:00Z", "1"),
            ("run", "2024-01-01T10:05:00Z", "1"),
            ("submission", "2024-01-01T10:07:00Z", "2"),
            ("saved_code", "2024-01-01T12:07:00Z", "1"),
            ("saved_code", "2024-01-01T12:08:00Z", "1"),
        ]
    )
    q1, q2 = s.questions
    assert s.event_types == ("run", "saved_code", "submission")
    assert q1.by_type == (1, 3, 0) and q2.by_type == (0, 0, 1)
    assert [(s.questions[v.question].alias, v.events) for v in s.visits] == [
        ("Q1", 2),
        ("Q2", 1),
        ("Q1", 2),
    ]
    assert q1.visits == 2 and q2.visits == 1
    # gaps: 5 min (Q1) + 2 min (Q1) + 120 min idle (skipped) + 1 min (Q1)
    assert q1.active_seconds == 8 * 60
    assert q2.active_seconds == 0
    assert s.active_seconds == 8 * 60
    assert q1.first == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert q1.last == datetime(2024, 1, 1, 12, 8, tzinfo=UTC)


def test_idle_threshold_is_inclusive_and_configurable() -> None:
    events = [("a", "2024-01-01T00:00:00Z", "1"), ("a", "2024-01-01T00:30:00Z", "1")]
    assert one(events, idle=30).active_seconds == 1800
    assert one(events, idle=29.9).active_seconds == 0


def test_several_students_keep_input_order() -> None:
    report = build_report(
        [
            student([("a", "2024-01-02T00:00:00Z", 1)], "zed"),
            student([("b", "2024-01-01T00:00:00Z", 1)], "amy"),
        ],
        idle_minutes=30,
    )
    assert report.student_ids == ["zed", "amy"]
    assert report.event_types == ("a", "b")
    assert report.last_activity == datetime(2024, 1, 2, tzinfo=UTC)


def test_control_characters_are_made_visible_not_dropped() -> None:
    assert display_text("a\x00b\x1bc\td") == "a\ufffdb\ufffdc\td"


@pytest.mark.parametrize("n", [1, 2, 50_000])
def test_every_event_is_in_the_order(n: int) -> None:
    events = [("a", f"2024-01-01T00:00:{i % 60:02d}Z", i % 7) for i in range(n)]
    s = one(events)
    assert s.event_count == n
    assert s.event_order.count("Q") == n
    assert sum(q.events for q in s.questions) == n


def test_timeline_compresses_long_idle_stretches_and_marks_them() -> None:
    # Session 1: 10:00-10:10 (3 events); 3 h idle; session 2: 13:10-13:20 (2 events).
    s = one(
        [
            ("run", "2024-01-01T10:00:00Z", "1"),
            ("run", "2024-01-01T10:05:00Z", "2"),
            ("saved_code", "2024-01-01T10:10:00Z", "1"),
            ("run", "2024-01-01T13:10:00Z", "2"),
            ("submission", "2024-01-01T13:20:00Z", "2"),
        ]
    )
    tl = s.timeline
    assert s.idle_stretches == 1 and s.longest_idle_seconds == 3 * 3600
    assert [
        (seg.start.hour, seg.start.minute, seg.end.hour, seg.end.minute) for seg in tl.segments
    ] == [
        (10, 0, 10, 10),
        (13, 10, 13, 20),
    ]
    [brk] = tl.breaks
    assert brk.seconds == 3 * 3600
    # Both 10-minute sessions are drawn at the same scale, the 3 h only as a narrow break.
    widths = [seg.x1 - seg.x0 for seg in tl.segments]
    assert widths[0] == pytest.approx(widths[1])
    assert tl.segments[0].x1 < brk.x < tl.segments[1].x0
    assert tl.segments[1].x0 - tl.segments[0].x1 < 0.05
    # One mark per event here, in time order, each with its own question and type.
    assert [(m.question, s.event_types[m.event_type], m.events) for m in tl.marks] == [
        (0, "run", 1),
        (0, "saved_code", 1),
        (1, "run", 1),
        (1, "run", 1),
        (1, "submission", 1),
    ]
    xs = sorted(m.x for m in tl.marks)
    assert 0 < xs[0] < xs[-1] < 1
    assert tl.ticks[0].moment.hour == 10 and tl.ticks[-1].moment.hour == 13


def test_timeline_without_long_gaps_is_one_segment() -> None:
    s = one([("a", "2024-01-01T00:00:00Z", "1"), ("a", "2024-01-01T00:30:00Z", "1")], idle=30)
    assert len(s.timeline.segments) == 1 and s.timeline.breaks == ()
    assert s.idle_stretches == 0


def test_timeline_of_one_event() -> None:
    s = one([("a", "2024-01-01T00:00:00Z", "1")])
    [mark] = s.timeline.marks
    assert mark.x == pytest.approx(0.5) and mark.events == 1
    assert s.longest_idle_seconds == 0


def test_timeline_folds_many_events_into_a_bounded_number_of_marks() -> None:
    n = 50_000
    events = [
        (
            "abcd"[i % 4],
            f"2024-01-{1 + i // 20_000:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
            i % 9,
        )
        for i in range(n)
    ]
    s = one(events, idle=0)  # idle 0: every gap is an idle stretch, but few are compressed
    tl = s.timeline
    assert len(tl.marks) <= 600
    assert sum(m.events for m in tl.marks) == n
    assert len(tl.breaks) <= 24
    assert {m.question for m in tl.marks} == set(range(9))
    assert all(0 <= m.x <= 1 for m in tl.marks)
    # A folded mark keeps its mix of types (drawn as a stacked bar) and names the dominant one.
    assert all(sum(c for _t, c in m.by_type) == m.events for m in tl.marks)
    assert all(len(m.by_type) == 4 for m in tl.marks if m.events > 100)
    for m in tl.marks:
        assert dict(m.by_type)[m.event_type] == max(c for _t, c in m.by_type)
    assert 0 < tl.bin_width <= 1 / 4


def test_class_summary_grids_units_across_students() -> None:
    report = build_report(
        [
            student(
                [
                    ("a", "2024-01-01T00:00:00Z", 10),
                    ("a", "2024-01-01T00:01:00Z", "10"),
                    ("a", "2024-01-01T00:02:00Z", "x"),
                ],
                "amy",
            ),
            student([("b", "2024-01-01T00:00:00Z", "2"), ("b", "2024-01-01T00:05:00Z", 10)], "bob"),
        ],
        idle_minutes=30,
    )
    summary = report.class_summary
    # Aliases differ per student (amy's Q1 is unit 10, bob's Q2 is), the grid is by unit.
    assert [q.unit for q in report.students[0].questions] == ["10", "x"]
    assert [q.unit for q in report.students[1].questions] == ["2", "10"]
    assert summary.students == ("amy", "bob")
    assert summary.units == ("2", "10", "x")
    assert summary.counts == ((0, 2, 1), (1, 1, 0))  # counts[student][unit]
    assert summary.unit_totals == (1, 3, 1)
    assert summary.student_totals == (3, 2)
    assert summary.max_count == 2
