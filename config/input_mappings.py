"""Named mappings for bodies in other formats (``?mapping=<name>``): ``REPORT_INPUT_MAPPINGS``,
a JSON object of name → mapping (docs/api.md, "Other input formats"), each checked here so
that a bad one stops the service at start instead of failing its clients' requests."""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from reports.errors import InvalidInput
from reports.inputs.mapping import parse_mapping


def input_mappings() -> dict[str, dict[str, Any]]:
    text = os.environ.get("REPORT_INPUT_MAPPINGS", "").strip()
    if not text:
        return {}
    try:
        named = json.loads(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"REPORT_INPUT_MAPPINGS is not JSON: {exc}") from None
    if not isinstance(named, dict) or not all(isinstance(m, dict) for m in named.values()):
        raise ImproperlyConfigured("REPORT_INPUT_MAPPINGS must be an object of name → mapping")
    for name, mapping in named.items():
        try:
            parse_mapping(mapping)
        except InvalidInput as exc:
            raise ImproperlyConfigured(
                f"REPORT_INPUT_MAPPINGS[{name!r}] is invalid: {exc.errors}"
            ) from None
    return named
