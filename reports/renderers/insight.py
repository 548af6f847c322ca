"""The class-relative measures' texts (reports/report/insight.py), the same in every format."""

from __future__ import annotations

from reports.renderers.formats import fmt_duration, fmt_int, fmt_number, fmt_percent
from reports.renderers.i18n import gettext as _
from reports.renderers.i18n import gettext_noop
from reports.report.insight import Cohort, Spread
from reports.report.model import Report, StudentReport

# The English texts (tests compare them); the report shows their translations (``_``).
QUESTIONS_TITLE = gettext_noop("Questions")
QUESTIONS_NOTE = gettext_noop(
    "Per unit: the students who opened it (any event), ran code on it and submitted it; "
    "not submitted is the share who opened it but never submitted it. Medians and 90th "
    "percentiles are over the students who opened it; runs and saves count those before "
    "the first submission."
)
COHORT_TITLE = gettext_noop("Compared with the class")
NOTABLE = 75.0  # a question is listed where the student is above this share of the class
COHORT_NOTE = gettext_noop(
    "The questions where this student spent more time, ran or saved more than %(share)s "
    "of the other students who opened them; every question's standing is in the report's "
    "data (…/data)."
)
SINGLE_NOTE = gettext_noop("Figures relative to the class need a class report (several students).")


def cohort_note() -> str:
    return _(COHORT_NOTE) % {"share": fmt_percent(NOTABLE / 100)}


def fmt_count(value: float) -> str:
    """A count's median or percentile: '3', '2.5'."""
    return fmt_number(value, 1, trim=True)


def _spread(spread: Spread) -> str:
    return f"{fmt_count(spread.median)} / {fmt_count(spread.p90)}"


def _time_spread(spread: Spread) -> str:
    return f"{fmt_duration(spread.median)} / {fmt_duration(spread.p90)}"


def questions_table(report: Report) -> tuple[list[str], list[list[str]]]:
    """One row per unit of the class (unit order); empty rows without a class."""
    header = [
        _("Unit"),
        _("Opened"),
        _("Ran code"),
        _("Submitted"),
        _("Not submitted"),
        _("Active time (median / 90th)"),
        _("Runs (median / 90th)"),
        _("Saves (median / 90th)"),
    ]
    insight = report.insight
    rows = [
        [
            u.unit,
            fmt_int(u.opened),
            fmt_int(u.ran),
            fmt_int(u.submitted),
            fmt_percent(u.difficulty),
            _time_spread(u.active_seconds),
            _spread(u.runs),
            _spread(u.saves),
        ]
        for u in (insight.units if insight is not None else ())
    ]
    return header, rows


def standing(share: float | None, more: str) -> str:
    """'slower than 92% of the class' (``more``: a translated sentence with ``%(share)s``);
    'only student' when nobody else opened it."""
    if share is None:
        return _("only student")
    return more % {"share": fmt_percent(round(share) / 100)}


def cohort_text(cohort: Cohort) -> tuple[str, str, str]:
    return (
        standing(cohort.active_seconds, _("slower than %(share)s of the class")),
        standing(cohort.runs, _("more runs than %(share)s of the class")),
        standing(cohort.saves, _("more saves than %(share)s of the class")),
    )


def notable(cohort: Cohort) -> bool:
    shares = (cohort.active_seconds, cohort.runs, cohort.saves)
    return any(share is not None and share > NOTABLE for share in shares)


def cohort_table(report: Report, index: int) -> tuple[list[str], list[list[str]]]:
    """A student's notable questions beside the class (``notable``): each value and the
    share of the other students who opened the question with less (no rows without a
    class)."""
    student: StudentReport = report.students[index]
    compared = _("Compared")
    header = [
        _("Question"),
        _("Active time"),
        compared,
        _("Runs before submitting"),
        compared,
        _("Saves before submitting"),
        compared,
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
                fmt_int(q.runs_before_submission),
                runs,
                fmt_int(q.saves_before_submission),
                saves,
            ]
        )
    return header, rows
