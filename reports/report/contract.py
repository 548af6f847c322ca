"""The input contract: what a report request looks like. The one definition of it.

The msgspec types below are the rules. The fast path decodes a request body straight
into them in one native pass; ``invalid.py`` reuses the same types field by field to name
every bad field when a body is rejected, and ``request.py`` applies the rest of a
request's rules (the query, the limits, the time zone, the callback URL). The worker
decodes the stored body with the same types, so what the API accepted is what it reads.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from reports.report.languages import LanguageTag

MAX_TEXT = 255

# Identifiers end up in headers, file names and PostgreSQL text/JSON (which cannot hold
# NUL), so NUL is refused here; event fields only reach the escaped report text.
Identifier = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_TEXT,
        pattern=r"^[^\x00]+$",
        description="1-255 characters, no NUL character.",
    ),
]
EventText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
# The years a created_time may be written in, in its own offset (the date as the client
# wrote it). Why these: its UTC instant is then within a day of it, and so is the same
# instant on any IANA zone's clock (the report's ``timezone``), so no conversion can leave
# Python's datetime (years 1-9999: "date value out of range" was a job failing after a 202);
# every renderer writes four-digit years (strftime pads none below 1000); and no learning
# activity happened before 1900 or is due after 2100: such a time is a client's default or
# sentinel (0001-01-01, 9999-12-31), refused at submit rather than drawn as a
# ten-thousand-year chart. docs/api.md says the same.
MIN_EVENT_YEAR, MAX_EVENT_YEAR = 1900, 2100
# msgspec accepts RFC 3339 with a space or a T and a missing offset (read as UTC); the
# schema says date-time so that generated clients and property-based tests send one.
# What msgspec accepts, in the years ``EventIn.__post_init__`` allows: the schema says both
# (a property-based test that takes the schema at its word then sends only such times).
EVENT_TIME_PATTERN = (
    rf"^(19[0-9]{{2}}|20[0-9]{{2}}|{MAX_EVENT_YEAR})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
EventTime = Annotated[
    datetime,
    msgspec.Meta(
        description="ISO-8601 / RFC 3339 date-time; `T` or a space between date and time; "
        f"no offset means UTC; written in the years {MIN_EVENT_YEAR}-{MAX_EVENT_YEAR}.",
        extra_json_schema={"format": "date-time", "pattern": EVENT_TIME_PATTERN},
    ),
]
# JSON integers are accepted as units; Python's int has no bound, so keep them sane.
UnitNumber = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
# The optional outcome fields (docs/api.md, "Outcomes and scores"): read on a run
# (``outcome``, ``error_type``, ``error_line``) and on a submission (``score``), ignored on
# other types; every one validated wherever it appears.
Outcome = Annotated[
    Literal["ok", "error"],
    msgspec.Meta(description="A run's result: `ok`, or `error` (it did not compile or run)."),
]
ErrorType = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_TEXT,
        description="A run's error, e.g. `SyntaxError`: two errors are the same error "
        "when these texts are equal.",
    ),
]
ErrorLine = Annotated[
    int, msgspec.Meta(ge=1, le=2**31 - 1, description="The line of a run's error (1 = first).")
]
Score = Annotated[
    float,
    msgspec.Meta(ge=0, le=1, description="A submission's score, 0 to 1; 1 is correct."),
]


class EventIn(msgspec.Struct, frozen=True, gc=False):
    """One thing a student did. Unknown extra fields are ignored; the outcome fields are
    optional (an event without them is as before)."""

    type: EventText
    created_time: EventTime
    unit: Annotated[
        EventText | UnitNumber,
        msgspec.Meta(description='The question: 17 and "17" are the same unit.'),
    ]
    outcome: Outcome | None = None
    error_type: ErrorType | None = None
    error_line: ErrorLine | None = None
    score: Score | None = None

    def __post_init__(self) -> None:
        # Every decoder of EventIn runs this (the web's fast path and its per-field
        # explanation, the worker's sliced decoder): msgspec turns the ValueError into a
        # ValidationError at this event's path, and ``split_error`` adds the field's name.
        year = self.created_time.year
        if year < MIN_EVENT_YEAR or year > MAX_EVENT_YEAR:
            raise ValueError(
                f"`created_time`: {self.created_time.isoformat()} is outside the years "
                f"{MIN_EVENT_YEAR}-{MAX_EVENT_YEAR} a report can show"
            )


# The idle threshold (minutes) of one request: gaps longer than this are not active time.
MAX_IDLE_MINUTES = 7 * 24 * 60
IdleMinutes = Annotated[float, msgspec.Meta(ge=0, le=MAX_IDLE_MINUTES)]
# What the schema promises a callback URL may be written as: http(s), a host name or IPv4
# address, a port 1-65535, and a path and query of the characters that stand as themselves
# (so the stored, normalised URL is as long as the one given). The check itself is
# ``reports.webhooks.callback.callback_url_check``, which also refuses a host that does not
# resolve or is not public: the 400 the operations document.
_PORT = "6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}"
_LABEL = "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
CALLBACK_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://{_LABEL}(\.{_LABEL})*(:({_PORT}))?"
    r"([/?][A-Za-z0-9/:@!$&'()*+,;=._~?-]*)?$"
)
CallbackUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2048,
        description="An http(s) URL to POST the job's signed event to when it ends; in "
        "ASCII (an internationalised host in its xn-- form). Refused (400 naming "
        "`callback_url`) when its host does not resolve or is not a public address, or "
        "when the service has no webhook secret for the API key.",
        extra_json_schema={"format": "uri", "pattern": CALLBACK_URL_PATTERN},
    ),
]

# The IANA name of the time zone the report shows its times in (checked by ``check_timezone``).
TimezoneName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description='An IANA time zone name, e.g. "Europe/Berlin"; the default is UTC.',
    ),
]
DEFAULT_TIMEZONE = "UTC"


# The attention rules' thresholds (reports/report/attention.py): each one's allowed range.
ATTENTION_RANGES: dict[str, tuple[float, float]] = {
    "struggling_percentile": (0.0, 100.0),
    "struggling_minutes": (0.0, 10_080.0),
    "struggling_floor_minutes": (0.0, 10_080.0),
    "stuck_runs": (1, 1_000_000),
    "stuck_errors": (1, 1_000_000),
    "submitted_share": (0.0, 1.0),
    "late_burst_share": (0.0, 1.0),
    "late_burst_minutes": (1.0, 10_080.0),
    "long_gap_minutes": (1.0, 525_600.0),
}


_Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
_Share = Annotated[float, msgspec.Meta(ge=0, le=1)]
_Minutes = Annotated[float, msgspec.Meta(ge=0, le=10_080)]
_Window = Annotated[float, msgspec.Meta(ge=1, le=10_080)]
_Gap = Annotated[float, msgspec.Meta(ge=1, le=525_600)]
_Runs = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class AttentionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A request's attention thresholds over the service's (docs/report.md, "Attention
    flags"); an unknown name or a value out of its range (``ATTENTION_RANGES``) is a 400
    naming it."""

    struggling_percentile: _Percent | None = None
    struggling_minutes: _Minutes | None = None
    struggling_floor_minutes: _Minutes | None = None
    stuck_runs: _Runs | None = None
    stuck_errors: _Runs | None = None
    submitted_share: _Share | None = None
    late_burst_share: _Share | None = None
    late_burst_minutes: _Window | None = None
    long_gap_minutes: _Gap | None = None


class StudentIn(msgspec.Struct, frozen=True):
    """One student's events. Unknown extra fields are ignored."""

    namespace: Identifier
    student_id: Identifier
    events: Annotated[list[EventIn], msgspec.Meta(min_length=1)]
    # Read only when the body is this one object; the ``?idle_minutes=`` query parameter
    # works for every body and wins over this field.
    idle_minutes: IdleMinutes | None = None
    # Likewise: where to POST the job's event when it ends (``?callback_url=`` wins).
    callback_url: CallbackUrl | None = None
    # Likewise: the time zone the report's times are shown in (``?timezone=`` wins).
    timezone: TimezoneName | None = None
    # Likewise: the attention rules' thresholds over the service's settings.
    attention: AttentionIn | None = None
    # Likewise: the language of the report's words and formats (``?language=`` wins).
    language: LanguageTag | None = None


StudentList = Annotated[list[StudentIn], msgspec.Meta(min_length=1)]
RequestBody = StudentIn | StudentList

_decoder = msgspec.json.Decoder(RequestBody)
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def decode_students(body: bytes) -> list[StudentIn]:
    """Decode and validate a request body; raises msgspec.DecodeError/ValidationError,
    UnicodeDecodeError for invalid UTF-8 inside a string, RecursionError for deep nesting."""
    decoded = _decoder.decode(body)
    return [decoded] if isinstance(decoded, StudentIn) else decoded


def parse_idle_minutes(text: str) -> float:
    """The ``?idle_minutes=`` query parameter; raises ValueError naming the rule broken."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"Expected a number, got {text!r}") from None
    try:
        return msgspec.convert(value, IdleMinutes)
    except msgspec.ValidationError as exc:
        raise ValueError(split_error(exc)[1]) from None


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA names this server knows (its time zone database): the schema's enum."""
    # "localtime" (a link to the server's own zone on some systems) names no IANA zone.
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def check_timezone(name: str) -> str:
    """An IANA time zone name (exactly as the database spells it), or ValueError."""
    if name not in known_timezones():
        shown = name if len(name) <= 64 else name[:64] + "…"
        raise ValueError(
            f"Unknown time zone {shown!r}: expected an IANA name such as 'Europe/Berlin'."
        )
    return name


# A struct's own rule names its field first (``EventIn.__post_init__``): "`field`: message".
_FIELD = re.compile(r"^`(?P<field>\w+)`: (?P<message>.*)$", re.DOTALL)


def split_error(exc: msgspec.ValidationError) -> tuple[str, str]:
    """'Expected `int` - at `$[0].events[3].unit`' -> ('[0].events[3].unit', 'Expected `int`');
    '`created_time`: ... - at `$.events[0]`' -> ('events[0].created_time', '...')."""
    text = str(exc)
    match = _PATH.search(text)
    path, message = ("", text) if not match else (match.group("path"), text[: match.start()])
    field = _FIELD.match(message)
    if field:
        path, message = f"{path}.{field.group('field')}", field.group("message")
    return path.lstrip("."), message


def unit_key(unit: str | int) -> str:
    """17 and "17" are the same unit."""
    return str(unit) if isinstance(unit, int) else unit


_INTEGER = re.compile(r"-?[0-9]+")


def unit_sort_key(unit: str) -> tuple[int, int, str]:
    """Integer units by value ("2" < "9" < "10"), then every other unit in string order."""
    if _INTEGER.fullmatch(unit):
        return (0, int(unit), unit)
    return (1, 0, unit)
