"""Attention flags (docs/report.md, "Attention flags"): a few deterministic rules, each
with a name, a threshold and a sentence that says why it fired, read off the report model.

Class-relative rules (struggling against the class, opened never submitted) need a class
report; a report on one student applies the absolute rules only (struggling then compares
with ``struggling_minutes``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import pairwise

import msgspec

from reports.report.contract import ATTENTION_RANGES, AttentionIn
from reports.report.insight import ClassInsight, percentile
from reports.report.model import Flag, QuestionSummary, StudentReport, display_text

STRUGGLING = "struggling"
STUCK_IN_RUNS = "stuck_in_runs"
STUCK_IN_ERRORS = "stuck_in_errors"
OPENED_NEVER_SUBMITTED = "opened_never_submitted"
LATE_BURST = "late_burst"
LONG_GAP = "long_gap"
# Flag.variant: what struggling compared with; whether stuck in runs had a submission.
AGAINST_RULE, AGAINST_CLASS, AGAINST_FLOOR = "rule", "class", "floor"
SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class AttentionRules:
    """The rules' thresholds (settings REPORT_ATTENTION_*, docs/configuration.md)."""

    struggling_percentile: float = 90.0  # of the class's active time on the question
    struggling_minutes: float = 60.0  # without a class: active time at or above this
    struggling_floor_minutes: float = 5.0  # with a class: and at least this much
    stuck_runs: int = 10  # runs since the last submission (or without one)
    stuck_errors: int = 5  # runs in a row that ended in an error (the runs' ``outcome``)
    submitted_share: float = 0.5  # opened never submitted: when more of the class did
    late_burst_share: float = 0.5  # the share of events in the window before the last
    late_burst_minutes: float = 60.0
    long_gap_minutes: float = 120.0  # between two consecutive events on one question


RANGES = ATTENTION_RANGES  # settings and requests out of them are refused, naming one
WHOLE = frozenset({"stuck_runs", "stuck_errors"})  # counts: whole numbers


def attention_rules(values: dict[str, float]) -> AttentionRules:
    """The defaults with ``values`` over them; ValueError naming the first field that is
    unknown or out of its range (``RANGES``)."""
    for name, value in values.items():
        if name not in RANGES:
            raise ValueError(f"{name}: not an attention rule's threshold")
        low, high = RANGES[name]
        if not low <= value <= high:
            raise ValueError(f"{name}: must be from {low:g} to {high:g}, got {value:g}")
    for name in WHOLE & values.keys():
        if values[name] != int(values[name]):
            raise ValueError(f"{name}: must be a whole number, got {values[name]:g}")
    fields = {k: int(v) if k in WHOLE else float(v) for k, v in values.items()}
    return AttentionRules(**fields)  # type: ignore[arg-type]  # names checked above


def with_request(rules: AttentionRules, given: AttentionIn | None) -> AttentionRules:
    """The service's thresholds with a request's (``AttentionIn``, validated) over them."""
    if given is None:
        return rules
    values = {k: v for k, v in msgspec.structs.asdict(given).items() if v is not None}
    return replace(rules, **values)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def _question_flags(
    student: StudentReport,
    rules: AttentionRules,
    insight: ClassInsight | None,
    column_of: dict[str, int],
) -> list[Flag]:
    out = []
    for q in student.questions:
        if not q.submitted:
            out.extend(_unsubmitted(q, rules, insight, column_of))
        if q.runs_since_submission >= rules.stuck_runs:
            since = "since the last submission" if q.submitted else "and no submission"
            runs = q.runs_since_submission
            out.append(
                Flag(
                    STUCK_IN_RUNS,
                    q.unit,
                    q.alias,
                    float(runs),
                    float(rules.stuck_runs),
                    f"{'1 run' if runs == 1 else f'{runs} runs'} on {q.alias} {since} "
                    f"(the rule: at least {rules.stuck_runs}).",
                    variant=SUBMITTED if q.submitted else "",
                )
            )
        if q.outcomes.error_streak >= rules.stuck_errors:
            out.append(_stuck_in_errors(q, rules))
    return out


def _stuck_in_errors(q: QuestionSummary, rules: AttentionRules) -> Flag:
    """The last runs on a question ended in an error, with no other run or submission
    since: how many, and the last error (its type and line when the run gave them)."""
    streak, last = q.outcomes.error_streak, q.outcomes.last_error
    details = []
    error = None if last is None or last.error_type is None else display_text(last.error_type)
    line = None if last is None else last.line
    if error is not None:
        details.append(error)
    if line is not None:
        details.append(f"line {line}")
    what = f" (the last: {', '.join(details)})" if details else ""
    runs = "run" if streak == 1 else f"{streak} runs"
    return Flag(
        STUCK_IN_ERRORS,
        q.unit,
        q.alias,
        float(streak),
        float(rules.stuck_errors),
        f"The last {runs} on {q.alias} ended in an error{what}, with no successful run "
        f"or submission since (the rule: at least {rules.stuck_errors}).",
        error=error,
        line=line,
    )


def _unsubmitted(
    q: QuestionSummary,
    rules: AttentionRules,
    insight: ClassInsight | None,
    column_of: dict[str, int],
) -> list[Flag]:
    out = []
    if insight is None:
        limit, variant = rules.struggling_minutes * 60, AGAINST_RULE
    else:
        active = insight.unit_active[column_of[q.key]]
        limit = percentile(active, rules.struggling_percentile)
        variant = AGAINST_CLASS
        if limit < rules.struggling_floor_minutes * 60:
            limit, variant = rules.struggling_floor_minutes * 60, AGAINST_FLOOR
    against = {
        AGAINST_RULE: "the rule's",
        AGAINST_CLASS: f"the class's {rules.struggling_percentile:g}th percentile,",
        AGAINST_FLOOR: "the rule's floor of",
    }[variant]
    if q.active_seconds > 0 and q.active_seconds >= limit:
        out.append(
            Flag(
                STRUGGLING,
                q.unit,
                q.alias,
                q.active_seconds,
                limit,
                f"{_minutes(q.active_seconds)} of active time on {q.alias} without a "
                f"submission, at or above {against} {_minutes(limit)}.",
                variant=variant,
                param=rules.struggling_percentile,
            )
        )
    if insight is not None:
        unit = insight.units[column_of[q.key]]
        share = unit.submitted / unit.opened
        if share > rules.submitted_share:
            out.append(
                Flag(
                    OPENED_NEVER_SUBMITTED,
                    q.unit,
                    q.alias,
                    share,
                    rules.submitted_share,
                    f"Opened {q.alias} and never submitted it, while {share:.0%} of the "
                    f"students who opened it did (the rule: over {rules.submitted_share:.0%}).",
                )
            )
    return out


def _late_burst(student: StudentReport, rules: AttentionRules) -> list[Flag]:
    """Most of the events in the window before the last one, from a student whose activity
    spans more than the window."""
    window = timedelta(minutes=rules.late_burst_minutes)
    times = student.times
    if times[-1] - times[0] <= window:
        return []
    share = (len(times) - bisect_left(times, times[-1] - window)) / len(times)
    if share <= rules.late_burst_share:
        return []
    text = (
        f"{share:.0%} of the events came in the last {rules.late_burst_minutes:g} min before "
        f"the last one (the rule: over {rules.late_burst_share:.0%})."
    )
    minutes = rules.late_burst_minutes
    return [Flag(LATE_BURST, None, None, share, rules.late_burst_share, text, param=minutes)]


def _long_gaps(student: StudentReport, rules: AttentionRules) -> list[Flag]:
    """The longest gap between consecutive events on one question, per question over X."""
    longest: dict[int, float] = {}
    limit = rules.long_gap_minutes * 60
    pairs = zip(pairwise(student.times), pairwise(student.event_questions), strict=True)
    for (a, b), (qa, qb) in pairs:
        if qa == qb:
            gap = (b - a).total_seconds()
            if gap > limit and gap > longest.get(qa, 0.0):
                longest[qa] = gap
    out = []
    for index in sorted(longest):
        q = student.questions[index]
        text = (
            f"An idle gap of {_minutes(longest[index])} between two events on {q.alias} "
            f"(the rule: over {rules.long_gap_minutes:g} min)."
        )
        minutes = rules.long_gap_minutes
        out.append(Flag(LONG_GAP, q.unit, q.alias, longest[index], limit, text, param=minutes))
    return out


def attention_flags(
    students: Sequence[StudentReport], insight: ClassInsight | None, rules: AttentionRules
) -> tuple[tuple[Flag, ...], ...]:
    """Each student's flags: the questions' (in alias order), then the student's own."""
    column_of = {} if insight is None else {u.key: k for k, u in enumerate(insight.units)}
    return tuple(
        tuple(
            [
                *_question_flags(s, rules, insight, column_of),
                *_long_gaps(s, rules),
                *_late_burst(s, rules),
            ]
        )
        for s in students
    )
