"""IMS Caliper (1.1 and 1.2): an envelope ``{"sensor", "sendTime", "dataVersion", "data":
[events]}``, or a list of envelopes. Error paths are ``data[i].field`` (``[e].data[i]`` in
a list of envelopes). docs/api.md ("Other input formats") has the action table.
"""

from __future__ import annotations

from typing import Any, BinaryIO, TypeGuard

import msgspec

from reports.errors import InvalidInput
from reports.inputs.collect import Collector, Errors, check_text, check_time
from reports.inputs.mapping import MappingIn, iso_time, json_item, json_level, our_type, text_at
from reports.report.contract import MAX_TEXT
from reports.report.events import Extra
from reports.report.insight import RUN_TYPES, SUBMISSION_TYPES

FORMAT = "Caliper"
DEFAULT_NAMESPACE = "caliper"
DEFAULT_TYPES: dict[str, str | None] = {
    "Submitted": "submission",  # AssessmentEvent, AssignableEvent
    "Graded": "submission",  # GradeEvent: its generated Score
    "Started": "started",
    "Completed": "completed",
    "Viewed": "viewed",
    "Paused": "paused",
    "Resumed": "resumed",
    "Restarted": "restarted",
}


def read(source: BinaryIO, *, mapping: MappingIn, namespace: str | None) -> Collector:
    body = source.read()
    envelopes = _envelopes(body)
    out, errors = Collector(FORMAT), Errors()
    for prefix, events in envelopes:
        for index, raw in enumerate(events):
            where = f"{prefix}[{index}]"
            event = json_item(raw)
            _event(out, errors, mapping, namespace or DEFAULT_NAMESPACE, where, event)
            if errors.full:
                break
    errors.raise_any(FORMAT)
    return out


def _envelopes(body: bytes) -> list[tuple[str, list[msgspec.Raw]]]:
    """Each envelope's events, undecoded, with the path that names them."""
    try:
        level = json_level(body)
        listed = isinstance(level, list)
        found, errors = [], {}
        for number, raw in enumerate(level if isinstance(level, list) else [msgspec.Raw(body)]):
            prefix = f"[{number}].data" if listed else "data"
            envelope = json_level(raw)
            events = (
                json_level(envelope["data"])
                if isinstance(envelope, dict) and "data" in envelope
                else None
            )
            if not isinstance(events, list):
                errors[prefix] = ["Expected an envelope with a list of events in `data`."]
            else:
                found.append((prefix, events))
    except msgspec.DecodeError as exc:
        raise InvalidInput("The Caliper input is invalid.", errors={"body": [str(exc)]}) from None
    if errors or not found:
        raise InvalidInput("The Caliper input is invalid.", errors=errors or {"body": ["Empty."]})
    return found


def _event(
    out: Collector, errors: Errors, mapping: MappingIn, namespace: str, at: str, event: Any
) -> None:
    if not isinstance(event, dict):
        errors.add(at, "Expected an event object.")
        return
    action = event.get("action")
    if not isinstance(action, str):  # an entity described in the envelope: no event
        out.ignore(f"type {event.get('type')}", at)
        return
    type_ = our_type(mapping, DEFAULT_TYPES, action)
    if type_ is None:
        out.ignore(f"action {action}", at)
        return
    field = mapping.student or "actor.id"
    try:
        student = check_text(_id(event, "actor", mapping.student), "The student")
        field = mapping.unit or "object.id"
        unit = check_text(_unit(event, mapping.unit), "The unit")
        field = "eventTime"
        stamp = event.get("eventTime")
        moment = check_time(iso_time(stamp if isinstance(stamp, str) else ""))
        field = "generated"
        extra = _extra(type_, event)
    except ValueError as exc:
        errors.add(f"{at}.{field}", str(exc))
        return
    out.add(namespace, student, moment, unit, type_, extra)


def _id(event: dict[str, Any], name: str, path: str | None) -> str:
    """An entity's IRI: the entity itself when it is a string, else its ``id``."""
    if path:
        return text_at(event, path)
    entity = event.get(name)
    return entity if isinstance(entity, str) else text_at(event, f"{name}.id")


def _unit(event: dict[str, Any], path: str | None) -> str:
    """``object.id``; for an Attempt (a GradeEvent's object), the assessment it is of."""
    obj = event.get("object")
    if path is None and isinstance(obj, dict) and obj.get("type") == "Attempt":
        assignable = obj.get("assignable")
        if isinstance(assignable, str | dict):
            return assignable if isinstance(assignable, str) else text_at(assignable, "id")
    return _id(event, "object", path)


def _extra(type_: str, event: dict[str, Any]) -> Extra | None:
    if type_ in RUN_TYPES:
        extensions = event.get("extensions")
        if isinstance(extensions, dict) and isinstance(extensions.get("success"), bool):
            success = extensions["success"]
            error = extensions.get("error_type")
            ok = isinstance(error, str) and 0 < len(error) <= MAX_TEXT and not success
            return ("ok" if success else "error", error if ok else None, None, None)
        return None
    if type_ in SUBMISSION_TYPES:
        generated = event.get("generated")
        score = _score(generated) if isinstance(generated, dict) else None
        return None if score is None else (None, None, None, score)
    return None


# (given, maximum) field names: Score (1.1, 1.2), Result 1.1, Result 1.2
_SCORE_FIELDS = (
    ("scoreGiven", "maxScore"),
    ("resultScore", "maxResultScore"),
    ("score", "maxScore"),
)


def _score(generated: dict[str, Any]) -> float | None:
    for given_name, max_name in _SCORE_FIELDS:
        given, maximum = generated.get(given_name), generated.get(max_name)
        if _number(given) and _number(maximum) and maximum > 0:
            if not 0 <= given <= maximum:
                raise ValueError(f"{given_name} {given} is outside 0 to {max_name} {maximum}.")
            return float(given / maximum)
    return None


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
