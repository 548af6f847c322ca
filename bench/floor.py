"""The floor: the unavoidable costs of a scenario, measured on this machine in the same run.

A request cannot cost less than parsing its body once with the fastest JSON parser here,
one INSERT + COMMIT of that body into PostgreSQL, and (end to end) one Redis LPUSH/BRPOP
round trip to hand the job to a worker plus writing the report's bytes to a file. Each
scenario's time divided by its floor says how much of it is overhead we could remove.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import orjson
import psycopg
import redis


def _median_seconds(action: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _reps(size: int) -> int:
    return 30 if size < 1_000_000 else 3


class Floor:
    def __init__(self, database_url: str, redis_url: str, key_prefix: str) -> None:
        self.db = psycopg.connect(database_url)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body bytea)"
        )
        self.db.commit()
        # The cheapest compression there is, as the service's own tables use (migration 0006).
        try:
            self.db.execute("ALTER TABLE bench_floor ALTER COLUMN body SET COMPRESSION lz4")
            self.db.commit()
        except psycopg.Error:  # an older PostgreSQL, or one without LZ4: pglz stays
            self.db.rollback()
        self.redis = redis.Redis.from_url(f"{redis_url.rstrip('/')}/0")
        self.key = f"{key_prefix}bench-floor"
        self.dir = Path(tempfile.mkdtemp(prefix="rt-bench-floor-"))
        self._queue: float | None = None
        self._cache: dict[tuple[int, int], dict[str, Any]] = {}

    def close(self) -> None:
        self.db.close()
        self.redis.delete(self.key)
        self.redis.close()
        for path in self.dir.iterdir():
            path.unlink()
        self.dir.rmdir()

    def parse(self, body: bytes) -> tuple[str, float]:
        reps = _reps(len(body))
        parsers: dict[str, Callable[[bytes], object]] = {
            "orjson": orjson.loads,
            "msgspec": msgspec.json.decode,
        }
        timed = {name: _median_seconds(partial(f, body), reps) for name, f in parsers.items()}
        best = min(timed, key=timed.__getitem__)
        return best, timed[best]

    def insert(self, body: bytes) -> float:
        def once() -> None:
            self.db.execute("INSERT INTO bench_floor (body) VALUES (%s)", (body,))
            self.db.commit()

        seconds = _median_seconds(once, _reps(len(body)))
        self.db.execute("TRUNCATE bench_floor")
        self.db.commit()
        return seconds

    def queue(self) -> float:
        """A job id through Redis and back, as the broker carries it."""
        if self._queue is None:
            message = str(uuid.uuid4()).encode()

            def once() -> None:
                self.redis.lpush(self.key, message)
                self.redis.brpop([self.key], timeout=5)

            once()
            self._queue = _median_seconds(once, 50)
        return self._queue

    def write(self, size: int) -> float:
        """A new file per report, as the worker writes one (rewriting one file in place
        would time ext4's flush-on-truncate instead)."""
        data = (os.urandom(min(size, 1 << 20)) * (size // (1 << 20) + 1))[:size]
        paths = iter(self.dir / f"out-{i}.bin" for i in range(1_000_000))

        def once() -> None:
            with open(next(paths), "wb") as handle:
                handle.write(data)

        seconds = _median_seconds(once, _reps(size))
        for path in self.dir.iterdir():
            path.unlink()
        return seconds

    def of(self, body: bytes, output_bytes: int) -> dict[str, Any]:
        """The floor of one job: its POST part and its end-to-end total, in seconds."""
        key = (len(body), hash(body[:4096]) ^ hash(body[-4096:]))
        parts = self._cache.get(key)
        if parts is None:
            parser, parse = self.parse(body)
            parts = {"parser": parser, "parse_s": parse, "insert_commit_s": self.insert(body)}
            self._cache[key] = parts
        result = dict(parts)
        result["redis_roundtrip_s"] = self.queue()
        result["write_output_s"] = self.write(output_bytes) if output_bytes else 0.0
        result["output_bytes"] = output_bytes
        result["post_s"] = result["parse_s"] + result["insert_commit_s"]
        result["end_to_end_s"] = (
            result["post_s"] + result["redis_roundtrip_s"] + result["write_output_s"]
        )
        return result
