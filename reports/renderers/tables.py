"""Formatting shared by both renderers, so the HTML and the PDF say the same thing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reports.renderers.formats import (
    counted,
    fmt_duration,
    fmt_gap,
    fmt_int,
    fmt_minutes,
    fmt_moment,
    fmt_time,
)
from reports.renderers.i18n import gettext as _
from reports.renderers.i18n import ngettext, pgettext
from reports.report.model import ClassSummary, Report, StudentReport
from reports.report.timeline import Mark

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


def report_summary(report: Report) -> str:
    """The sentences under the title, the same in both formats."""
    zone = report.zone
    summary = _(
        "%(events)s, last activity %(moment)s. All times are in the time zone %(zone)s. "
        "Active time counts the gaps between events of at most %(minutes)s."
    ) % {
        "events": _events(report.event_count),
        "moment": fmt_moment(report.last_activity, zone),
        "zone": zone.key,
        "minutes": fmt_minutes(report.idle_minutes),
    }
    ignored = ignored_note(report)
    return f"{summary} {ignored}" if ignored else summary


_REASONS_SHOWN = 5


def ignored_note(report: Report) -> str:
    """What of a body in another format mapped to no event (docs/api.md, "Other input
    formats"); "" when nothing was ignored. The reasons stay in the input's own words."""
    source = report.source
    if source is None or not source.ignored:
        return ""
    reasons = [f"{reason} ({fmt_int(count)})" for reason, count in source.ignored_by]
    more = len(reasons) - _REASONS_SHOWN
    listed = "; ".join(reasons[:_REASONS_SHOWN])
    if more > 0:
        listed += "; " + counted(
            ngettext("%(count)s more reason", "%(count)s more reasons", more), more
        )
    return ngettext(
        "%(count)s event of the input maps to no event the report reads and is not in it: "
        "%(reasons)s.",
        "%(count)s events of the input map to no event the report reads and are not in it: "
        "%(reasons)s.",
        source.ignored,
    ) % {"count": fmt_int(source.ignored), "reasons": listed}


def _events(n: int) -> str:
    return counted(ngettext("%(count)s event", "%(count)s events", n), n)


def _students(n: int) -> str:
    return counted(ngettext("%(count)s student", "%(count)s students", n), n)


def timeline_summary(student: StudentReport, idle_minutes: float, zone: ZoneInfo) -> str:
    """The chart's text alternative."""
    tl, n = student.timeline, len(student.questions)
    parts = [
        _("Timeline of %(events)s on %(questions)s from %(start)s to %(end)s.")
        % {
            "events": _events(student.event_count),
            "questions": counted(ngettext("%(count)s question", "%(count)s questions", n), n),
            "start": fmt_time(student.first, zone),
            "end": fmt_moment(student.last, zone),
        }
    ]
    if tl.breaks:
        stretches = len(tl.breaks)
        parts.append(
            ngettext(
                "%(count)s idle stretch longer than %(minutes)s is compressed and marked "
                "with its length (longest %(longest)s).",
                "%(count)s idle stretches longer than %(minutes)s are compressed and marked "
                "with its length (longest %(longest)s).",
                stretches,
            )
            % {
                "count": fmt_int(stretches),
                "minutes": fmt_minutes(idle_minutes),
                "longest": fmt_gap(max(b.seconds for b in tl.breaks)),
            }
        )
    if tl.max_events_per_mark > 1:
        parts.append(
            _(
                "Nearby events on one question are drawn as one bar (%(marks)s marks, up to "
                "%(most)s events each; taller bars hold more events, their colours show the "
                "mix of types)."
            )
            % {"marks": fmt_int(len(tl.marks)), "most": fmt_int(tl.max_events_per_mark)}
        )
    return " ".join(parts)


def timeline_alt(report: Report, student: StudentReport) -> str:
    """What the timeline shows, in words: ``timeline_summary``, then the events per
    question, the longest gap and the event types (the PDF's Figure /Alt)."""
    per = ", ".join(f"{q.alias} {fmt_int(q.events)}" for q in student.questions[:ALT_QUESTIONS])
    more = len(student.questions) - ALT_QUESTIONS
    if more > 0:
        per = ngettext(
            "%(list)s and %(count)s more question (in the Questions table)",
            "%(list)s and %(count)s more questions (in the Questions table)",
            more,
        ) % {"list": per, "count": fmt_int(more)}
    parts = [
        timeline_summary(student, report.idle_minutes, report.zone),
        _("Events per question: %(list)s.") % {"list": per},
        _("Event types by colour: %(types)s.") % {"types": ", ".join(student.event_types)},
    ]
    if student.event_count > 1:
        gap = fmt_gap(student.longest_idle_seconds)
        parts.insert(2, _("Longest gap between two events: %(gap)s.") % {"gap": gap})
    return " ".join(parts)


def heat_map_alt(summary: ClassSummary, columns: range) -> str:
    """What a heat map (of the units ``columns``) shows, in words: its size, and its
    busiest and quietest units (the PDF's Figure /Alt)."""
    totals, people = summary.unit_totals, summary.unit_students
    ends = [max(columns, key=totals.__getitem__), min(columns, key=totals.__getitem__)]
    units = len(columns)
    text = _(
        "Heat map of events per student and unit: %(students)s in rows, %(units)s in "
        "columns, each cell shaded by its count (darker is more) and showing it."
    ) % {
        "students": _students(len(summary.students)),
        "units": counted(ngettext("%(count)s unit", "%(count)s units", units), units),
    }
    labels = (
        _("Busiest unit: %(unit)s (%(events)s, %(students)s)."),
        _("Quietest unit: %(unit)s (%(events)s, %(students)s)."),
    )
    for label, u in zip(labels, ends[: 1 + (ends[0] != ends[1])], strict=False):
        values = {"unit": summary.units[u], "events": _events(totals[u])}
        text += " " + label % {**values, "students": _students(people[u])}
    return text


def time_header(label: str, zone: ZoneInfo) -> str:
    """A time column's heading names the zone: 'First (UTC)', 'First (Europe/Berlin)'."""
    return f"{label} ({zone.key})"


def first_header(zone: ZoneInfo) -> str:
    return time_header(pgettext("column: the time of the first event", "First"), zone)


def last_header(zone: ZoneInfo) -> str:
    return time_header(pgettext("column: the time of the last event", "Last"), zone)


def student_heading(student: StudentReport) -> str:
    """A student's section heading, and the PDF's footer on their pages."""
    return _("Student ID: %(student)s") % {"student": student.student_id}


def student_facts(student: StudentReport, zone: ZoneInfo) -> list[tuple[str, str]]:
    """The student's totals, label and value."""
    return [
        (_("Events"), fmt_int(student.event_count)),
        (_("Questions"), fmt_int(len(student.questions))),
        (_("Active time"), fmt_duration(student.active_seconds)),
        (_("First activity"), fmt_moment(student.first, zone)),
        (_("Last activity"), fmt_moment(student.last, zone)),
    ]


def visit_path(student: StudentReport, arrow: str = " → ") -> str:
    """Consecutive events on one question folded into one visit: 'Q1 (3) → Q2 → Q1 (2)'."""
    aliases = [q.alias for q in student.questions]
    return arrow.join(
        aliases[v.question] if v.events == 1 else f"{aliases[v.question]} ({fmt_int(v.events)})"
        for v in student.visits
    )


def class_table(report: Report) -> tuple[list[str], list[list[str]]]:
    """One row per student, in input order."""
    zone = report.zone
    header = [_("Student"), _("Events"), _("Questions"), _("Active time")]
    header += [first_header(zone), last_header(zone)]
    rows = [
        [
            s.student_id,
            fmt_int(s.event_count),
            fmt_int(len(s.questions)),
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
        [unit, fmt_int(students), fmt_int(events)]
        for unit, students, events in zip(
            summary.units, summary.unit_students, summary.unit_totals, strict=True
        )
    ]
    return [_("Unit"), _("Students"), _("Events")], rows


def heat_map_omitted(report: Report) -> str:
    """Why a class report lists its units instead of drawing the heat map."""
    summary = report.class_summary
    return _(
        "The heat map of events per student and unit is drawn for up to %(limit)s cells; "
        "this class has %(students)s students and %(units)s units, %(cells)s cells. Each "
        "student's events per unit are in their own section and in the report's data "
        "(…/data)."
    ) % {
        "limit": fmt_int(summary.heat_map_cells, group=True),
        "students": fmt_int(len(summary.students), group=True),
        "units": fmt_int(len(summary.units), group=True),
        "cells": fmt_int(summary.cells, group=True),
    }
