"""Formatting shared by both renderers, so the HTML and the PDF say the same thing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from reports.report.model import ClassSummary, Report, StudentReport
from reports.report.timeline import Mark, Timeline

# Okabe-Ito: distinguishable with every common colour-vision deficiency. Yellow is last
# because it is the hardest to see on white. Both renderers colour event types from here.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)


def type_colour(index: int) -> str:
    """The colour of event type ``index`` (an index into Report.event_types)."""
    return PALETTE[index % len(PALETTE)]


def rgb(colour: str) -> tuple[float, float, float]:
    return (int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255, int(colour[5:7], 16) / 255)


def student_type_colours(report: Report, student: StudentReport) -> list[str]:
    """Colours of the student's types, the same type getting the same colour everywhere."""
    index = {name: i for i, name in enumerate(report.event_types)}
    return [type_colour(index[name]) for name in student.event_types]


def mark_scale(events: int, largest: int) -> float:
    """From 0 (one event) to 1 (the chart's biggest mark), by the square root of the count."""
    if largest <= 1:
        return 0.0
    return float(((events - 1) / (largest - 1)) ** 0.5)  # float ** float is typed Any


def stacked(mark: Mark, height: float) -> list[tuple[int, float, float]]:
    """A folded mark's bar, bottom up: (type index, offset from the bottom, height)."""
    out, offset = [], 0.0
    for event_type, count in mark.by_type:
        part = height * count / mark.events
        out.append((event_type, offset, part))
        offset += part
    return out


UTC_ZONE = ZoneInfo("UTC")
ALT_QUESTIONS = 12  # questions named in a chart's text alternative; the table has them all


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment on the zone's clock (the model keeps UTC); at the very ends of the
    calendar, where the zone's clock would leave year 1-9999, it stays in UTC."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def fmt_tick(moment: datetime, timeline: Timeline, zone: ZoneInfo) -> str:
    """Axis labels: the time on the zone's clock, with the date when the chart spans more
    than one day there."""
    first, last = timeline.segments[0].start, timeline.segments[-1].end
    shown = local(moment, zone)
    if local(first, zone).date() == local(last, zone).date():
        return shown.strftime("%H:%M")
    return shown.strftime("%d %b %H:%M")


def count(n: int, word: str, plural: str | None = None) -> str:
    """'1 event', '2 events'."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def report_summary(report: Report) -> str:
    """The sentence under the title, the same in both formats."""
    zone = report.zone
    return (
        f"{count(report.event_count, 'event')}, last activity "
        f"{fmt_moment(report.last_activity, zone)}. All times are in the time zone "
        f"{zone.key}. Active time counts the gaps between events of at most "
        f"{fmt_minutes(report.idle_minutes)}."
    )


def timeline_summary(student: StudentReport, idle_minutes: float, zone: ZoneInfo) -> str:
    """The chart's text alternative."""
    tl = student.timeline
    parts = [
        f"Timeline of {count(student.event_count, 'event')} on "
        f"{count(len(student.questions), 'question')} "
        f"from {fmt_time(student.first, zone)} to {fmt_moment(student.last, zone)}."
    ]
    if tl.breaks:
        longest = max(b.seconds for b in tl.breaks)
        stretches = "1 idle stretch" if len(tl.breaks) == 1 else f"{len(tl.breaks)} idle stretches"
        verb = "is" if len(tl.breaks) == 1 else "are"
        parts.append(
            f"{stretches} longer than {fmt_minutes(idle_minutes)} {verb} compressed and marked "
            f"with its length (longest {fmt_gap(longest)})."
        )
    if tl.max_events_per_mark > 1:
        parts.append(
            f"Nearby events on one question are drawn as one bar "
            f"({len(tl.marks)} marks, up to {tl.max_events_per_mark} events each; "
            "taller bars hold more events, their colours show the mix of types)."
        )
    return " ".join(parts)


def timeline_alt(report: Report, student: StudentReport) -> str:
    """What the timeline shows, in words: ``timeline_summary``, then the events per
    question, the longest gap and the event types (the PDF's Figure /Alt)."""
    per = ", ".join(f"{q.alias} {q.events}" for q in student.questions[:ALT_QUESTIONS])
    more = len(student.questions) - ALT_QUESTIONS
    if more > 0:
        per += f" and {count(more, 'more question')} (in the Questions table)"
    parts = [
        timeline_summary(student, report.idle_minutes, report.zone),
        f"Events per question: {per}.",
        f"Event types by colour: {', '.join(student.event_types)}.",
    ]
    if student.event_count > 1:
        parts.insert(2, f"Longest gap between two events: {fmt_gap(student.longest_idle_seconds)}.")
    return " ".join(parts)


def heat_map_alt(summary: ClassSummary, columns: range) -> str:
    """What a heat map (of the units ``columns``) shows, in words: its size, and its
    busiest and quietest units (the PDF's Figure /Alt)."""
    totals, people = summary.unit_totals, summary.unit_students
    ends = [max(columns, key=totals.__getitem__), min(columns, key=totals.__getitem__)]
    text = (
        f"Heat map of events per student and unit: {count(len(summary.students), 'student')} "
        f"in rows, {count(len(columns), 'unit')} in columns, each cell shaded by its count "
        "(darker is more) and showing it."
    )
    for label, u in zip(("Busiest", "Quietest"), ends[: 1 + (ends[0] != ends[1])], strict=False):
        events, students = count(totals[u], "event"), count(people[u], "student")
        text += f" {label} unit: {summary.units[u]} ({events}, {students})."
    return text


def fmt_gap(seconds: float) -> str:
    """A long idle stretch: '2 d 03 h', '5 h 10 min'."""
    if seconds >= 86400:
        days, rest = divmod(round(seconds), 86400)
        return f"{days} d {rest // 3600:02d} h"
    return fmt_duration(seconds)


def fmt_minutes(minutes: float) -> str:
    return f"{minutes:g} min"


def fmt_time(moment: datetime, zone: ZoneInfo) -> str:
    """The moment on the zone's clock, to the millisecond when it has a fraction. Outside
    UTC it carries the zone's abbreviation (CET, CEST), which tells the offsets on either
    side of a daylight-saving change apart, and the two 02:30s of an autumn night."""
    shown = local(moment, zone)
    text = shown.strftime("%Y-%m-%d %H:%M:%S")
    if shown.microsecond:
        text += f".{shown.microsecond // 1000:03d}"
    if zone.key != "UTC":
        text += f" {shown.tzname()}"
    return text


def fmt_moment(moment: datetime, zone: ZoneInfo) -> str:
    """``fmt_time`` for a sentence: always says which clock (``… UTC`` in UTC)."""
    text = fmt_time(moment, zone)
    return f"{text} UTC" if zone.key == "UTC" else text


def time_header(label: str, zone: ZoneInfo) -> str:
    """A time column's heading names the zone: 'First (UTC)', 'First (Europe/Berlin)'."""
    return f"{label} ({zone.key})"


def fmt_duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def student_facts(student: StudentReport, zone: ZoneInfo) -> list[tuple[str, str]]:
    """The student's totals, label and value."""
    return [
        ("Events", str(student.event_count)),
        ("Questions", str(len(student.questions))),
        ("Active time", fmt_duration(student.active_seconds)),
        ("First activity", fmt_moment(student.first, zone)),
        ("Last activity", fmt_moment(student.last, zone)),
    ]


def visit_path(student: StudentReport, arrow: str = " → ") -> str:
    """Consecutive events on one question folded into one visit: 'Q1 (3) → Q2 → Q1 (2)'."""
    aliases = [q.alias for q in student.questions]
    return arrow.join(
        aliases[v.question] if v.events == 1 else f"{aliases[v.question]} ({v.events})"
        for v in student.visits
    )


def class_table(report: Report) -> tuple[list[str], list[list[str]]]:
    """One row per student, in input order."""
    zone = report.zone
    header = [
        "Student",
        "Events",
        "Questions",
        "Active time",
        time_header("First", zone),
        time_header("Last", zone),
    ]
    rows = [
        [
            s.student_id,
            str(s.event_count),
            str(len(s.questions)),
            fmt_duration(s.active_seconds),
            fmt_time(s.first, zone),
            fmt_time(s.last, zone),
        ]
        for s in report.students
    ]
    return header, rows


def unit_table(report: Report) -> tuple[list[str], list[list[str]]]:
    """The class overview's units when the heat map is over its budget: one row per unit."""
    summary = report.class_summary
    rows = [
        [unit, str(students), str(events)]
        for unit, students, events in zip(
            summary.units, summary.unit_students, summary.unit_totals, strict=True
        )
    ]
    return ["Unit", "Students", "Events"], rows


def heat_map_omitted(report: Report) -> str:
    """Why a class report lists its units instead of drawing the heat map."""
    summary = report.class_summary
    return (
        f"The heat map of events per student and unit is drawn for up to "
        f"{summary.heat_map_cells:,} cells; this class has {len(summary.students):,} "
        f"students and {len(summary.units):,} units, {summary.cells:,} cells. Each student's "
        "events per unit are in their own section and in the report's data (…/data)."
    )
