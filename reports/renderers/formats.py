"""Numbers, percentages, times and durations in the report's language: one truth per
concept for the HTML, the PDF and the CSV (docs/report.md, "Languages").

Every function formats for the active Django language (the renderers run inside
``i18n.override(report.language)``). English keeps the report's established
forms (ISO times, ``1 h 05 min``, counts ungrouped but in a few sentences) on a fast
path of plain Python; the other languages
take Babel's (CLDR's) patterns: their decimal sign and grouping (de ``1.234,5``, hi
``1,23,456``), their percent sign and their medium date and time.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, parse_pattern
from babel.numbers import NumberPattern, format_decimal, format_percent

from reports.renderers.i18n import get_language, pgettext
from reports.report.languages import DEFAULT_LANGUAGE
from reports.report.timeline import Timeline


@dataclass(frozen=True, slots=True)
class Style:
    """One language's formats, made once per process."""

    language: str
    locale: Locale
    plain: bool  # English: the report's own forms, no Babel on the way
    moment: DateTimePattern  # date and time to the second
    moment_ms: DateTimePattern  # the same to the millisecond
    tick: DateTimePattern  # an axis label: the time
    tick_day: DateTimePattern  # an axis label with the day
    day: str  # duration units, as the report abbreviates them
    hour: str
    minute: str
    second: str


def _pattern(locale: Locale, width: str, fraction: bool = False) -> DateTimePattern:
    date = locale.date_formats[width].pattern
    time = locale.time_formats[width].pattern
    if fraction:  # seconds with milliseconds, after the language's decimal sign
        time = time.replace("ss", f"ss{locale.number_symbols['latn']['decimal']}SSS")
    return parse_pattern(
        str(locale.datetime_formats[width]).replace("{1}", date).replace("{0}", time)
    )


@cache
def _style(language: str) -> Style:
    locale = Locale.parse(language)
    short_time = locale.time_formats["short"].pattern
    return Style(
        language=language,
        locale=locale,
        plain=language == DEFAULT_LANGUAGE,
        moment=_pattern(locale, "medium"),
        moment_ms=_pattern(locale, "medium", fraction=True),
        tick=parse_pattern(short_time),
        tick_day=parse_pattern(f"{locale.datetime_skeletons['MMMd'].pattern} {short_time}"),
        # Translators: a unit of a duration, abbreviated: "2 d 03 h" (days).
        day=pgettext("duration", "d"),
        # Translators: a unit of a duration, abbreviated: "1 h 05 min" (hours).
        hour=pgettext("duration", "h"),
        # Translators: a unit of a duration, abbreviated: "5 min 03 s" (minutes).
        minute=pgettext("duration", "min"),
        # Translators: a unit of a duration, abbreviated: "42 s" (seconds).
        second=pgettext("duration", "s"),
    )


def style() -> Style:
    """The active language's formats (English outside any ``i18n.override``)."""
    return _style(get_language())


def fmt_int(n: int, group: bool = False) -> str:
    """A count with the language's grouping: '1.234' (de), '1,23,456' (hi); English
    groups only with ``group`` (a sentence's '20,000 cells'), its tables and the CSV as
    they always were ('1234')."""
    if -1000 < n < 1000:  # every report language writes these with ASCII digits as they are
        return str(n)
    s = style()
    if s.plain:
        return f"{n:,}" if group else str(n)
    return format_decimal(n, locale=s.locale)


def fmt_number(value: float, digits: int, trim: bool = False) -> str:
    """``value`` with ``digits`` decimals ('0.73', '0,73'); ``trim``: up to that many,
    a whole number without them ('2.5', '3')."""
    s = style()
    if s.plain:
        text = f"{value:.{digits}f}"
        return text.rstrip("0").rstrip(".") if trim and "." in text else text
    return str(_decimals(s.language, digits, trim).apply(value, s.locale))


@cache
def _decimals(language: str, digits: int, trim: bool) -> NumberPattern:
    """The language's decimal pattern (its grouping: hi groups by two above the
    thousands) with ``digits`` decimals, or up to them with ``trim``."""
    pattern: NumberPattern = copy(_style(language).locale.decimal_formats[None])
    pattern.frac_prec = (0 if trim else digits, digits)
    return pattern


def fmt_percent(share: float) -> str:
    """A share (0..1) as a whole percentage: '33%', de '33 %'."""
    s = style()
    if s.plain:
        return f"{share:.0%}"
    return format_percent(share, locale=s.locale)


def counted(template: str, n: int) -> str:
    """An ``ngettext`` result with its ``%(count)s`` filled in:
    ``counted(ngettext("%(count)s event", "%(count)s events", n), n)``."""
    return template % {"count": fmt_int(n)}


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment on the zone's clock (the model keeps UTC); at the very ends of the
    calendar, where the zone's clock would leave year 1-9999, it stays in UTC."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def fmt_time(moment: datetime, zone: ZoneInfo) -> str:
    """The moment on the zone's clock, to the millisecond when it has a fraction: English
    '2024-03-05 14:03:07.123', German '05.03.2024, 14:03:07,123'. Outside UTC it carries
    the zone's abbreviation (CET, CEST), which tells the offsets on either side of a
    daylight-saving change apart, and the two 02:30s of an autumn night."""
    shown, s = local(moment, zone), style()
    if s.plain:
        text = shown.strftime("%Y-%m-%d %H:%M:%S")
        if shown.microsecond:
            text += f".{shown.microsecond // 1000:03d}"
    else:
        text = (s.moment_ms if shown.microsecond else s.moment).apply(shown, s.locale)
    if zone.key != "UTC":
        text += f" {shown.tzname()}"
    return text


def fmt_moment(moment: datetime, zone: ZoneInfo) -> str:
    """``fmt_time`` for a sentence: always says which clock (``… UTC`` in UTC)."""
    text = fmt_time(moment, zone)
    return f"{text} UTC" if zone.key == "UTC" else text


def fmt_tick(moment: datetime, timeline: Timeline, zone: ZoneInfo) -> str:
    """Axis labels: the time on the zone's clock, with the date when the chart spans more
    than one day there."""
    first, last = timeline.segments[0].start, timeline.segments[-1].end
    shown, s = local(moment, zone), style()
    one_day = local(first, zone).date() == local(last, zone).date()
    if s.plain:
        return shown.strftime("%H:%M" if one_day else "%d %b %H:%M")
    return (s.tick if one_day else s.tick_day).apply(shown, s.locale)


def fmt_duration(seconds: float) -> str:
    """'1 h 05 min', '5 min 03 s', '42 s' (the units in the report's language)."""
    s = style()
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{fmt_int(hours)} {s.hour} {minutes:02d} {s.minute}"
    if minutes:
        return f"{minutes} {s.minute} {secs:02d} {s.second}"
    return f"{secs} {s.second}"


def fmt_gap(seconds: float) -> str:
    """A long idle stretch: '2 d 03 h', '5 h 10 min'."""
    if seconds >= 86400:
        s = style()
        days, rest = divmod(round(seconds), 86400)
        return f"{fmt_int(days)} {s.day} {rest // 3600:02d} {s.hour}"
    return fmt_duration(seconds)


def fmt_minutes(minutes: float) -> str:
    """A threshold in minutes: '30 min', '7.5 min' ('7,5 Min.')."""
    s = style()
    number = f"{minutes:g}" if s.plain else fmt_number(minutes, 3, trim=True)
    return f"{number} {s.minute}"
