"""Process measures from the events' outcomes (reports/report/process.py): the Error
Quotient and the Repeated Error Density against worked examples, correctness from scores,
the stuck-in-errors rule, and every format showing the same figures (or saying which
fields they need)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from reports.renderers import render
from reports.renderers.data import report_document
from reports.renderers.questions import NEEDS_OUTCOMES, NEEDS_SCORES, process_note
from reports.report.analysis import build_report
from reports.report.attention import AttentionRules, attention_rules
from reports.report.contract import StudentIn, decode_students
from reports.report.events import Extra, decode_student_events, student_events
from reports.report.model import Carried
from reports.report.process import Run, error_quotient, question_outcomes, repeated_error_density
from tests.test_renderers import pdf_text

OK = Run(False)


def errors(*types: str | None) -> list[Run]:
    return [OK if t == "ok" else Run(True, t) for t in types]


# --- The Error Quotient --------------------------------------------------------------------
#
# Jadud 2006 (ICER '06, p. 6): collate consecutive pairs of compilation events; score a pair
# 8 when both end in an error, plus 3 when both errors are of the same type; divide each
# pair's score by 11; the EQ is the mean over the pairs. The sessions and expected values
# below are the unit tests documented in V. Švábenský's public implementation (`jadud.py`,
# University of Pennsylvania, 2023, MIT): students A to I, each a run sequence.
JADUD_CASES = {
    "A: no errors": (["ok", "ok"], 0.0),
    "B: errors apart, different types": (["x", "ok", "y"], 0.0),
    "C: errors apart, same type": (["x", "ok", "x"], 0.0),
    "D: consecutive, different types": (["x", "y"], 0.7272727272727273),
    "E: consecutive, same type": (["x", "x"], 1.0),
    "F: same, same": (["x", "x", "x"], 1.0),
    "G: same, different": (["x", "x", "y"], 0.8636363636363636),
    "H: different, same": (["x", "y", "y"], 0.8636363636363636),
    "I: different, different": (["x", "y", "z"], 0.7272727272727273),
}


@pytest.mark.parametrize(("session", "expected"), JADUD_CASES.values(), ids=JADUD_CASES)
def test_the_error_quotient_matches_the_public_implementation(
    session: list[str], expected: float
) -> None:
    assert error_quotient(errors(*session)) == pytest.approx(expected, abs=1e-12)


def test_the_error_quotient_edge_cases() -> None:
    assert error_quotient([]) is None
    assert error_quotient(errors("x")) is None  # one run: no pair, no EQ (not 0)
    assert error_quotient(errors("ok")) is None
    assert error_quotient(errors("ok", "ok", "ok")) == 0.0  # no errors
    # Alternating error types: every pair is two errors of different types, 8/11 each.
    assert error_quotient(errors("x", "y", "x", "y", "x")) == pytest.approx(8 / 11)
    # A long run of one error: every pair scores 11/11.
    assert error_quotient(errors(*"x" * 40)) == 1.0
    # Errors without a type are never the same error: 8 a pair, no 3.
    assert error_quotient(errors(None, None)) == pytest.approx(8 / 11)
    # Worked by hand: pairs (x,x) 11, (x,y) 8, (y,ok) 0, (ok,y) 0 -> 19 / 11 / 4.
    assert error_quotient(errors("x", "x", "y", "ok", "y")) == pytest.approx(19 / 44)


# --- The Repeated Error Density --------------------------------------------------------------
#
# Becker 2016 (ITiCSE '16, pp. 296-301): RED sums r^2 / (r + 1) over each string of
# repeated errors, r the number of repeats: a string of n identical consecutive errors has
# r = n - 1 (two in a row: one repeat, 1/2; three: 4/3; four: 9/4). Hand-computed below.


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        (["x", "x"], 1 / 2),
        (["x", "x", "x"], 4 / 3),
        (["x", "x", "x", "x"], 9 / 4),
        (["x", "x", "ok", "x", "x"], 1 / 2 + 1 / 2),  # a run without an error ends a string
        (["x", "x", "y", "y", "y"], 1 / 2 + 4 / 3),  # another error ends a string
        (["ok", "x", "x", "x", "y", "x"], 4 / 3),
        (["x"] * 10, 81 / 10),  # a long string: r = 9
    ],
)
def test_the_repeated_error_density_of_worked_examples(session: list[str], expected: float) -> None:
    assert repeated_error_density(errors(*session)) == pytest.approx(expected, abs=1e-12)


def test_the_repeated_error_density_edge_cases() -> None:
    assert repeated_error_density([]) is None
    assert repeated_error_density(errors("x")) == 0.0  # one run: nothing repeated
    assert repeated_error_density(errors("ok", "ok")) == 0.0  # no errors
    assert repeated_error_density(errors("x", "y", "x", "y")) == 0.0  # alternating types
    assert repeated_error_density(errors(None, None, None)) == 0.0  # untyped: never the same


# --- Per question, from the events ------------------------------------------------------------

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def event(kind: str, minute: int, unit: object = 1, **fields: Any) -> dict[str, Any]:
    moment = (START + timedelta(minutes=minute)).isoformat()
    return {"type": kind, "created_time": moment, "unit": unit, **fields}


def run(minute: int, unit: object = 1, kind: str = "", line: int | None = None, **more: Any):
    """A run_code event: ``kind`` an error type, "ok", or "" for no outcome at all."""
    if not kind:
        return event("run_code", minute, unit, **more)
    if kind == "ok":
        return event("run_code", minute, unit, outcome="ok", **more)
    extra = {} if line is None else {"error_line": line}
    return event("run_code", minute, unit, outcome="error", error_type=kind, **extra, **more)


def student(events: list[dict[str, Any]], sid: str = "s1") -> StudentIn:
    return msgspec.convert({"namespace": "ns", "student_id": sid, "events": events}, StudentIn)


def report(*students: StudentIn, rules: AttentionRules = AttentionRules()):
    return build_report(list(students), idle_minutes=30, attention=rules)


def test_each_question_gets_its_figures_from_its_own_runs_and_submissions() -> None:
    events = [
        run(0, 1, "SyntaxError", line=3),
        run(1, 2, "NameError"),  # another question between Q1's runs
        run(2, 1, "SyntaxError", line=3),
        run(3, 1),  # no outcome: left out
        event("saved_code", 4, 1, outcome="error", error_type="X"),  # not a run: ignored
        run(5, 1, "ok"),
        event("submission", 6, 1, score=0.5),
        event("submission", 7, 1, score=1),
        event("run_code", 8, 1, score=1),  # a score on a run: ignored
        event("submission", 9, 2),  # no score
    ]
    (s,) = report(student(events)).students
    q1, q2 = (q.outcomes for q in s.questions)
    assert (q1.runs, q1.errors) == (3, 2)
    assert q1.error_quotient == pytest.approx((11 + 0) / 11 / 2)
    assert q1.repeated_error_density == pytest.approx(1 / 2)
    assert (q1.first_score, q1.best_score, q1.scored) == (0.5, 1.0, 2)
    assert (q1.first_correct, q1.ever_correct) == (False, True)
    assert (q2.runs, q2.error_quotient, q2.repeated_error_density) == (1, None, 0.0)
    assert (q2.scored, q2.first_correct, q2.ever_correct) == (0, None, None)


def test_errors_without_a_type_give_no_figure_rather_than_a_wrong_one() -> None:
    events = [event("run_code", k, 1, outcome="error") for k in range(3)]
    (q,) = report(student(events)).students[0].questions
    assert (q.outcomes.runs, q.outcomes.errors) == (3, 3)
    assert q.outcomes.error_quotient is None and q.outcomes.repeated_error_density is None
    assert q.outcomes.error_streak == 3  # the rule still counts them


def test_the_streak_counts_error_runs_since_the_last_ok_run_or_submission() -> None:
    def streak(events: list[dict[str, Any]]) -> int:
        return report(student(events)).students[0].questions[0].outcomes.error_streak

    assert streak([run(0, 1, "E"), run(1, 1, "E"), run(2, 1, "F")]) == 3
    assert streak([run(0, 1, "E"), run(1, 1, "ok"), run(2, 1, "E")]) == 1
    assert streak([run(0, 1, "E"), event("submission", 1), run(2, 1, "E")]) == 1
    assert streak([run(0, 1, "E"), run(1, 1), run(2, 1, "E")]) == 2  # no outcome: no break
    assert streak([run(0, 1, "E"), run(1, 1, "ok")]) == 0


def test_without_outcome_fields_nothing_is_computed_and_nothing_is_carried() -> None:
    r = report(student([event("run_code", 0), event("submission", 1)]))
    assert r.carried == Carried(outcomes=False, scores=False)
    (q,) = r.students[0].questions
    assert q.outcomes.error_quotient is None and q.outcomes.first_correct is None
    assert question_outcomes([0], [0], ["run_code"], None, 1)[0].runs == 0


def test_the_one_pass_and_the_sliced_decode_keep_the_same_outcomes() -> None:
    """Past a slice (4096 events), an event's outcome stays with that event."""
    events = [event("saved_code", k % 50) for k in range(5000)]
    events[10] = run(1, 1, "E", line=2)
    events[4100] = run(2, 1, "E")
    events[4999] = event("submission", 3, 1, score=0.25)
    events[20] = run(1, 1, "E")  # as 4100's, in another slice
    body = json.dumps({"namespace": "ns", "student_id": "s", "events": events}).encode()
    (one_pass,) = [student_events(s) for s in decode_students(body)]
    (sliced,) = decode_student_events(body, small_body=0)
    expected: dict[int, Extra] = {10: ("error", "E", 2, None), 4100: ("error", "E", None, None)}
    expected[4999] = (None, None, None, 0.25)
    expected[20] = expected[4100]
    assert one_pass.extras == sliced.extras == expected
    assert sliced.extras[20] is sliced.extras[4100]  # kept once


# --- Stuck in errors -------------------------------------------------------------------------


def stuck(streak: int, error_type: str = "TypeError") -> StudentIn:
    return student([run(k, 7, error_type, line=12) for k in range(streak)])


def test_stuck_in_errors_fires_at_its_threshold_with_its_reason() -> None:
    assert report(stuck(4)).attention == ((),)
    (flag,) = report(stuck(5)).attention[0]  # a report of one student: an absolute rule
    assert (flag.rule, flag.question, flag.unit, flag.value, flag.threshold) == (
        "stuck_in_errors",
        "Q1",
        "7",
        5.0,
        5.0,
    )
    assert flag.reason == (
        "The last 5 runs on Q1 ended in an error (the last: TypeError, line 12), with no "
        "successful run or submission since (the rule: at least 5)."
    )
    assert report(stuck(5), rules=AttentionRules(stuck_errors=6)).attention == ((),)
    untyped = student([event("run_code", k, 1, outcome="error") for k in range(1)])
    (flag,) = report(untyped, rules=AttentionRules(stuck_errors=1)).attention[0]
    assert flag.reason.startswith("The last run on Q1 ended in an error, with no ")


def test_the_stuck_errors_threshold_is_a_whole_number_in_range() -> None:
    assert attention_rules({"stuck_errors": 3.0}).stuck_errors == 3
    for bad in (0, 2.5, 2_000_000):
        with pytest.raises(ValueError, match=r"^stuck_errors: "):
            attention_rules({"stuck_errors": bad})


def test_the_setting_reads_the_stuck_errors_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.attention import attention_settings

    monkeypatch.setenv("REPORT_ATTENTION_STUCK_ERRORS", "3")
    assert attention_settings() == AttentionRules(stuck_errors=3)
    monkeypatch.setenv("REPORT_ATTENTION_STUCK_ERRORS", "0")
    with pytest.raises(ImproperlyConfigured, match="REPORT_ATTENTION_STUCK_ERRORS"):
        attention_settings()


# --- Every format ----------------------------------------------------------------------------

FULL = [
    run(0, 1, "SyntaxError"),
    run(1, 1, "SyntaxError"),
    run(2, 1, "NameError"),
    run(3, 1, "ok"),
    event("submission", 4, 1, score=1),
    event("saved_code", 5, 2),
]


def csv_rows(r) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render(r, "csv").content.decode())))


def test_every_format_shows_the_same_figures() -> None:
    r = report(student(FULL))
    # Q1: pairs (S,S) 11, (S,N) 8, (N,ok) 0 -> 19/33 = 0.58; RED one repeat: 0.50.
    rows = csv_rows(r)
    assert [
        (row["Error Quotient"], row["Repeated error density"], row["First correct"]) for row in rows
    ] == [("0.58", "0.50", "yes"), ("—", "—", "—")]
    assert rows[0]["Ever correct"] == "yes"
    html = render(r, "html").content.decode()
    assert '<th scope="col">Error Quotient</th>' in html
    cells = '<td class="num">0.58</td>\n<td class="num">0.50</td>\n<td>yes</td>\n<td>yes</td>'
    assert cells in html
    text = pdf_text(render(r, "pdf").content)
    words = " ".join(text.split())  # the PDF wraps a narrow column's header
    assert "Error Quotient Repeated error density First correct Ever correct Q1" in words
    assert "0.58 0.50 yes yes" in words
    q1, q2 = (row["outcomes"] for row in report_document(r)["students"][0]["question_rows"])
    assert q1["error_quotient"] == pytest.approx(19 / 33)
    assert (q1["repeated_error_density"], q1["first_correct"], q1["ever_correct"]) == (
        0.5,
        True,
        True,
    )
    assert (q2["error_quotient"], q2["repeated_error_density"], q2["first_correct"]) == (
        None,
        None,
        None,
    )
    row = json.loads(render(r, "json").content)["students"][0]["question_rows"][0]["outcomes"]
    counts = ("outcome_runs", "error_runs", "scored_submissions", "first_score", "error_streak")
    assert [row[k] for k in counts] == [4, 3, 1, 1.0, 0]
    assert row["best_score"] == 1.0


def test_without_the_fields_the_report_says_which_figures_need_which() -> None:
    r = report(student([event("run_code", 0), event("submission", 1), event("saved_code", 2)]))
    note = process_note(r.carried)
    assert NEEDS_OUTCOMES in note and "correctness needs score" in note
    assert "outcome and error_type on runs" in note
    assert "Error Quotient" not in render(r, "csv").content.decode()  # no columns of dashes
    html = render(r, "html").content.decode()
    assert f'<p class="meta">{note}</p>' in html
    assert "Error Quotient</th>" not in html
    assert note in " ".join(pdf_text(render(r, "pdf").content).split())
    document = report_document(r)
    assert document["outcome_fields"] == {"outcomes": False, "scores": False, "note": note}
    assert document["students"][0]["question_rows"][0]["outcomes"] is None


def test_with_outcomes_but_no_scores_only_correctness_is_missing() -> None:
    r = report(student([run(0, 1, "E"), run(1, 1, "E")]))
    assert r.carried == Carried(outcomes=True, scores=False)
    note = process_note(r.carried)
    assert NEEDS_SCORES in note and NEEDS_OUTCOMES not in note
    header = next(csv.reader(io.StringIO(render(r, "csv").content.decode())))
    assert header[-2:] == ["Error Quotient", "Repeated error density"]
    scores_only = report(student([event("submission", 0, 1, score=0)]))
    assert scores_only.carried == Carried(outcomes=False, scores=True)
    assert NEEDS_OUTCOMES in process_note(scores_only.carried)
    header = next(csv.reader(io.StringIO(render(scores_only, "csv").content.decode())))
    assert header[-2:] == ["First correct", "Ever correct"]
    assert csv_rows(scores_only)[0]["First correct"] == "no"


def test_an_error_type_is_user_text_escaped_in_html() -> None:
    r = report(stuck(5, "<b>Err</b>"))
    html = render(r, "html").content.decode()
    assert "&lt;b&gt;Err&lt;/b&gt;" in html and "<b>Err</b>" not in html
