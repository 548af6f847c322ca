"""DRF serializers for the API. The input rules themselves live in ``contract.py``.

A valid body is decoded in one native msgspec pass. Only when that pass rejects the body
are the per-field serializers run, on the same msgspec types, to name every bad field
by its path (``events[3].created_time``), up to ``MAX_REPORTED_ERRORS``.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import orjson
from django.conf import settings
from rest_framework import serializers

from reports.api.auth import request_owner
from reports.api.limits import request_shape_checked
from reports.errors import InvalidInput
from reports.report.contract import (
    CallbackUrl,
    EventIn,
    Identifier,
    IdleMinutes,
    StudentIn,
    TimezoneName,
    check_timezone,
    decode_students,
    parse_idle_minutes,
    split_error,
)
from reports.webhooks.callback import callback_url_check

MAX_REPORTED_ERRORS = 50


class MsgspecField(serializers.Field[Any, Any, Any, Any]):
    """A DRF field whose rule is a msgspec type."""

    _kwargs: dict[str, Any]  # the keyword arguments it was made with (DRF's Field.__new__)

    def __init__(self, type_: Any, **kwargs: Any) -> None:
        self.type_ = type_
        super().__init__(**kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> MsgspecField:
        # DRF deep-copies declared fields per serializer; msgspec types cannot be copied.
        return self.__class__(self.type_, **self._kwargs)

    def to_internal_value(self, data: Any) -> Any:
        try:
            return msgspec.convert(data, self.type_)
        except msgspec.ValidationError as exc:
            path, message = split_error(exc)
            if path:
                raise serializers.ValidationError({path: [message]}) from None
            raise serializers.ValidationError(message) from None

    def to_representation(self, value: Any) -> Any:
        return msgspec.to_builtins(value)


_EVENT_FIELDS = msgspec.structs.fields(EventIn)


def _event_errors(item: Any, prefix: str) -> dict[str, list[str]]:
    """Each bad field of one event, checked against EventIn's own field types."""
    if not isinstance(item, dict):
        return {prefix: [f"Expected an event object, got {type(item).__name__}."]}
    errors: dict[str, list[str]] = {}
    for field in _EVENT_FIELDS:
        if field.name not in item:
            errors[f"{prefix}.{field.name}"] = ["This field is required."]
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


class EventsField(serializers.Field[Any, Any, Any, Any]):
    """The events list: checked whole in one pass, then item by item to name each error."""

    default_error_messages = {
        "not_a_list": "Expected a list of events.",
        "empty": "At least one event is required.",
    }

    def to_internal_value(self, data: Any) -> list[EventIn]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not data:
            self.fail("empty")
        try:
            return msgspec.convert(data, list[EventIn])
        except msgspec.ValidationError:
            pass
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(data):
            errors.update(_event_errors(item, f"[{index}]"))
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        raise serializers.ValidationError(errors)

    def to_representation(self, value: Any) -> Any:
        return msgspec.to_builtins(value)


class StudentSerializer(serializers.Serializer[Any]):
    namespace = MsgspecField(Identifier, help_text="1-255 characters.")
    student_id = MsgspecField(Identifier, help_text="1-255 characters.")
    events = EventsField(help_text="A non-empty list of events.")
    idle_minutes = MsgspecField(
        IdleMinutes | None, required=False, help_text="0-10080; single-student bodies only."
    )
    callback_url = MsgspecField(
        CallbackUrl | None,
        required=False,
        help_text="Single-student bodies only (else ?callback_url=): an http(s) URL that "
        "gets a signed POST when the job ends.",
    )
    timezone = MsgspecField(
        TimezoneName | None,
        required=False,
        help_text="Single-student bodies only (else ?timezone=): the IANA time zone the "
        "report shows its times in, e.g. Europe/Berlin; default UTC.",
    )


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors -> {"events[3].created_time": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            key = str(key)
            if key == "non_field_errors":
                path = prefix
            elif key.startswith("["):
                path = prefix + key
            else:
                path = f"{prefix}.{key}" if prefix else key
            flat.update(_flatten(value, path))
    elif isinstance(errors, list) and errors and not isinstance(errors[0], (dict, list)):
        flat[prefix or "body"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for value in errors:
            flat.update(_flatten(value, prefix))
    else:
        flat[prefix or "body"] = [str(errors)]
    return flat


def explain_invalid(body: bytes, exc: msgspec.ValidationError) -> dict[str, list[str]]:
    """Every bad field of a body the fast path rejected, by path."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    errors: dict[str, list[str]] = {}
    if isinstance(data, dict):
        student = StudentSerializer(data=data)
        if not student.is_valid():
            errors = _flatten(student.errors)
    elif isinstance(data, list):
        if not data:
            errors = {"body": ["At least one student is required."]}
        for index, item in enumerate(data):
            student = StudentSerializer(data=item)
            if not student.is_valid():
                errors.update(_flatten(student.errors, f"[{index}]"))
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
    elif data is not None:
        errors = {"body": ["Expected a student object or a non-empty list of them."]}
    if (
        not errors
    ):  # the slow path agrees it is bad but found nothing to name: say what msgspec said
        path, message = split_error(exc)
        errors = {path or "body": [message]}
    return errors


class ReportRequestSerializer(serializers.Serializer[Any]):
    """The POST body: one student object or a non-empty list of them (raw JSON bytes in).

    ``idle_minutes`` comes from the ``?idle_minutes=`` query parameter (pass the request in
    the context), else from the body when it is one student object, else the default.
    ``callback_url`` likewise (``?callback_url=``, else the one object's field); it is
    checked here (``reports.webhooks.callback``) and present only when given.
    ``timezone`` likewise (``?timezone=``, else the one object's field, else UTC): an IANA
    name, or a 400 naming ``timezone``.
    """

    def _query_idle_minutes(self) -> float | None:
        request = self.context.get("request")
        text = request.query_params.get("idle_minutes") if request is not None else None
        if text is None:
            return None
        try:
            return parse_idle_minutes(text)
        except ValueError as exc:
            raise InvalidInput(
                "The idle_minutes query parameter is invalid.",
                errors={"idle_minutes": [str(exc)]},
            ) from None

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        idle_minutes = self._query_idle_minutes()
        request = self.context.get("request")
        callback_url = request.query_params.get("callback_url") if request is not None else None
        if not isinstance(data, bytes):
            raise InvalidInput("The request body must be JSON.")
        try:
            students = decode_students(data)
        except msgspec.ValidationError as exc:
            raise InvalidInput(
                "The request body is invalid.", errors=explain_invalid(data, exc)
            ) from None
        except msgspec.DecodeError as exc:
            raise InvalidInput(f"The request body is not valid JSON: {exc}.") from None
        except UnicodeDecodeError as exc:  # msgspec raises it for bad UTF-8 inside strings
            raise InvalidInput(f"The request body is not valid UTF-8: {exc.reason}.") from None
        except RecursionError:  # msgspec's answer to very deep nesting, even in ignored fields
            raise InvalidInput("The request body is nested too deeply.") from None
        one_object = len(students) == 1 and data.lstrip()[:1] == b"{"
        events = request_shape_checked(students, one_object=one_object).events
        if idle_minutes is None and one_object:
            idle_minutes = students[0].idle_minutes
        if callback_url is None and one_object:
            callback_url = students[0].callback_url
        # Only counts leave: the decoded events are freed here, before the body is stored
        # (the worker decodes the stored bytes again), which halves the peak on big bodies.
        validated: dict[str, Any] = {
            "student_count": len(students),
            "event_count": events,
            "idle_minutes": idle_minutes,
        }
        if callback_url is not None:
            owner = request_owner(request) if request is not None else None
            validated["callback_url"] = callback_url_check(callback_url, owner=owner or "")
        timezone = self._query("timezone")
        if timezone is None and one_object:
            timezone = students[0].timezone
        if timezone is not None:
            validated["timezone_name"] = _checked_timezone(timezone)
        return validated

    def _query(self, name: str) -> str | None:
        request = self.context.get("request")
        return request.query_params.get(name) if request is not None else None

    def to_representation(self, instance: Any) -> Any:
        return instance


def _checked_timezone(name: str) -> str:
    try:
        return check_timezone(name)
    except ValueError as exc:
        raise InvalidInput("The time zone is not known.", errors={"timezone": [str(exc)]}) from None


class WaitQuerySerializer(serializers.Serializer[Any]):
    """``?wait=<seconds>`` on the status URLs: 0 < wait <= REPORT_MAX_WAIT."""

    wait = serializers.FloatField(required=False)

    def validate_wait(self, value: float) -> float:
        limit = settings.REPORT_MAX_WAIT
        if not math.isfinite(value) or value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.")
        if value > limit:
            raise serializers.ValidationError(f"Ensure this value is at most {limit:g}.")
        return value


__all__ = ["ReportRequestSerializer", "StudentIn", "StudentSerializer", "WaitQuerySerializer"]
