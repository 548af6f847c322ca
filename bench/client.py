"""A small HTTP client on http.client: one keep-alive connection per thread, 5 ms polling."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

POLL_INTERVAL = 0.005
# Set by ``--wait N``: poll with ``?wait=N`` (long polling) instead of every 5 ms.
LONG_POLL: float | None = None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class JobResult:
    kind: str
    post_status: int
    post_seconds: float
    end_to_end_seconds: float | None = None  # None when the job did not succeed
    final_status: str = ""
    output_bytes: int = 0
    polls: int = 0
    non_2xx: int = 0
    progress: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.end_to_end_seconds is not None


class Client:
    """Not thread-safe; use one per thread (``Client.local(url)``)."""

    _local = threading.local()

    def __init__(self, base_url: str, timeout: float = 600) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    @classmethod
    def local(cls, base_url: str) -> Client:
        client = getattr(cls._local, "client", None)
        if client is None or (client.host, client.port) != cls(base_url)._key():
            client = cls._local.client = cls(base_url)
        return client

    def _key(self) -> tuple[str, int]:
        return self.host, self.port

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self.close()
                # A kept-alive connection the server had already closed: nothing was
                # processed, so sending again is safe. A fresh connection failing is real.
                if reused and attempt == 1:
                    continue
                raise
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Answer(response.status, dict(response.getheaders()), data)
        raise AssertionError("unreachable")

    def post_json(self, path: str, body: bytes, content_type: str = "application/json") -> Answer:
        return self.request("POST", path, body, {"Content-Type": content_type})

    def run_job(
        self,
        kind: str,
        body: bytes,
        *,
        timeout: float = 600,
        track_progress: bool = False,
        interval: float = POLL_INTERVAL,
        query: str = "",
        content_type: str = "application/json",
    ) -> JobResult:
        """POST, then poll every ``interval`` until the finished report is in hand:
        the JSON with SUCCESS for html, the PDF bytes for pdf."""
        start = time.perf_counter()
        answer = self.post_json(f"/assignment/{kind}{query}", body, content_type)
        posted = time.perf_counter()
        result = JobResult(kind, answer.status, posted - start)
        if answer.status != 202:
            result.non_2xx += 1
            result.final_status = f"HTTP {answer.status}"
            return result
        task_id = answer.json()["task_id"]
        path = f"/assignment/{kind}/{task_id}"
        if LONG_POLL:
            path += f"?wait={LONG_POLL:g}"
            interval = 0.0
        deadline = start + timeout
        next_poll = posted
        while True:
            now = time.perf_counter()
            if now < next_poll:
                time.sleep(next_poll - now)
            next_poll = time.perf_counter() + interval
            got = self.request("GET", path)
            result.polls += 1
            if not 200 <= got.status < 300:
                result.non_2xx += 1
                result.final_status = f"HTTP {got.status}"
                return result
            if got.status == 202:
                if track_progress:
                    progress = got.json().get("progress")
                    if progress:
                        result.progress.append((progress["done"], progress["total"]))
                if time.perf_counter() > deadline:
                    result.final_status = "TIMEOUT"
                    return result
                continue
            done = time.perf_counter()
            if kind == "pdf" and got.headers.get("Content-Type", "").startswith("application/pdf"):
                result.final_status = "SUCCESS"
                result.output_bytes = len(got.body)
            else:
                data = got.json()
                result.final_status = data.get("status", "?")
                if result.final_status == "SUCCESS":
                    result.output_bytes = len(data["data"]["report"].encode("utf-8"))
            if result.final_status == "SUCCESS":
                result.end_to_end_seconds = done - start
            return result
