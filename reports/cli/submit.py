"""``report-task submit``: send events to a running service, wait, save the result."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from reports.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    CliError,
    print_errors,
    read_input,
    write_output,
)
from reports.cli.inputs import OWN, media_type

USER_AGENT = "report-task-cli"


def _request(
    method: str,
    url: str,
    *,
    api_key: str | None,
    body: bytes | None = None,
    timeout: float = 60,
    accept: str = "application/json",
    content_type: str = "application/json",
) -> tuple[int, str, bytes]:
    headers = {"Accept": accept, "User-Agent": USER_AGENT}
    if body is not None:
        headers["Content-Type"] = content_type
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


class ProgressBar:
    """One self-rewriting line on stderr (plain lines when stderr is not a terminal)."""

    WIDTH = 30

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = ""
        self.total = 0

    def show(self, state: str, progress: dict[str, int] | None) -> None:
        if progress and progress.get("total"):
            self.total = progress["total"]
            done = progress["done"]
            filled = round(self.WIDTH * done / self.total)
            self._line(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total} {state}")
        else:
            self._line(f"[{'.' * self.WIDTH}] {state}")

    def done(self, state: str) -> None:
        if state == "SUCCESS":
            count = f" {self.total}/{self.total}" if self.total else ""
            self._line(f"[{'#' * self.WIDTH}]{count} {state}")
        else:
            self._line(f"[{'.' * self.WIDTH}] {state}")
        if self.enabled and self.tty:
            print(file=sys.stderr)

    def _line(self, line: str) -> None:
        if not self.enabled or line == self.last:
            return
        self.last = line
        if self.tty:
            print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def submit(args: argparse.Namespace) -> int:
    body = read_input(args.events)
    base = args.url.rstrip("/")
    url = f"{base}/assignment/{args.format}"
    query = {"timezone": args.timezone, "language": args.language}
    if args.input != OWN:
        query["input"] = args.input
    given = {name: value for name, value in query.items() if value}
    if given:
        url += "?" + urllib.parse.urlencode(given)
    kind = media_type(args.input, args.events)
    status, _, answer = _request("POST", url, api_key=args.api_key, body=body, content_type=kind)
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
