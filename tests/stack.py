"""Real processes for integration tests: a fresh PostgreSQL database, an isolated Redis
key space (or RabbitMQ virtual host), the web server and Celery workers, started exactly as
``config.serve`` runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from config.serve import service_env, spawn

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> HttpResult:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResult(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, dict(exc.headers), exc.read())


STACK_SETTINGS = {
    "WEB_CONCURRENCY": "2",
    "CELERY_CONCURRENCY": "2",
    # WhiteNoise serves static files from the apps (WHITENOISE_USE_FINDERS); copying and
    # compressing them first costs a web start ~10 s of CPU.
    "COLLECTSTATIC_ON_START": "0",
}


@dataclass
class Stack:
    postgres_admin_url: str  # a database we may CREATE DATABASE from
    redis_url: str  # redis://host:port
    tmp: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    # amqp://user:password@host:port: the broker is then a virtual host of this RabbitMQ
    # named like the database, made by create_database and deleted by drop_database.
    rabbitmq_url: str | None = None
    name: str = field(default_factory=lambda: f"rt_it_{uuid.uuid4().hex[:10]}")
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        base, _, _ = self.postgres_admin_url.rpartition("/")
        return f"{base}/{self.name}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def broker_url(self) -> str:
        if self.rabbitmq_url:
            return f"{self.rabbitmq_url.rstrip('/')}/{self.name}"
        return f"{self.redis_url.rstrip('/')}/0"

    def env(self, **extra: str) -> dict[str, str]:
        return service_env(
            name=self.name,
            database_url=self.database_url,
            broker_url=self.broker_url,
            data_dir=self.tmp / "var",
            port=self.port,
            secret_key="integration-test-secret",
            inherit={k: v for k, v in os.environ.items() if not k.startswith("REPORT_TEST_")},
            **{**STACK_SETTINGS, **self.env_overrides, **extra},
        )

    # --- lifecycle ---------------------------------------------------------------------
    def create_database(self) -> None:
        if self.rabbitmq_url:
            rabbitmq_vhost_create(self.name)
        with psycopg.connect(self.postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )

    def drop_database(self) -> None:
        with psycopg.connect(self.postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.drop_redis_keys()
        if self.rabbitmq_url:
            rabbitmq_vhost_delete(self.name)

    def drop_redis_keys(self) -> None:
        """This stack's keys only (its prefix), so the shared Redis is left as found."""
        import redis

        try:
            client = redis.Redis.from_url(f"{self.redis_url.rstrip('/')}/0", socket_timeout=5)
            keys = list(client.scan_iter(match=f"{self.name}:*", count=500))
            if keys:
                client.delete(*keys)
            client.close()
        except redis.RedisError:
            pass  # an instance a test stopped on purpose: nothing to clean

    def start(
        self,
        role: str,
        name: str | None = None,
        *,
        faults: bool = False,
        wrapper: tuple[str, ...] = (),
        overrides: Mapping[str, str] | None = None,
        **extra: str,
    ) -> subprocess.Popen[bytes]:
        """Start a role as production does; ``faults``: a worker that also loads
        tests/fault_hooks.py (slow and poison jobs, chosen by their input); ``wrapper``:
        a command that runs the role's, e.g. on another network host (tests/hosts.py);
        ``overrides`` and ``extra``: settings of its environment."""
        name = name or role
        env = self.env(**(overrides or {}), **extra)
        args: tuple[str, ...] = ()
        if role == "worker":
            env.setdefault("CELERY_HOSTNAME", f"{name}-{self.name}@%h")
            if faults:
                args = ("--include", "tests.fault_hooks")
        log = self.tmp / f"{name}.log"
        if wrapper:
            proc = spawn_wrapped(wrapper, role, env=env, log=log, args=args)
        else:
            proc = spawn(role, env=env, log=log, args=args)
        self.processes[name] = proc
        if role == "web":
            self.wait_http()
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def wait_http(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"web server did not start; see {self.tmp / 'web.log'}")

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- API helpers -------------------------------------------------------------------
    def post(self, kind: str, payload: Any, headers: dict[str, str] | None = None) -> HttpResult:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return http(
            "POST",
            f"{self.base_url}/assignment/{kind}",
            body,
            {"Content-Type": "application/json", **(headers or {})},
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> HttpResult:
        return http("GET", f"{self.base_url}{path}", headers=headers)

    def wait_done(
        self, kind: str, task_id: str, timeout: float = 60, headers: dict[str, str] | None = None
    ) -> HttpResult:
        deadline = time.monotonic() + timeout
        while True:
            result = self.get(f"/assignment/{kind}/{task_id}", headers)
            if result.status != 202:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"job {task_id} still {result.json()} after {timeout} s")
            time.sleep(0.05)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()


def spawn_wrapped(
    wrapper: tuple[str, ...],
    role: str,
    *,
    env: dict[str, str],
    log: Path,
    args: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """``config.serve.spawn``, with the role's command run by ``wrapper`` (which must exec
    it, so that the process is the role's and its session can be signalled)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*wrapper, sys.executable, "-m", "config.serve", role, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


# --- RabbitMQ virtual hosts: each stack its own, deleted afterwards -------------------------


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def rabbitmq_vhost_create(vhost: str) -> None:
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")


def rabbitmq_vhost_delete(vhost: str) -> None:
    """Its queues, exchanges and messages go with it: the shared RabbitMQ is left as found."""
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


# --- Our own Redis and PostgreSQL, for tests that break them ------------------------------
# The shared services are never stopped or flushed: a test that breaks one starts its own.


def _wait_port(port: int, up: bool, timeout: float = 30, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not go {'up' if up else 'down'} in {timeout} s")


@dataclass
class OwnRedis:
    """A throw-away redis-server on a free port; stop() and start() keep the port.

    By default on this machine's loopback; on another network host (tests/hosts.py) with
    ``wrapper`` (the command that runs it there) and ``host``, its address the test reaches
    it at: it then listens on all of that host's addresses."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"
    wrapper: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    def start(self) -> None:
        # No password on a private test network: protected mode would refuse other hosts.
        listen = ("0.0.0.0", "--protected-mode", "no") if self.wrapper else ("127.0.0.1",)
        self.process = subprocess.Popen(
            [
                *self.wrapper,
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                *listen,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, up=True, host=self.host)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        _wait_port(self.port, up=False, host=self.host)

    def cli(self, *args: str) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()


PG_BIN = next(
    (
        p
        for p in (Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"))
        if (p / "initdb").exists()
    ),
    Path("/usr/lib/postgresql/15/bin"),
)


@dataclass
class OwnPostgres:
    """A throw-away PostgreSQL cluster on a free port, run as the ``postgres`` OS user
    (PostgreSQL refuses to run as root); stop() and start() keep its data and port.

    ``wrapper`` and ``host``: on another network host, as OwnRedis (any address there may
    connect, without a password: the network is the test's own)."""

    port: int = field(default_factory=free_port)
    data: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"
    wrapper: tuple[str, ...] = ()

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@{self.host}:{self.port}/postgres"

    def _as_postgres(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    def init(self) -> None:
        import shutil
        import tempfile

        self.data = Path(tempfile.mkdtemp(prefix="rt_pg_"))
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        subprocess.run(
            self._as_postgres(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data / "db"),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        if self.wrapper:
            with open(self.data / "db" / "pg_hba.conf", "a") as hba:
                hba.write("host all all 0.0.0.0/0 trust\n")

    def start(self) -> None:
        assert self.data is not None
        listen = "*" if self.wrapper else "127.0.0.1"
        self.process = subprocess.Popen(
            [
                *self.wrapper,
                *self._as_postgres(
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(self.data / "db"),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.data),
                    "-c",
                    f"listen_addresses={listen}",
                    "-c",
                    "fsync=off",
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.admin_url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as when the database host goes away."""
        if self.process is not None and self.process.poll() is None:
            assert self.data is not None
            subprocess.run(
                self._as_postgres(
                    str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data / "db"), "-m", "fast"
                ),
                capture_output=True,
                timeout=60,
            )
            self.process.wait(timeout=30)
        self.process = None
        _wait_port(self.port, up=False, host=self.host)

    def destroy(self) -> None:
        import shutil

        self.stop()
        if self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)
