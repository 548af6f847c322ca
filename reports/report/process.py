"""Process measures from the events' outcomes (docs/report.md, "Errors and correctness"):
per student and question, the Error Quotient and the Repeated Error Density of the runs
that carry an ``outcome``, correctness from the submissions that carry a ``score``, and
the error runs in a row that the "stuck in errors" attention rule reads.

A run counts when its type is a run type (``insight.RUN_TYPES``) and it carries an
``outcome``; a submission counts when it carries a ``score``. Runs without an outcome are
left out of these measures (they neither continue nor break a sequence of errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from reports.report.events import Extra
from reports.report.insight import RUN_TYPES, SUBMISSION_TYPES

# Jadud's scores for a pair of consecutive runs (see ``error_quotient``).
BOTH_ERRORS, SAME_TYPE = 8, 3
PAIR_MAX = BOTH_ERRORS + SAME_TYPE


@dataclass(frozen=True, slots=True)
class Run:
    """A run that carries its outcome; an error's type and line when it has them."""

    error: bool
    error_type: str | None = None
    line: int | None = None


def _same_error(a: Run, b: Run) -> bool:
    """Both runs ended in the same error: both errors, their types given and equal."""
    return a.error and b.error and a.error_type is not None and a.error_type == b.error_type


def error_quotient(runs: Sequence[Run]) -> float | None:
    """Jadud's Error Quotient (Jadud 2006, "Methods and tools for exploring novice
    compilation behaviour", ICER '06, p. 6): each pair of consecutive runs scores 8 when
    both ended in an error, plus 3 when the two errors are of the same type; each pair's
    score is divided by 11 and the EQ is their mean (0..1). None for fewer than two runs
    (no pair)."""
    if len(runs) < 2:
        return None
    total = 0
    for a, b in pairwise(runs):
        if a.error and b.error:
            total += BOTH_ERRORS + (SAME_TYPE if _same_error(a, b) else 0)
    return total / PAIR_MAX / (len(runs) - 1)


def repeated_error_density(runs: Sequence[Run]) -> float | None:
    """Becker's Repeated Error Density (Becker 2016, "A New Metric to Quantify Repeated
    Compiler Errors for Novice Programmers", ITiCSE '16, pp. 296-301): the sum, over every
    maximal string of consecutive runs that ended in the same error, of r^2 / (r + 1),
    where r is the number of repeats (a string of n identical errors has r = n - 1). A
    string ends at a run that is not an error or is another error. None without runs."""
    if not runs:
        return None
    total, repeats = 0.0, 0
    for a, b in pairwise(runs):
        if _same_error(a, b):
            repeats += 1
        else:
            total += repeats * repeats / (repeats + 1)
            repeats = 0
    return total + repeats * repeats / (repeats + 1)


@dataclass(frozen=True, slots=True)
class Outcomes:
    """One student's outcome figures on one question; None where no event carries the
    fields a figure needs."""

    runs: int = 0  # runs that carry an outcome
    errors: int = 0  # of them, the ones that ended in an error
    # None: fewer than two such runs, or errors none of which carries its error_type.
    error_quotient: float | None = None
    # None: no such run, or errors none of which carries its error_type.
    repeated_error_density: float | None = None
    scored: int = 0  # submissions that carry a score
    first_score: float | None = None
    best_score: float | None = None
    # Runs that ended in an error since the last run that did not and the last submission.
    error_streak: int = 0
    last_error: Run | None = None  # the streak's last run (None without a streak)

    @property
    def first_correct(self) -> bool | None:
        """The first scored submission scored 1 (None without a scored submission)."""
        return None if self.first_score is None else self.first_score >= 1.0

    @property
    def ever_correct(self) -> bool | None:
        """A scored submission scored 1 (None without a scored submission)."""
        return None if self.best_score is None else self.best_score >= 1.0


NO_OUTCOMES = Outcomes()


def _run(extra: Extra) -> Run:
    if extra[0] == "error":
        return Run(True, extra[1], extra[2])
    return Run(False)


def question_outcomes(
    event_questions: Sequence[int],
    event_type_ids: Sequence[int],
    event_types: Sequence[str],
    extras: Sequence[Extra | None] | None,
    questions: int,
) -> tuple[Outcomes, ...]:
    """Each question's ``Outcomes`` from the events in chronological order (``extras``:
    each event's outcome fields, None for one without; None when no event has any)."""
    if extras is None:
        return (NO_OUTCOMES,) * questions
    is_run = [t in RUN_TYPES for t in event_types]
    is_submission = [t in SUBMISSION_TYPES for t in event_types]
    runs: list[list[Run]] = [[] for _ in range(questions)]
    scores: list[list[float]] = [[] for _ in range(questions)]
    streak = [0] * questions
    for q, t, extra in zip(event_questions, event_type_ids, extras, strict=True):
        if is_submission[t]:
            streak[q] = 0
            if extra is not None and extra[3] is not None:
                scores[q].append(extra[3])
        elif is_run[t] and extra is not None and extra[0] is not None:
            run = _run(extra)
            runs[q].append(run)
            streak[q] = streak[q] + 1 if run.error else 0
    return tuple(
        _outcomes(runs[q], scores[q], streak[q]) if runs[q] or scores[q] else NO_OUTCOMES
        for q in range(questions)
    )


def _outcomes(runs: list[Run], scores: list[float], streak: int) -> Outcomes:
    errors = [r for r in runs if r.error]
    # Errors none of which carries its type: whether they repeat is unknown, not "no".
    typed = not errors or any(r.error_type is not None for r in errors)
    return Outcomes(
        runs=len(runs),
        errors=len(errors),
        error_quotient=error_quotient(runs) if typed else None,
        repeated_error_density=repeated_error_density(runs) if typed else None,
        scored=len(scores),
        first_score=scores[0] if scores else None,
        best_score=max(scores) if scores else None,
        error_streak=streak,
        last_error=runs[-1] if streak else None,
    )
