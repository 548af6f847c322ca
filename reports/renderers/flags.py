"""Attention flags (reports/report/attention.py) in the report's language: the model keeps
each flag's figures, and the English ``reason`` for the JSON; this words them for the
HTML and the PDF (in English, word for word the ``reason``)."""

from __future__ import annotations

from reports.renderers.formats import fmt_int, fmt_minutes, fmt_number, fmt_percent, style
from reports.renderers.i18n import gettext as _
from reports.renderers.i18n import gettext_noop, ngettext
from reports.report.attention import (
    AGAINST_CLASS,
    AGAINST_FLOOR,
    LATE_BURST,
    LONG_GAP,
    OPENED_NEVER_SUBMITTED,
    STRUGGLING,
    STUCK_IN_ERRORS,
    STUCK_IN_RUNS,
    SUBMITTED,
)
from reports.report.model import Flag, Report

ATTENTION_TITLE = gettext_noop("Needs attention")
ATTENTION_NOTE = gettext_noop(
    "Students an attention rule flagged, with the reason; each rule and its threshold is "
    "defined in the report's documentation (docs/report.md, 'Attention flags')."
)
NO_ATTENTION = gettext_noop("No student meets any attention rule.")
RULE_NAMES = {
    STRUGGLING: gettext_noop("Struggling"),
    STUCK_IN_RUNS: gettext_noop("Stuck in runs"),
    STUCK_IN_ERRORS: gettext_noop("Stuck in errors"),
    OPENED_NEVER_SUBMITTED: gettext_noop("Opened, never submitted"),
    LATE_BURST: gettext_noop("Late burst"),
    LONG_GAP: gettext_noop("Long gap mid-question"),
}


def _minutes(seconds: float) -> str:
    """Whole minutes: '42 min'."""
    return f"{fmt_number(seconds / 60, 0)} {style().minute}"


def _struggling(f: Flag) -> str:
    values = {"time": _minutes(f.value), "question": f.question, "limit": _minutes(f.threshold)}
    if f.variant == AGAINST_CLASS:
        text = _(
            "%(time)s of active time on %(question)s without a submission, at or above the "
            "class's %(percentile)sth percentile, %(limit)s."
        )
        return text % {**values, "percentile": f"{f.param:g}"}
    if f.variant == AGAINST_FLOOR:
        text = _(
            "%(time)s of active time on %(question)s without a submission, at or above the "
            "rule's floor of %(limit)s."
        )
        return text % values
    text = _(
        "%(time)s of active time on %(question)s without a submission, at or above the "
        "rule's %(limit)s."
    )
    return text % values


def _stuck_in_runs(f: Flag) -> str:
    runs = int(f.value)
    values = {"count": fmt_int(runs), "question": f.question, "rule": fmt_int(int(f.threshold))}
    if f.variant == SUBMITTED:
        text = ngettext(
            "%(count)s run on %(question)s since the last submission (the rule: at least "
            "%(rule)s).",
            "%(count)s runs on %(question)s since the last submission (the rule: at least "
            "%(rule)s).",
            runs,
        )
    else:
        text = ngettext(
            "%(count)s run on %(question)s and no submission (the rule: at least %(rule)s).",
            "%(count)s runs on %(question)s and no submission (the rule: at least %(rule)s).",
            runs,
        )
    return text % values


def _stuck_in_errors(f: Flag) -> str:
    runs = int(f.value)
    details = [] if f.error is None else [f.error]
    if f.line is not None:
        details.append(_("line %(line)s") % {"line": fmt_int(f.line)})
    values = {"count": fmt_int(runs), "question": f.question, "rule": fmt_int(int(f.threshold))}
    if details:
        text = ngettext(
            "The last run on %(question)s ended in an error (the last: %(error)s), with no "
            "successful run or submission since (the rule: at least %(rule)s).",
            "The last %(count)s runs on %(question)s ended in an error (the last: %(error)s), "
            "with no successful run or submission since (the rule: at least %(rule)s).",
            runs,
        )
        return text % {**values, "error": ", ".join(details)}
    text = ngettext(
        "The last run on %(question)s ended in an error, with no successful run or "
        "submission since (the rule: at least %(rule)s).",
        "The last %(count)s runs on %(question)s ended in an error, with no successful run "
        "or submission since (the rule: at least %(rule)s).",
        runs,
    )
    return text % values


def _opened(f: Flag) -> str:
    text = _(
        "Opened %(question)s and never submitted it, while %(share)s of the students who "
        "opened it did (the rule: over %(rule)s)."
    )
    return text % {
        "question": f.question,
        "share": fmt_percent(f.value),
        "rule": fmt_percent(f.threshold),
    }


def _late_burst(f: Flag) -> str:
    text = _(
        "%(share)s of the events came in the last %(window)s before the last one (the "
        "rule: over %(rule)s)."
    )
    return text % {
        "share": fmt_percent(f.value),
        "window": fmt_minutes(f.param),
        "rule": fmt_percent(f.threshold),
    }


def _long_gap(f: Flag) -> str:
    text = _("An idle gap of %(gap)s between two events on %(question)s (the rule: over %(rule)s).")
    return text % {"gap": _minutes(f.value), "question": f.question, "rule": fmt_minutes(f.param)}


_REASONS = {
    STRUGGLING: _struggling,
    STUCK_IN_RUNS: _stuck_in_runs,
    STUCK_IN_ERRORS: _stuck_in_errors,
    OPENED_NEVER_SUBMITTED: _opened,
    LATE_BURST: _late_burst,
    LONG_GAP: _long_gap,
}


def flag_reason(flag: Flag) -> str:
    """Why the flag fired, in the report's language."""
    return _REASONS[flag.rule](flag)


def flag_texts(report: Report, index: int) -> list[str]:
    """A student's flags as the report words them: 'Stuck in runs: 15 runs on Q3 …'."""
    flags = report.attention[index] if report.attention else ()
    return [
        _("%(rule)s: %(reason)s") % {"rule": _(RULE_NAMES[f.rule]), "reason": flag_reason(f)}
        for f in flags
    ]


def flagged(report: Report) -> list[tuple[int, str, list[str]]]:
    """The flagged students in input order: index, id and their flags' texts."""
    return [
        (k, s.student_id, flag_texts(report, k))
        for k, s in enumerate(report.students)
        if report.attention and report.attention[k]
    ]
