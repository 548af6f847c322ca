"""The class-relative measures' texts (reports/report/insight.py), the same in every format."""

from __future__ import annotations

from reports.renderers.tables import fmt_duration
from reports.report.insight import Cohort, Spread
from reports.report.model import Report, StudentReport

QUESTIONS_TITLE = "Questions"
QUESTIONS_NOTE = (
    "Per unit: the students who opened it (any event), ran code on it and submitted it; "
    "not submitted is the share who opened it but never submitted it. Medians and 90th "
    "percentiles are over the students who opened it; runs and saves count those before "
    "the first submission."
)
COHORT_TITLE = "Compared with the class"
NOTABLE = 75.0  # a question is listed where the student is above this share of the class
COHORT_NOTE = (
    f"The questions where this student spent more time, ran or saved more than {NOTABLE:g}% "
    "of the other students who opened them; every question's standing is in the report's "
    "data (…/data)."
)
SINGLE_NOTE = "Figures relative to the class need a class report (several students)."


def fmt_percent(share: float) -> str:
    """0..1 as a whole percentage: '33%'."""
    return f"{round(share * 100)}%"


def fmt_count(value: float) -> str:
    """A count's median or percentile: '3', '2.5'."""
    return f"{value:.1f}".removesuffix(".0")


def _spread(spread: Spread) -> str:
    return f"{fmt_count(spread.median)} / {fmt_count(spread.p90)}"


def _time_spread(spread: Spread) -> str:
    return f"{fmt_duration(spread.median)} / {fmt_duration(spread.p90)}"


def questions_table(report: Report) -> tuple[list[str], list[list[str]]]:
    """One row per unit of the class (unit order); empty rows without a class."""
    header = [
        "Unit",
        "Opened",
        "Ran code",
        "Submitted",
        "Not submitted",
        "Active time (median / 90th)",
        "Runs (median / 90th)",
        "Saves (median / 90th)",
    ]
    insight = report.insight
    rows = [
        [
            u.unit,
            str(u.opened),
            str(u.ran),
            str(u.submitted),
            fmt_percent(u.difficulty),
            _time_spread(u.active_seconds),
            _spread(u.runs),
            _spread(u.saves),
        ]
        for u in (insight.units if insight is not None else ())
    ]
    return header, rows


def standing(share: float | None, more: str) -> str:
    """'slower than 92% of the class'; 'only student' when nobody else opened it."""
    if share is None:
        return "only student"
    return f"{more} than {round(share)}% of the class"


def cohort_text(cohort: Cohort) -> tuple[str, str, str]:
    return (
        standing(cohort.active_seconds, "slower"),
        standing(cohort.runs, "more runs"),
        standing(cohort.saves, "more saves"),
    )


def notable(cohort: Cohort) -> bool:
    shares = (cohort.active_seconds, cohort.runs, cohort.saves)
    return any(share is not None and share > NOTABLE for share in shares)


def cohort_table(report: Report, index: int) -> tuple[list[str], list[list[str]]]:
    """A student's notable questions beside the class (``notable``): each value and the
    share of the other students who opened the question with less (no rows without a
    class)."""
    student: StudentReport = report.students[index]
    header = [
        "Question",
        "Active time",
        "Compared",
        "Runs before submitting",
        "Compared",
        "Saves before submitting",
        "Compared",
    ]
    if report.insight is None:
        return header, []
    rows = []
    for q, cohort in zip(student.questions, report.insight.cohorts[index], strict=True):
        if not notable(cohort):
            continue
        time, runs, saves = cohort_text(cohort)
        rows.append(
            [
                q.alias,
                fmt_duration(q.active_seconds),
                time,
                str(q.runs_before_submission),
                runs,
                str(q.saves_before_submission),
                saves,
            ]
        )
    return header, rows


ATTENTION_TITLE = "Needs attention"
ATTENTION_NOTE = (
    "Students an attention rule flagged, with the reason; each rule and its threshold is "
    "defined in the report's documentation (docs/report.md, 'Attention flags')."
)
NO_ATTENTION = "No student meets any attention rule."
RULE_NAMES = {
    "struggling": "Struggling",
    "stuck_in_runs": "Stuck in runs",
    "stuck_in_errors": "Stuck in errors",
    "opened_never_submitted": "Opened, never submitted",
    "late_burst": "Late burst",
    "long_gap": "Long gap mid-question",
}


def flag_texts(report: Report, index: int) -> list[str]:
    """A student's flags as the report words them: 'Stuck in runs: 15 runs on Q3 …'."""
    flags = report.attention[index] if report.attention else ()
    return [f"{RULE_NAMES[f.rule]}: {f.reason}" for f in flags]


def flagged(report: Report) -> list[tuple[int, str, list[str]]]:
    """The flagged students in input order: index, id and their flags' texts."""
    return [
        (k, s.student_id, flag_texts(report, k))
        for k, s in enumerate(report.students)
        if report.attention and report.attention[k]
    ]
