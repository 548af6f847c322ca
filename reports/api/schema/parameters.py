"""The create operations' query and header parameters, each with its real rules (the
patterns and bounds of ``reports/report/contract.py``; the time zones' enum is added by
``complete.py``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from reports.report.contract import ATTENTION_RANGES, CALLBACK_URL_PATTERN, MAX_IDLE_MINUTES
from reports.report.languages import LANGUAGE_PATTERN
from reports.report.source import INPUT_FORMATS

CALLBACK_PARAMETER = OpenApiParameter(
    "callback_url",
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": 2048,
        "format": "uri",
        "pattern": CALLBACK_URL_PATTERN,
    },
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "An http(s) URL that gets a signed POST (`Report-Signature`) when the job ends; "
        "works for every body and wins over the body's `callback_url`. Stored normalised "
        "(IDNA host, percent-encoded path and query). Refused (400) when it cannot be "
        "normalised (control or whitespace characters, port 0 ...), when the API key has "
        "no webhook secret and the service no REPORT_WEBHOOK_SECRET, or when the host "
        "does not resolve or is not a public address."
    ),
)

IDLE_MINUTES_PARAMETER = OpenApiParameter(
    "idle_minutes",
    type={"type": "number", "minimum": 0, "maximum": MAX_IDLE_MINUTES},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "Gaps between a student's events longer than this many minutes are not active "
        "time; works for every body and wins over the body's `idle_minutes`. Default: "
        "the service's REPORT_IDLE_MINUTES."
    ),
)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    type={"type": "string", "pattern": r"^[!-~]{1,255}$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description="1-255 visible ASCII characters: a repeat of the request with it gets the "
    "first job back (`Idempotent-Replayed: true`); the same key with another request is a 422.",
)

TIMEZONE_PARAMETER = OpenApiParameter(
    "timezone",
    type={"type": "string", "minLength": 1, "maxLength": 64},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "The IANA time zone (e.g. `Europe/Berlin`) the report shows every time in; works "
        "for every body and wins over the body's `timezone`. Default UTC. An unknown name "
        "is a 400 naming `timezone`."
    ),
)

LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    type={"type": "string", "minLength": 1, "maxLength": 35, "pattern": LANGUAGE_PATTERN},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "The language of the report's words (HTML, PDF, the CSV's header row) and of its "
        "number and date formats: a BCP 47 tag whose language is `en` (the default), `de`, "
        "`es` or `hi` (`de-AT` is German). Works for every body and wins over the body's "
        "`language`; JSON keys stay English. Another language is a 400 naming `language`."
    ),
)

ATTENTION_PARAMETER = OpenApiParameter(
    "attention",
    type={
        "type": "object",
        "properties": {
            name: {
                "type": "integer" if isinstance(low, int) else "number",
                "minimum": low,
                "maximum": high,
            }
            for name, (low, high) in ATTENTION_RANGES.items()
        },
        "additionalProperties": False,
    },
    location=OpenApiParameter.QUERY,
    required=False,
    style="deepObject",
    explode=True,
    description=(
        "The attention rules' thresholds for this request, e.g. "
        "`?attention[stuck_runs]=5&attention[struggling_percentile]=80` (docs/report.md, "
        '"Attention flags"); works for every body, class lists included, and wins over '
        "the body's `attention`. An unknown name or a value out of range is a 400 naming "
        "`attention.<name>`."
    ),
)


INPUT_PARAMETER = OpenApiParameter(
    "input",
    type={"type": "string", "enum": ["json", *INPUT_FORMATS]},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "The body's format: `json` (this service's, the default), `progsnap2` (text/csv or "
        "application/zip), `xapi` or `caliper` (application/json); an "
        '`X-Experience-API-Version` header selects `xapi` too (docs/api.md, "Other input '
        "formats\"). The body is converted into this service's JSON before anything is "
        "stored; a media type the format is not read in is a 415, a body of which nothing "
        "maps a 422."
    ),
)
MAPPING_PARAMETER = OpenApiParameter(
    "mapping",
    type={"type": "string", "minLength": 1, "maxLength": 8192},
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "With ?input=: a mapping of the format's event kinds and fields as JSON, e.g. "
        '`{"types": {"Graded": null}}`, or the name of one of the service\'s '
        "REPORT_INPUT_MAPPINGS. A bad one is a 400 naming `mapping` or `mapping.<key>`."
    ),
)
NAMESPACE_PARAMETER = OpenApiParameter(
    "namespace",
    type={"type": "string", "minLength": 1, "maxLength": 255},
    location=OpenApiParameter.QUERY,
    required=False,
    description="With ?input=: every student's namespace (default: the format's).",
)

CREATE_PARAMETERS = [
    ATTENTION_PARAMETER,
    CALLBACK_PARAMETER,
    IDLE_MINUTES_PARAMETER,
    IDEMPOTENCY_KEY_PARAMETER,
    INPUT_PARAMETER,
    LANGUAGE_PARAMETER,
    MAPPING_PARAMETER,
    NAMESPACE_PARAMETER,
    TIMEZONE_PARAMETER,
]
