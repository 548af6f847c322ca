"""``report-task``: render reports offline, or submit them to a running service.

``report-task render events.json --format pdf -o out.pdf`` builds the report in this
process with the service's own code (the input contract, the report model and the
renderers), with no database, broker or server, and without Django settings.

``report-task submit events.json --url http://host:8000 --format html --wait -o out.html``
sends the events to a running service, shows the progress on stderr and saves the result.

Exit codes: 0 done; 1 the job failed or the service could not be reached; 2 invalid input
or usage (the validation errors are printed on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from reports.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    CliError,
    print_errors,
    write_output,
)
from reports.cli.inputs import FORMATS as INPUT_FORMATS
from reports.cli.inputs import INPUT_HELP, converted
from reports.cli.submit import submit

FORMATS = ["html", "pdf", "json", "csv"]
LANGUAGE_HELP = (
    "the language of the report's words and formats: en (the default), de, es or hi "
    "(a BCP 47 tag such as de-AT is German)"
)


# --- render: offline -------------------------------------------------------------------------


def render(args: argparse.Namespace) -> int:
    # Imported here: these modules are plain Python and need no Django configuration.
    import msgspec

    from reports.renderers import render as render_report
    from reports.report.analysis import build_report
    from reports.report.contract import check_timezone, decode_students, split_error
    from reports.report.languages import DEFAULT_LANGUAGE, check_language
    from reports.report.limits import DEFAULT_LIMITS, LimitExceeded, request_shape

    body, source = converted(args.input, args.events)
    try:
        students = decode_students(body)
    except msgspec.ValidationError as exc:
        path, message = split_error(exc)
        print_errors("the input is invalid.", {path or "body": [message]})
        return EXIT_INVALID
    except msgspec.DecodeError as exc:
        print_errors(f"the input is not valid JSON: {exc}.", None)
        return EXIT_INVALID
    try:  # the service's default limits: what it would refuse, this refuses too
        request_shape(students, DEFAULT_LIMITS, one_object=body.lstrip()[:1] == b"{")
    except LimitExceeded as exc:
        print_errors(str(exc), None)
        return EXIT_INVALID
    try:
        timezone = check_timezone(args.timezone)
    except ValueError as exc:
        raise CliError(f"--timezone: {exc}", EXIT_INVALID) from None
    own = students[0].language if body.lstrip()[:1] == b"{" else None  # as the service does
    try:
        language = check_language(args.language or own or DEFAULT_LANGUAGE)
    except ValueError as exc:
        raise CliError(f"--language: {exc}", EXIT_INVALID) from None
    idle_minutes = args.idle_minutes
    if idle_minutes is None:
        try:
            idle_minutes = _idle_minutes(os.environ.get("REPORT_IDLE_MINUTES") or "30")
        except (ValueError, argparse.ArgumentTypeError):
            raise CliError(
                "REPORT_IDLE_MINUTES must be a number of 0 or more", EXIT_INVALID
            ) from None
    try:
        report = build_report(
            students,
            idle_minutes=idle_minutes,
            timezone=timezone,
            language=language,
            source=source,
        )
    except (ValueError, OverflowError) as exc:
        print_errors(f"the input could not be turned into a report: {exc}", None)
        return EXIT_INVALID
    rendered = render_report(report, args.format)
    write_output(args.output, rendered.content, binary=args.format == "pdf")
    return EXIT_OK


# --- The command line --------------------------------------------------------------------------


def _idle_minutes(value: str) -> float:
    minutes = float(value)
    if minutes < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return minutes


def _what_and_how(command: argparse.ArgumentParser) -> None:
    """What both commands read: the events file, its format and the report's language."""
    command.add_argument("events", help="the events file, or - for stdin")
    command.add_argument("--input", choices=INPUT_FORMATS, default="json", help=INPUT_HELP)
    command.add_argument("--language", help=LANGUAGE_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="report-task",
        description="Turn students' activity events into HTML and PDF reports.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    offline = commands.add_parser(
        "render", help="render a report here, offline (no database, broker or server)"
    )
    _what_and_how(offline)
    offline.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="html",
        help="html or pdf: the report; json or csv: its figures as data (default: html)",
    )
    offline.add_argument("--output", "-o", help="where to write the report (default: stdout)")
    offline.add_argument(
        "--timezone",
        default="UTC",
        help="the IANA time zone the report shows its times in, e.g. Europe/Berlin (default: UTC)",
    )
    offline.add_argument(
        "--idle-minutes",
        type=_idle_minutes,
        default=None,
        help="longer gaps between events do not count as active time (default: 30, "
        "or $REPORT_IDLE_MINUTES)",
    )
    offline.set_defaults(handler=render)

    online = commands.add_parser("submit", help="submit the events to a running service")
    _what_and_how(online)
    online.add_argument(
        "--url",
        default=os.environ.get("REPORT_TASK_URL", "http://localhost:8000"),
        help="the service's base URL (default: $REPORT_TASK_URL or http://localhost:8000)",
    )
    online.add_argument("--format", "-f", choices=["html", "pdf"], default="html")
    online.add_argument(
        "--wait", action="store_true", help="poll until the report is ready, then save it"
    )
    online.add_argument("--output", "-o", help="with --wait: where to save (default: stdout)")
    online.add_argument(
        "--api-key",
        default=os.environ.get("REPORT_TASK_API_KEY"),
        help="sent as 'Authorization: Bearer KEY' (default: $REPORT_TASK_API_KEY)",
    )
    online.add_argument(
        "--timezone", help="the IANA time zone the report shows its times in (default: UTC)"
    )
    online.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most")
    online.add_argument("--interval", type=float, default=0.3, help="seconds between polls")
    online.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    online.set_defaults(handler=submit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler  # set_defaults(handler=...)
    try:
        return handler(args)
    except CliError as exc:
        print(f"report-task: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
