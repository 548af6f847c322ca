"""Every bad field of a rejected request body, by its path (``events[3].created_time``).

A valid body is decoded in one native msgspec pass (``contract.decode_students``). Only
when that pass rejects the body is it walked here, field by field on the same msgspec
types, to name every bad field, up to ``MAX_REPORTED_ERRORS``. Plain Python, no Django.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from reports.report.contract import EventIn, StudentIn, split_error

MAX_REPORTED_ERRORS = 50
REQUIRED = "This field is required."

Errors = dict[str, list[str]]

_EVENT_FIELDS = msgspec.structs.fields(EventIn)
_STUDENT_FIELDS = msgspec.structs.fields(StudentIn)


def _field_errors(value: Any, type_: Any, path: str) -> Errors:
    try:
        msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        inner, message = split_error(exc)
        return {f"{path}.{inner}" if inner else path: [message]}
    return {}


def _event_errors(item: Any, prefix: str) -> Errors:
    """Each bad field of one event, checked against EventIn's own field types."""
    if not isinstance(item, dict):
        return {prefix: [f"Expected an event object, got {type(item).__name__}."]}
    errors: Errors = {}
    for field in _EVENT_FIELDS:
        if field.name not in item:
            if field.required:
                errors[f"{prefix}.{field.name}"] = [REQUIRED]
            continue
        try:
            msgspec.convert(item[field.name], field.type)
        except msgspec.ValidationError as exc:
            errors[f"{prefix}.{field.name}"] = [split_error(exc)[1]]
    if not errors:  # each field is fine: the event's own rules (EventIn.__post_init__)
        try:
            msgspec.convert(item, EventIn)
        except msgspec.ValidationError as exc:
            path, message = split_error(exc)
            errors[f"{prefix}.{path}" if path else prefix] = [message]
    return errors


def _events_errors(events: Any, prefix: str) -> Errors:
    """The events list: checked whole in one pass, then item by item to name each error."""
    if not isinstance(events, list):
        return {prefix: ["Expected a list of events."]}
    if not events:
        return {prefix: ["At least one event is required."]}
    try:
        msgspec.convert(events, list[EventIn])
    except msgspec.ValidationError:
        pass
    else:
        return {}
    errors: Errors = {}
    for index, item in enumerate(events):
        errors.update(_event_errors(item, f"{prefix}[{index}]"))
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    return errors


def _student_errors(item: Any, prefix: str) -> Errors:
    """One student object's bad fields, in the order StudentIn declares them."""
    if not isinstance(item, dict):
        name = type(item).__name__
        return {prefix or "body": [f"Invalid data. Expected a dictionary, but got {name}."]}
    errors: Errors = {}
    at = f"{prefix}." if prefix else ""
    for field in _STUDENT_FIELDS:
        path = f"{at}{field.name}"
        if field.name not in item:
            if field.required:
                errors[path] = [REQUIRED]
        elif field.name == "events":
            errors.update(_events_errors(item["events"], path))
        elif item[field.name] is not None or field.required:
            errors.update(_field_errors(item[field.name], field.type, path))
    return errors


def explain_invalid(body: bytes, exc: msgspec.ValidationError) -> Errors:
    """Every bad field of a body the fast path rejected, by path."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    errors: Errors = {}
    if isinstance(data, dict):
        errors = _student_errors(data, "")
    elif isinstance(data, list):
        if not data:
            errors = {"body": ["At least one student is required."]}
        for index, item in enumerate(data):
            errors.update(_student_errors(item, f"[{index}]"))
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
    elif data is not None:
        errors = {"body": ["Expected a student object or a non-empty list of them."]}
    if not errors:  # the walk agrees it is bad but found nothing to name: msgspec's words
        path, message = split_error(exc)
        errors = {path or "body": [message]}
    return errors
