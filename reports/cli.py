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
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, BinaryIO

from reports.cli_progress import ProgressBar

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
USER_AGENT = "report-task-cli"


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


# --- Input and output -------------------------------------------------------------------------


def read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", EXIT_INVALID) from None


def write_output(path: str | None, content: bytes, *, binary: bool) -> None:
    if path is None or path == "-":
        if binary and sys.stdout.isatty():
            raise CliError("refusing to write a PDF to a terminal: use -o FILE", EXIT_INVALID)
        out: BinaryIO = sys.stdout.buffer
        out.write(content)
        out.flush()
        return
    try:
        with open(path, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    print(f"report-task: wrote {path} ({len(content)} bytes)", file=sys.stderr)


def print_errors(message: str, errors: dict[str, list[str]] | None) -> None:
    print(f"report-task: {message}", file=sys.stderr)
    for path, messages in (errors or {}).items():
        print(f"  {path}: {' '.join(str(m) for m in messages)}", file=sys.stderr)


# --- render: offline -------------------------------------------------------------------------


def render(args: argparse.Namespace) -> int:
    # Imported here: these modules are plain Python and need no Django configuration.
    import msgspec

    from reports.renderers import render as render_report
    from reports.report.analysis import build_report
    from reports.report.contract import decode_students, split_error

    body = read_input(args.events)
    try:
        students = decode_students(body)
    except msgspec.ValidationError as exc:
        path, message = split_error(exc)
        print_errors("the input is invalid.", {path or "body": [message]})
        return EXIT_INVALID
    except msgspec.DecodeError as exc:
        print_errors(f"the input is not valid JSON: {exc}.", None)
        return EXIT_INVALID
    idle_minutes = args.idle_minutes
    if idle_minutes is None:
        try:
            idle_minutes = _idle_minutes(os.environ.get("REPORT_IDLE_MINUTES") or "30")
        except (ValueError, argparse.ArgumentTypeError):
            raise CliError(
                "REPORT_IDLE_MINUTES must be a number of 0 or more", EXIT_INVALID
            ) from None
    try:
        report = build_report(students, idle_minutes=idle_minutes)
    except (ValueError, OverflowError) as exc:
        print_errors(f"the input could not be turned into a report: {exc}", None)
        return EXIT_INVALID
    rendered = render_report(report, args.format)
    write_output(args.output, rendered.content, binary=args.format == "pdf")
    return EXIT_OK


# --- submit: to a running service ----------------------------------------------------------


def _request(
    method: str,
    url: str,
    *,
    api_key: str | None,
    body: bytes | None = None,
    timeout: float = 60,
    accept: str = "application/json",
) -> tuple[int, str, bytes]:
    headers = {"Accept": accept, "User-Agent": USER_AGENT}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    if not url.startswith(("http://", "https://")):
        raise CliError(f"not an http(s) URL: {url}", EXIT_INVALID)
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"cannot reach {url}: {reason}") from None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def submit(args: argparse.Namespace) -> int:
    body = read_input(args.events)
    base = args.url.rstrip("/")
    status, _, answer = _request(
        "POST", f"{base}/assignment/{args.format}", api_key=args.api_key, body=body
    )
    accepted = _json(answer)
    if status != 202:
        print_errors(
            f"the service refused the request (HTTP {status}): "
            f"{accepted.get('message') or answer[:200].decode(errors='replace')}",
            accepted.get("errors"),
        )
        return EXIT_INVALID if status in (400, 413, 415) else EXIT_FAILED
    if not args.wait:
        print(json.dumps(accepted))
        return EXIT_OK

    status_url = accepted["status_url"]
    print(f"report-task: task {accepted['task_id']}", file=sys.stderr)
    bar = ProgressBar(enabled=not args.quiet)
    deadline = time.monotonic() + args.timeout
    # A finished PDF job answers with the file only to an Accept that admits it.
    accept = "application/json, application/pdf" if args.format == "pdf" else "application/json"
    while True:
        status, content_type, answer = _request(
            "GET", status_url, api_key=args.api_key, accept=accept
        )
        if status == 200 and not content_type.startswith("application/json"):
            bar.done("SUCCESS")  # a finished PDF job answers with the file itself
            write_output(args.output, answer, binary=True)
            return EXIT_OK
        state = _json(answer)
        if status == 202:
            bar.show(state.get("status", "PENDING"), state.get("progress"))
            if time.monotonic() > deadline:
                bar.done("TIMEOUT")
                raise CliError(
                    f"still {state.get('status')} after {args.timeout:g} s: {status_url}"
                )
            time.sleep(args.interval)
            continue
        bar.done(state.get("status", str(status)))
        if status == 200 and state.get("status") == "SUCCESS":
            write_output(args.output, state["data"]["report"].encode("utf-8"), binary=False)
            return EXIT_OK
        raise CliError(f"the job ended as {state.get('status')}: {state.get('message', '')}")


# --- The command line --------------------------------------------------------------------------


def _idle_minutes(value: str) -> float:
    minutes = float(value)
    if minutes < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return minutes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="report-task",
        description="Turn students' activity events into HTML and PDF reports.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    offline = commands.add_parser(
        "render", help="render a report here, offline (no database, broker or server)"
    )
    offline.add_argument("events", help="the events JSON file, or - for stdin")
    offline.add_argument("--format", "-f", choices=["html", "pdf"], default="html")
    offline.add_argument("--output", "-o", help="where to write the report (default: stdout)")
    offline.add_argument(
        "--idle-minutes",
        type=_idle_minutes,
        default=None,
        help="longer gaps between events do not count as active time (default: 30, "
        "or $REPORT_IDLE_MINUTES)",
    )
    offline.set_defaults(handler=render)

    online = commands.add_parser("submit", help="submit the events to a running service")
    online.add_argument("events", help="the events JSON file, or - for stdin")
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
    online.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most")
    online.add_argument("--interval", type=float, default=0.3, help="seconds between polls")
    online.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    online.set_defaults(handler=submit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CliError as exc:
        print(f"report-task: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
