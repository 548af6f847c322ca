"""xAPI (1.0.3 and 2.0) statements: a JSON list of them, one statement, or an LRS query
result (``{"statements": [...], "more": ...}``). Error paths are ``[i].field``, ``i`` the
statement's index (0 = first) in its list, whichever of the three shapes holds it.
docs/api.md ("Other input formats") has the verb table.
"""

from __future__ import annotations

import hashlib
from typing import Any, BinaryIO, TypeGuard

import msgspec

from reports.errors import InvalidInput
from reports.inputs.collect import Collector, Errors, check_text, check_time
from reports.inputs.mapping import (
    MappingIn,
    field_at,
    iso_time,
    json_item,
    json_level,
    our_type,
    text_at,
)
from reports.report.contract import MAX_TEXT
from reports.report.events import Extra
from reports.report.insight import RUN_TYPES, SUBMISSION_TYPES

FORMAT = "xAPI"
DEFAULT_NAMESPACE = "xapi"
ADL = "http://adlnet.gov/expapi/verbs/"
DEFAULT_TYPES: dict[str, str | None] = {
    # A scored answer or attempt's end: Open edX's problem_check, cmi5's passed/failed.
    ADL + "answered": "submission",
    ADL + "passed": "submission",
    ADL + "failed": "submission",
    ADL + "scored": "submission",
    "https://w3id.org/xapi/dod-isd/verbs/submitted": "submission",
    "http://activitystrea.ms/schema/1.0/submit": "submission",
    "http://activitystrea.ms/schema/1.0/save": "saved_code",
    # Activity the report counts and times, by its own name.
    ADL + "attempted": "attempted",
    ADL + "completed": "completed",
    ADL + "experienced": "experienced",
    ADL + "launched": "launched",
    ADL + "initialized": "initialized",
    ADL + "progressed": "progressed",
    ADL + "interacted": "interacted",
}


def read(source: BinaryIO, *, mapping: MappingIn, namespace: str | None) -> Collector:
    body = source.read()
    statements = _statements(body)
    out, errors = Collector(FORMAT), Errors()
    for index, raw in enumerate(statements):
        _statement(out, errors, mapping, namespace, index, json_item(raw))
        if errors.full:
            break
    errors.raise_any(FORMAT)
    return out


def _statements(body: bytes) -> list[msgspec.Raw]:
    """The statements, each undecoded: of a list, an LRS result, or one statement."""
    try:
        level = json_level(body)
        if isinstance(level, dict) and "statements" in level:
            level = json_level(level["statements"])
        elif isinstance(level, dict):
            level = [msgspec.Raw(body)]
    except msgspec.DecodeError as exc:
        raise InvalidInput("The xAPI input is invalid.", errors={"body": [str(exc)]}) from None
    if not isinstance(level, list) or not level:
        raise InvalidInput(
            "The xAPI input is invalid.",
            errors={"body": ["Expected a statement, a non-empty list of them or an LRS result."]},
        )
    return level


def _statement(
    out: Collector,
    errors: Errors,
    mapping: MappingIn,
    namespace: str | None,
    index: int,
    statement: Any,
) -> None:
    at = f"[{index}]"
    if not isinstance(statement, dict):
        errors.add(at, "Expected a statement object.")
        return
    field = "verb.id"
    try:
        verb = text_at(statement, field)
        type_ = our_type(mapping, DEFAULT_TYPES, verb)
        if type_ is None:
            out.ignore(f"verb {verb}", at)
            return
        field = mapping.student or "actor"
        space, student = _student(statement, mapping, namespace)
        field = mapping.unit or "object.id"
        unit = check_text(text_at(statement, field), "The unit")
        field = "timestamp"
        stamp = statement.get("timestamp") or statement.get("stored")
        moment = check_time(iso_time(stamp if isinstance(stamp, str) else ""))
        field = "result"
        extra = _extra(type_, statement.get("result"))
    except ValueError as exc:
        errors.add(f"{at}.{field}", str(exc))
        return
    out.add(space, student, moment, unit, type_, extra)


def _student(statement: Any, mapping: MappingIn, namespace: str | None) -> tuple[str, str]:
    """(namespace, student_id) of the actor: ``account.name`` (its ``homePage`` the
    namespace), ``mbox_sha1sum``, ``mbox`` as its SHA-1 (never in clear), or ``openid``."""
    if mapping.student:
        return namespace or DEFAULT_NAMESPACE, check_text(
            text_at(statement, mapping.student), "The student"
        )
    actor = statement.get("actor")
    if not isinstance(actor, dict):
        raise ValueError("Expected an actor object.")
    account = actor.get("account")
    if isinstance(account, dict):
        name = check_text(text_at(account, "name"), "account.name")
        home = account.get("homePage")
        space = namespace or (home if isinstance(home, str) and home else DEFAULT_NAMESPACE)
        return check_text(space, "account.homePage"), name
    space = namespace or DEFAULT_NAMESPACE
    if isinstance(actor.get("mbox_sha1sum"), str):
        return space, check_text(actor["mbox_sha1sum"], "mbox_sha1sum")
    if isinstance(actor.get("mbox"), str):
        mbox = actor["mbox"]
        if not mbox.startswith("mailto:"):
            raise ValueError("mbox is a mailto: IRI.")
        return space, hashlib.sha1(mbox.encode(), usedforsecurity=False).hexdigest()
    if isinstance(actor.get("openid"), str):
        return space, check_text(actor["openid"], "openid")
    raise ValueError("The actor has none of account, mbox_sha1sum, mbox or openid.")


def _extra(type_: str, result: Any) -> Extra | None:
    if not isinstance(result, dict):
        return None
    success = result.get("success")
    if type_ in RUN_TYPES and isinstance(success, bool):
        response = result.get("response")
        error_type = None
        if not success and isinstance(response, str) and 0 < len(response) <= MAX_TEXT:
            error_type = response
        return ("ok" if success else "error", error_type, None, None)
    if type_ in SUBMISSION_TYPES:
        score = _score(result.get("score"))
        if score is None and isinstance(success, bool):
            score = 1.0 if success else 0.0
        return None if score is None else (None, None, None, score)
    return None


def _score(score: Any) -> float | None:
    """``scaled`` (a negative one as 0), else ``raw`` between ``min`` (default 0) and ``max``."""
    if not isinstance(score, dict):
        return None
    scaled = field_at(score, "scaled")
    if _number(scaled):
        if not -1 <= scaled <= 1:
            raise ValueError(f"score.scaled is -1 to 1, got {scaled}.")
        return max(0.0, float(scaled))
    raw, low, high = score.get("raw"), score.get("min", 0), score.get("max")
    if _number(raw) and _number(low) and _number(high) and high > low:
        if not low <= raw <= high:
            raise ValueError(f"score.raw {raw} is outside min {low} to max {high}.")
        return float((raw - low) / (high - low))
    return None


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
