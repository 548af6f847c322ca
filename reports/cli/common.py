"""What the ``report-task`` commands share: exit codes, errors, reading and writing files."""

from __future__ import annotations

import sys
from typing import BinaryIO

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


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
    print(f"report-task: {message}{explained(errors)}", file=sys.stderr)


def explained(errors: dict[str, list[str]] | None) -> str:
    """Every bad field on a line of its own, by its path."""
    lines = [
        f"\n  {path}: {' '.join(map(str, messages))}" for path, messages in (errors or {}).items()
    ]
    return "".join(lines)
