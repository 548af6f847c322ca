"""The input formats a body may come in, and the sentence that says what of it was ignored
(the status answer's ``source.note``)."""

from __future__ import annotations

from reports.report.model import Source

# The service's own JSON, then the formats ``reports.inputs`` reads (docs/api.md, "Other
# input formats"); ?input= names one.
OWN_FORMAT = "json"
INPUT_FORMATS = ("progsnap2", "xapi", "caliper")
# An xAPI client sends this header with its statements: it selects ?input=xapi.
XAPI_HEADER = "X-Experience-API-Version"
_SHOWN = 5  # reasons named in the note; the status answer's list has every one


def ignored_note(source: Source) -> str:
    """e.g. "12 events ignored: 10 with verb http://…/attempted, 2 with EventType
    Session.Start"; "" when nothing was."""
    if not source.ignored:
        return ""
    parts = [f"{count} with {reason}" for reason, count in source.ignored_by[:_SHOWN]]
    rest = len(source.ignored_by) - _SHOWN
    if rest > 0:
        parts.append(f"{rest} more reason{'s' if rest > 1 else ''}")
    noun = "event" if source.ignored == 1 else "events"
    return f"{source.ignored} {noun} ignored: {', '.join(parts)}"
