"""Django's WSGI handler called from an event loop (``front.py``): the environ (PEP 3333)
for an ASGI request, the call on a pool thread, and the answer sent back in pieces."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import IO, Any

import msgspec

from reports.api.hold import CREATED, FRONT, HOLD, Hold

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

CHUNK_BYTES = 256 * 1024  # an answer's body is sent in pieces of about this size


@dataclass(slots=True)
class Body:
    file: IO[bytes]
    length: int  # what Django is told: the bytes read, or a declared length over the limit


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: list[bytes]  # what was read of it on the thread
    rest: Iterator[bytes] | None = None  # the remainder, to be read on the pool
    close: Callable[[], None] | None = None  # the WSGI iterable's close, once sent
    hold: Hold | None = None
    created: tuple[str, str, str] | None = None  # a job the request created: id, path, owner


class FileWrapper:
    """``wsgi.file_wrapper``: Django hands a FileResponse's file to it, so that the front
    reads it in large pieces instead of the response's 4 KB blocks."""

    def __init__(self, filelike: IO[bytes], block_size: int = CHUNK_BYTES) -> None:
        self.filelike = filelike

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.filelike.read(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self.filelike.close()


def call(app: WsgiApp, scope: Scope, body: Body) -> Answer:
    """The WSGI application's answer (run it on a pool thread); a small body is read whole
    here, a larger one's remainder is left in ``rest``."""
    body.file.seek(0)
    environ = environ_for(scope, body)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return _no_write

    result = app(environ, start_response)
    status, headers = started
    answer = Answer(
        status=int(status.split(" ", 1)[0]),
        headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        body=[],
        hold=environ.get(HOLD),
        created=environ.get(CREATED),
    )
    chunks = iter(result)
    size = 0
    for chunk in chunks:
        answer.body.append(chunk)
        size += len(chunk)
        if size >= CHUNK_BYTES:
            answer.rest = chunks
            break
    close = getattr(result, "close", None)
    if answer.rest is None:
        if close is not None:
            close()
        if not any(name.lower() == b"content-length" for name, _ in answer.headers):
            # the whole body is here: framed by its length, not chunked
            answer.headers.append((b"Content-Length", str(size).encode()))
    else:
        answer.close = close
    return answer


async def send_answer(answer: Answer, send: Send, pool: Executor) -> None:
    """Send the answer; the rest of a large body is read on ``pool``, a piece at a time."""
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    loop = asyncio.get_running_loop()
    try:
        body = b"".join(answer.body)
        rest = answer.rest
        while rest is not None:
            await send({"type": "http.response.body", "body": body, "more_body": True})
            body, finished = await loop.run_in_executor(pool, _next_piece, rest)
            if finished:
                rest = None
        await send({"type": "http.response.body", "body": body, "more_body": False})
    finally:
        if answer.close is not None:
            await loop.run_in_executor(pool, answer.close)


def _next_piece(rest: Iterator[bytes]) -> tuple[bytes, bool]:
    pieces: list[bytes] = []
    size = 0
    for chunk in rest:
        pieces.append(chunk)
        size += len(chunk)
        if size >= CHUNK_BYTES:
            return b"".join(pieces), False
    return b"".join(pieces), True


def _no_write(data: bytes) -> None:
    raise NotImplementedError("write() is not supported; return the body instead")


def json_answer(status: int, payload: dict[str, Any]) -> Answer:
    data = msgspec.json.encode(payload)
    headers = [
        (b"Content-Type", b"application/json"),
        (b"Content-Length", str(len(data)).encode()),
    ]
    return Answer(status=status, headers=headers, body=[data])


def content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def environ_for(scope: Scope, body: Body) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) for an ASGI HTTP scope, with the front's key."""
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body.file,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        FRONT: True,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue  # the length read, below
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        previous = environ.get(key)
        environ[key] = value if previous is None else f"{previous},{value}"
    environ["CONTENT_LENGTH"] = str(body.length)
    return environ
