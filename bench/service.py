"""Start the service for a run: a fresh database, an isolated Redis key prefix (or, with
``--broker amqp://…``, a RabbitMQ virtual host of its own), then
``python -m config.serve web`` and ``worker`` exactly as production starts them.

The same approach as ``tests/stack.py`` (which the bench does not import): both build the
service's environment with ``config.serve.service_env``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

from config.serve import service_env, spawn

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]  # (host, port) for an AF_INET socket
        return port


def database_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@dataclass
class Scratch:
    """A database and a Redis key prefix of our own, removed afterwards; with an amqp://
    ``rabbitmq`` URL the broker is a RabbitMQ virtual host of our own instead (made and
    deleted with rabbitmqctl, which must work on this machine)."""

    postgres: str  # an admin URL we may CREATE DATABASE from
    redis_url: str
    rabbitmq: str | None = None  # amqp://user:password@host:port, no virtual host
    name: str = field(default_factory=lambda: f"rt_bench_{uuid.uuid4().hex[:10]}")

    @property
    def database_url(self) -> str:
        return database_url(self.postgres, self.name)

    @property
    def key_prefix(self) -> str:
        return f"{self.name}:"

    @property
    def broker_url(self) -> str:
        if self.rabbitmq:
            return f"{self.rabbitmq.rstrip('/')}/{self.name}"
        return f"{self.redis_url.rstrip('/')}/0"

    def create(self) -> None:
        with psycopg.connect(self.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        if self.rabbitmq:
            user = urlsplit(self.rabbitmq).username or "guest"
            rabbitmqctl("add_vhost", self.name)
            rabbitmqctl("set_permissions", "-p", self.name, user, ".*", ".*", ".*")

    def drop(self) -> None:
        with psycopg.connect(self.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        if self.rabbitmq:
            rabbitmqctl("delete_vhost", self.name)  # its queues and messages go with it
            return
        client = redis.Redis.from_url(self.broker_url)
        try:
            keys = list(client.scan_iter(match=f"{self.key_prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@dataclass
class Service:
    scratch: Scratch
    web_concurrency: int | None = None
    web_threads: int | None = None
    celery_concurrency: int | None = None
    port: int = field(default_factory=free_port)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rt-bench-")))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        counts = {
            "WEB_CONCURRENCY": self.web_concurrency,
            "WEB_THREADS": self.web_threads,
            "CELERY_CONCURRENCY": self.celery_concurrency,
        }
        return service_env(
            name=self.scratch.name,
            database_url=self.scratch.database_url,
            broker_url=self.scratch.broker_url,
            data_dir=self.tmp / "var",
            port=self.port,
            secret_key=secrets.token_urlsafe(50),
            inherit=None,  # named, so that the settings below cannot be taken for it
            # Scenario 6 measures how many waits a web process can hold; all of the
            # benchmark's polls share one key, so its per-key cap (a tenant's share,
            # tested in tests/test_front.py) is raised to the connection limit.
            REPORT_MAX_WAITS_PER_KEY="4000",
            **{setting: str(value) for setting, value in counts.items() if value is not None},
        )

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )

    def start(self, role: str) -> subprocess.Popen[bytes]:
        env = self.env()
        if role == "worker":
            env["CELERY_HOSTNAME"] = f"bench-{self.scratch.name}@%h"
        proc = spawn(role, env=env, log=self.tmp / f"{role}.log")
        self.processes[role] = proc
        return proc

    def wait_http(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["web"].poll() is not None:
                raise RuntimeError(f"web exited; see {self.tmp / 'web.log'}")
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"web server did not start; see {self.tmp / 'web.log'}")

    def restart(self) -> None:
        """Fresh web and worker processes (new pids; the same database and queues)."""
        for role in ("web", "worker"):
            self.stop(role)
            self.start(role)
        self.wait_http()

    def pid(self, role: str) -> int | None:
        proc = self.processes.get(role)
        return proc.pid if proc is not None else None

    def stop(self, role: str, timeout: float = 30) -> None:
        proc = self.processes.pop(role, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def __enter__(self) -> Service:
        self.migrate()
        self.start("web")
        self.start("worker")
        self.wait_http()
        return self

    def __exit__(self, *exc: object) -> None:
        for role in list(self.processes):
            self.stop(role)

    def cleanup(self, keep_logs: bool = False) -> None:
        if not keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)
