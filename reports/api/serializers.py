"""DRF serializers of the API: the request body's OpenAPI shape, and ``?wait=``.

The request's rules are not here: ``reports.report.request.request_parse`` applies them.
``StudentSerializer`` and ``ReportRequestSerializer`` only describe the body for the
schema, their fields drawn from the same msgspec types (``schema_bodies.py``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import msgspec
from django.conf import settings
from rest_framework import serializers

from reports.report.contract import (
    CallbackUrl,
    EventIn,
    Identifier,
    IdleMinutes,
    TimezoneName,
)


class MsgspecField(serializers.Field[Any, Any, Any, Any]):
    """A field of the schema whose shape is a msgspec type."""

    _kwargs: dict[str, Any]  # the keyword arguments it was made with (DRF's Field.__new__)

    def __init__(self, type_: Any, **kwargs: Any) -> None:
        self.type_ = type_
        super().__init__(**kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> MsgspecField:
        # DRF deep-copies declared fields per serializer; msgspec types cannot be copied.
        return self.__class__(self.type_, **self._kwargs)


class StudentSerializer(serializers.Serializer[Any]):
    """One student object (``contract.StudentIn``)."""

    namespace = MsgspecField(Identifier, help_text="1-255 characters.")
    student_id = MsgspecField(Identifier, help_text="1-255 characters.")
    events = MsgspecField(
        Annotated[list[EventIn], msgspec.Meta(min_length=1)],
        help_text="A non-empty list of events.",
    )
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


class ReportRequestSerializer(serializers.Serializer[Any]):
    """The POST body's shape: one student object or a non-empty list of them
    (``schema_bodies.ReportRequestExtension``)."""


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


__all__ = ["ReportRequestSerializer", "StudentSerializer", "WaitQuerySerializer"]
