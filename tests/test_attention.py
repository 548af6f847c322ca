"""Attention flags (reports/report/attention.py) on a synthetic class whose answer is known:
30 students, two built to struggle on one question, one who crams, 27 ordinary."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import msgspec
import pypdf
import pytest

from reports.renderers import render
from reports.renderers.data import report_document
from reports.renderers.html import render_html
from reports.report.analysis import build_report
from reports.report.attention import AttentionRules, attention_rules
from reports.report.contract import StudentIn
from tests.test_renderers import pdf_text

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
Event = tuple[str, datetime, str]


def student(sid: str, events: list[Event]) -> StudentIn:
    body = {
        "namespace": "ns",
        "student_id": sid,
        "events": [{"type": t, "created_time": c.isoformat(), "unit": u} for t, c, u in events],
    }
    return msgspec.convert(body, StudentIn)


def ordinary_unit(i: int, u: int) -> list[Event]:
    """Save, two runs and a submission within 8 to 12 minutes; units 50 minutes apart."""
    t = START + timedelta(minutes=50 * u)
    unit = str(u + 1)
    return [
        ("saved_code", t, unit),
        ("run_code", t + timedelta(minutes=2), unit),
        ("run_code", t + timedelta(minutes=4 + i % 3), unit),
        ("submission", t + timedelta(minutes=8 + i % 5), unit),
    ]


def struggling_unit() -> list[Event]:
    """Unit 3: fifteen runs two minutes apart (28 minutes active), never submitted."""
    t = START + timedelta(minutes=100)
    return [("run_code", t + timedelta(minutes=2 * k), "3") for k in range(15)]


def crammer() -> list[Event]:
    """One save the day before, then every unit in 45 minutes before the last event."""
    out: list[Event] = [("saved_code", START - timedelta(days=1), "1")]
    t = START + timedelta(hours=3)
    for k, unit in enumerate(["2", "3", "4", "5", "1"]):
        for j, kind in enumerate(["saved_code", "run_code", "submission"]):
            out.append((kind, t + timedelta(minutes=9 * k + 3 * j), unit))
    return out


def the_class() -> list[StudentIn]:
    students = [
        student(f"o{i}", [e for u in range(5) for e in ordinary_unit(i, u)]) for i in range(27)
    ]
    for sid in ("strug-0", "strug-1"):
        events = [e for u in (0, 1, 3, 4) for e in ordinary_unit(0, u)] + struggling_unit()
        students.append(student(sid, events))
    students.append(student("cram", crammer()))
    return students


def fired(rules: AttentionRules = AttentionRules(), students: list[StudentIn] | None = None):
    report = build_report(students or the_class(), idle_minutes=30, attention=rules)
    return {
        s.student_id: sorted((f.rule, f.question or "") for f in flags)
        for s, flags in zip(report.students, report.attention, strict=True)
        if flags
    }


def test_exactly_the_expected_flags_fire() -> None:
    struggle = [
        ("opened_never_submitted", "Q3"),
        ("struggling", "Q3"),
        ("stuck_in_runs", "Q3"),
    ]
    assert fired() == {"strug-0": struggle, "strug-1": struggle, "cram": [("late_burst", "")]}


def test_the_reasons_say_why() -> None:
    report = build_report(the_class(), idle_minutes=30)
    by_rule = {f.rule: f for f in report.attention[27]}
    assert by_rule["stuck_in_runs"].reason == (
        "15 runs on Q3 and no submission (the rule: at least 10)."
    )
    assert by_rule["opened_never_submitted"].reason == (
        "Opened Q3 and never submitted it, while 93% of the students who opened it did "
        "(the rule: over 50%)."
    )
    struggling = by_rule["struggling"]
    # 28 minutes of runs, then 22 minutes until unit 4 (within the idle threshold).
    assert struggling.value == 50 * 60 and struggling.reason.startswith(
        "50 min of active time on Q3 without a submission, at or above the class's 90th "
        "percentile, 12 min."
    )
    (burst,) = report.attention[29]
    assert burst.reason == (
        "94% of the events came in the last 60 min before the last one (the rule: over 50%)."
    )
    assert (burst.value, burst.threshold, burst.unit, burst.question) == (15 / 16, 0.5, None, None)


def test_changing_a_threshold_changes_the_flags() -> None:
    quieter = fired(AttentionRules(stuck_runs=16, late_burst_share=0.95))
    struggle = [("opened_never_submitted", "Q3"), ("struggling", "Q3")]
    assert quieter == {"strug-0": struggle, "strug-1": struggle}
    # At the class's very top (the 100th percentile is the strugglers' 50 min): at or above.
    assert fired(AttentionRules(struggling_percentile=100))["strug-0"] == fired()["strug-0"]
    most = fired(AttentionRules(submitted_share=0.95))  # 28 of 30 submitted: 93%, not over
    assert most["strug-0"] == [("struggling", "Q3"), ("stuck_in_runs", "Q3")]
    floored = fired(AttentionRules(struggling_floor_minutes=60))  # 50 min is under the floor
    assert floored["strug-0"] == [("opened_never_submitted", "Q3"), ("stuck_in_runs", "Q3")]
    # o4 waits 7 minutes between its last run and its submission; o0 never over 4.
    gaps = fired(AttentionRules(long_gap_minutes=5))
    assert ("long_gap", "Q1") in gaps["o4"] and "o0" not in gaps


def test_one_student_gets_the_absolute_rules_only() -> None:
    alone = the_class()[27:28]
    assert fired(students=alone) == {"strug-0": [("stuck_in_runs", "Q3")]}
    assert fired(AttentionRules(struggling_minutes=20), alone) == {
        "strug-0": [("struggling", "Q3"), ("stuck_in_runs", "Q3")]
    }


def test_the_data_lists_each_students_flags() -> None:
    document = report_document(build_report(the_class(), idle_minutes=30))
    assert document["students"][0]["attention"] == []
    (burst,) = document["students"][29]["attention"]
    assert set(burst) == {"rule", "unit", "question", "value", "threshold", "reason"}
    assert burst["rule"] == "late_burst" and burst["unit"] is None


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"stuck_runs": 0}, "stuck_runs"),
        ({"stuck_runs": 2.5}, "stuck_runs"),
        ({"submitted_share": 1.5}, "submitted_share"),
        ({"struggling_percentile": -1}, "struggling_percentile"),
        ({"typo": 1}, "typo"),
    ],
)
def test_a_threshold_out_of_range_is_refused_by_name(values: dict, named: str) -> None:
    with pytest.raises(ValueError, match=f"^{named}: "):
        attention_rules(values)
    assert attention_rules({"stuck_runs": 3.0}).stuck_runs == 3


def test_the_settings_read_each_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.attention import attention_settings

    monkeypatch.setenv("REPORT_ATTENTION_STUCK_RUNS", "4")
    assert attention_settings() == AttentionRules(stuck_runs=4)
    monkeypatch.setenv("REPORT_ATTENTION_LATE_BURST_SHARE", "2")
    with pytest.raises(ImproperlyConfigured, match="REPORT_ATTENTION_LATE_BURST_SHARE"):
        attention_settings()


# --- How the reports show them ------------------------------------------------------------


def shown() -> list[StudentIn]:
    """The class, the first struggler renamed with markup."""
    students = the_class()
    students[27] = msgspec.structs.replace(students[27], student_id="<b>strug</b>")
    return students


def test_the_html_opens_with_who_needs_attention_linked_to_their_sections() -> None:
    html = render_html(build_report(shown(), idle_minutes=30))
    start = html.index('<h2 id="attention-h">Needs attention</h2>')
    assert start < html.index('id="questions-h"') < html.index("Class overview")
    section = html[start : html.index("</section>", start)]
    assert re.findall(r'<a href="#(s\d+)">([^<]*)</a>', section) == [
        ("s28", "&lt;b&gt;strug&lt;/b&gt;"),
        ("s29", "strug-1"),
        ("s30", "cram"),
    ]
    assert "<b>strug" not in html
    assert "Stuck in runs: 15 runs on Q3 and no submission (the rule: at least 10)." in section
    own = html[html.index('id="s30"') :]
    assert "<h3>Needs attention</h3>" in own and "Late burst: 94% of the events" in own
    assert "<h3>Needs attention</h3>" not in html[html.index('id="s1"') : html.index('id="s28"')]


def test_the_pdf_opens_with_who_needs_attention() -> None:
    text = " ".join(pdf_text(render(build_report(shown(), idle_minutes=30), "pdf").content).split())
    assert text.index("Needs attention") < text.index("Questions") < text.index("Class overview")
    assert "Student ID: <b>strug</b> page 31 Struggling: 50 min of active time on Q3" in text
    assert text.count("Late burst: 94% of the events") == 2  # the list, and cram's section


def test_the_pdfs_needs_attention_names_the_page_of_each_students_section() -> None:
    pages = [
        " ".join(page.extract_text().split())
        for page in pypdf.PdfReader(
            io.BytesIO(render(build_report(shown(), idle_minutes=30), "pdf").content)
        ).pages
    ]
    listed = re.findall(r"Student ID: (\S+) page (\d+)", " ".join(pages[:3]))
    assert len(listed) >= 3, listed
    for student_id, number in listed:
        section = pages[int(number) - 1]
        assert section.startswith(f"Student ID: {student_id}"), (student_id, number, section[:80])
