"""The class-relative measures (reports/report/insight.py), checked by hand on small classes."""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec
import orjson
import pytest

from reports.renderers import render
from reports.renderers.data import report_document, report_json
from reports.renderers.html import render_html
from reports.renderers.insight import SINGLE_NOTE
from reports.report.analysis import build_report
from reports.report.contract import StudentIn
from reports.report.insight import percentile, rank
from tests.test_renderers import pdf_text


def student(sid: str, events: Sequence[tuple[str, str, str]]) -> StudentIn:
    return msgspec.convert(
        {
            "namespace": "ns",
            "student_id": sid,
            "events": [{"type": t, "created_time": c, "unit": u} for t, c, u in events],
        },
        StudentIn,
    )


def at(minute: int) -> str:
    return f"2024-01-01T10:{minute:02d}:00Z"


# Unit "1": a opens it and runs twice before submitting (then runs and saves once more);
# b saves three times, runs once and never submits; c submits straight away.
# Unit "2": only a opens it. Active time on "1": a 3 min, b 4 min, c 0 s.
CLASS = [
    student(
        "a",
        [
            ("run_code", at(0), "1"),
            ("run_code", at(1), "1"),
            ("submission", at(2), "1"),
            ("run_code", at(2), "1"),
            ("saved_code", at(2), "1"),
            ("saved_code", at(3), "2"),
        ],
    ),
    student(
        "b",
        [
            ("saved_code", at(0), "1"),
            ("saved_code", at(1), "1"),
            ("run_code", at(2), "1"),
            ("saved_code", at(3), "1"),
            ("saved_code", at(4), "1"),
        ],
    ),
    student("c", [("submission", at(0), "1")]),
]


def test_process_counts_stop_at_the_first_submission() -> None:
    report = build_report(CLASS, idle_minutes=30)
    a, b, c = (s.questions[0] for s in report.students)
    assert (a.runs_before_submission, a.saves_before_submission, a.submitted, a.ran) == (
        2,
        0,
        True,
        True,
    )
    assert (b.runs_before_submission, b.saves_before_submission, b.submitted, b.ran) == (
        1,
        4,
        False,
        True,
    )
    assert (c.runs_before_submission, c.submitted, c.ran) == (0, True, False)
    # Runs since the last submission: a's one after submitting, b's all (none submitted).
    assert [q.runs_since_submission for q in (a, b, c)] == [1, 1, 0]


def test_per_unit_counts_medians_and_90th_percentiles() -> None:
    insight = build_report(CLASS, idle_minutes=30).insight
    assert insight is not None
    one, two = insight.units
    assert (one.unit, one.opened, one.ran, one.submitted) == ("1", 3, 2, 2)
    assert one.difficulty == pytest.approx(1 / 3)
    # active seconds 0, 180, 240: median 180; p90 at rank 1.8 = 180 + 0.8 * 60
    assert (one.active_seconds.median, one.active_seconds.p90) == pytest.approx((180, 228))
    # runs 0, 1, 2: median 1, p90 1.8; saves 0, 0, 4: median 0, p90 3.2
    assert (one.runs.median, one.runs.p90) == pytest.approx((1, 1.8))
    assert (one.saves.median, one.saves.p90) == pytest.approx((0, 3.2))
    assert (two.opened, two.submitted, two.difficulty) == (1, 0, 1.0)


def test_each_students_standing_among_the_others() -> None:
    insight = build_report(CLASS, idle_minutes=30).insight
    assert insight is not None
    a, b, c = insight.cohorts
    # On "1", b (240 s) is slower than both others, a (180 s) than one of two, c than none.
    assert [x.active_seconds for x in (a[0], b[0], c[0])] == [50, 100, 0]
    assert [x.runs for x in (a[0], b[0], c[0])] == [100, 50, 0]
    # Ties count as neither above nor below: a and c both saved 0 times.
    assert [x.saves for x in (a[0], b[0], c[0])] == [0, 100, 0]
    # Nobody else opened "2": no standing.
    assert a[1].active_seconds is None and a[1].runs is None


def test_one_student_has_no_class_measures() -> None:
    assert build_report(CLASS[:1], idle_minutes=30).insight is None


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([], 50, 0.0), ([7.0], 90, 7.0), ([1.0, 2.0], 50, 1.5), ([1.0, 2.0, 3.0, 4.0], 90, 3.7)],
)
def test_percentile_interpolates_between_ranks(
    values: list[float], p: float, expected: float
) -> None:
    assert percentile(values, p) == pytest.approx(expected)


def test_rank_of_ties_and_of_a_class_of_one() -> None:
    assert rank([5.0, 5.0, 5.0], 5.0) == 0
    assert rank([5.0], 5.0) is None


# --- How the reports show them ------------------------------------------------------------

UNIT = "<i>loops</i> & co"


def shown_class() -> list[StudentIn]:
    """Four students on one unit named with markup; d takes 10 minutes and runs 5 times."""
    quick = [("run_code", at(0), UNIT), ("submission", at(1), UNIT)]
    slow = [("run_code", at(m), UNIT) for m in range(5)] + [("saved_code", at(10), UNIT)]
    return [student(sid, quick) for sid in ("a", "b", "c")] + [student("<d>", slow)]


def test_html_opens_with_the_questions_table_and_shows_each_standing_escaped() -> None:
    html = render_html(build_report(shown_class(), idle_minutes=30))
    questions = html.index('<h2 id="questions-h">Questions</h2>')
    assert questions < html.index("Class overview") < html.index('id="s1"')
    assert "<i>loops" not in html and "&lt;i&gt;loops&lt;/i&gt; &amp; co" in html
    # The unit's row: 4 opened, 4 ran, 3 submitted, 25% not; active time 60 s / 600 s...
    row = html[questions:].split("<tr>")[2]
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
    assert cells == [
        "&lt;i&gt;loops&lt;/i&gt; &amp; co",
        "4",
        "4",
        "3",
        "25%",
        "1 min 00 s / 7 min 18 s",
        "1 / 3.8",
        "0 / 0.7",
    ]
    slow = html[html.index('id="s4"') :]
    assert "slower than 100% of the class" in slow and "more runs than 100% of the class" in slow
    assert "&lt;d&gt;" in slow and "<d>" not in html
    assert "slower than" not in html[html.index('id="s1"') : html.index('id="s4"')]


def test_pdf_opens_with_the_questions_table_and_shows_the_standing() -> None:
    text = " ".join(
        pdf_text(render(build_report(shown_class(), idle_minutes=30), "pdf").content).split()
    )
    assert text.index("Questions") < text.index("Class overview")
    assert "25%" in text and "1 min 00 s / 7 min 18 s" in text
    assert "slower than 100% of the class" in text


def test_one_students_report_says_class_figures_need_a_class() -> None:
    report = build_report(shown_class()[3:], idle_minutes=30)
    assert SINGLE_NOTE in render_html(report)
    assert " ".join(SINGLE_NOTE.split()) in " ".join(
        pdf_text(render(report, "pdf").content).split()
    )
    assert "questions-h" not in render_html(report)


def test_the_data_has_the_questions_and_each_rows_cohort() -> None:
    document = report_document(build_report(CLASS, idle_minutes=30))
    one = document["questions"][0]
    assert (one["unit"], one["opened"], one["ran"], one["submitted"]) == ("1", 3, 2, 2)
    assert (one["active_seconds_median"], one["runs_p90"]) == (180, pytest.approx(1.8))
    b_row = document["students"][1]["question_rows"][0]
    assert b_row["cohort"] == {"active_seconds": 100, "runs": 50, "saves": 100}
    assert (b_row["runs_before_submission"], b_row["saves_before_submission"]) == (1, 4)
    assert b_row["submitted"] is False
    assert orjson.loads(report_json(build_report(CLASS, idle_minutes=30))) == orjson.loads(
        orjson.dumps(document)
    )
    alone = report_document(build_report(CLASS[:1], idle_minutes=30))
    assert alone["questions"] == [] and alone["students"][0]["question_rows"][0]["cohort"] is None
