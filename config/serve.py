"""Run the service: ``python -m config.serve [all|web|worker|beat|flower] [extra args]``.

``all`` (what ``make run`` uses) migrates, then runs the web server, one Celery worker
and the beat scheduler (the sweeper) as child processes, and stops them all together.
docker-compose runs the same module, one role per container, so what is tested here is
what runs there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from config.secret_key import PLACEHOLDER_PREFIX

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def web_command(metrics_dir: Path | None = None) -> list[str]:
    port = os.environ.get("PORT", "8000")
    # Each gunicorn worker process counts its own requests; with this folder they write
    # their counts there and /metrics adds them up (prometheus_client multiprocess mode).
    metrics_env = ["--env", f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}"] if metrics_dir else []
    return [
        PY,
        "-m",
        "gunicorn",
        # The event-loop front (reports/api/front.py) around Django's WSGI handler: requests
        # are read on gunicorn's event loop, Django runs on WEB_THREADS threads per
        # process, and waiting status reads are held on the loop, not on a thread.
        "config.asgi:application",
        "--bind",
        f"{os.environ.get('HOST', '0.0.0.0')}:{port}",  # noqa: S104
        "--workers",
        str(_env_int("WEB_CONCURRENCY", 2)),
        # gunicorn's asgi worker, with a deadline for request headers (WEB_HEADER_TIMEOUT).
        "--worker-class",
        "config.web_worker.Worker",
        # Open connections per process (held long polls among them); beyond, new ones wait
        # in the listen backlog.
        "--worker-connections",
        str(_env_int("WEB_CONNECTIONS", 4000)),
        # Not gunicorn 27's control socket: one fixed path (~/.gunicorn/gunicorn.ctl) that
        # every gunicorn of the user would share; nothing here uses it.
        "--no-control-socket",
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
        # gunicorn's longest request line (414 beyond; the schema says so): a callback_url
        # query parameter at its 2048 characters fits, percent-encoded.
        "--limit-request-line",
        "8190",
        # No access log unless asked for: even sent to /dev/null, gunicorn formats a line
        # per request (a tenth of a status read's CPU).
        *(["--access-logfile", "-"] if os.environ.get("ACCESS_LOG") else []),
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        *metrics_env,
    ]


def worker_command() -> list[str]:
    queues = os.environ.get("CELERY_WORKER_QUEUES", "html,pdf,maintenance")
    return [
        PY,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--queues",
        queues,
        "--concurrency",
        str(_env_int("CELERY_CONCURRENCY", 2)),
        "--loglevel",
        os.environ.get("LOG_LEVEL", "INFO"),
        "--hostname",
        os.environ.get("CELERY_HOSTNAME", "worker@%h"),
        "--without-gossip",
        "--without-mingle",
    ]


def beat_command() -> list[str]:
    from django.conf import settings

    return [
        PY,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel",
        os.environ.get("LOG_LEVEL", "INFO"),
        "--schedule",
        settings.CELERY_BEAT_SCHEDULE_FILENAME,
    ]


# Flower's own rule: FLOWER_BASIC_AUTH is "user:password", several separated by commas;
# a password shorter than this is refused before Flower starts.
FLOWER_MIN_PASSWORD = 12


def flower_auth_problem(value: str) -> str | None:
    """Why FLOWER_BASIC_AUTH must not protect Flower (whose API can shut workers down), or
    None. Flower compares each comma-separated "user:password" with what the browser sends,
    as is: an empty or padded entry, a missing user, a password under FLOWER_MIN_PASSWORD
    characters or one from .env.example (they all contain PLACEHOLDER_PREFIX, as SECRET_KEY's
    does) is refused."""
    if not value.strip():
        return "FLOWER_BASIC_AUTH=user:password is required: Flower shows job data."
    for number, entry in enumerate(value.split(","), 1):
        user, colon, password = entry.partition(":")
        where = f"FLOWER_BASIC_AUTH's entry {number}"
        if not colon or not user or entry != entry.strip() or user != user.strip():
            return (
                f"{where} is malformed: expected user:password (several separated by "
                "commas, no spaces around them)."
            )
        if PLACEHOLDER_PREFIX in password.lower():
            return (
                f"{where} has the placeholder password from .env.example (it contains "
                f"{PLACEHOLDER_PREFIX!r}): choose your own."
            )
        if len(password) < FLOWER_MIN_PASSWORD:
            return (
                f"{where} has a password of {len(password)} characters: at least "
                f"{FLOWER_MIN_PASSWORD} are required (Flower's API can shut workers down)."
            )
    return None


def flower_command() -> list[str]:
    # Flower reads FLOWER_BASIC_AUTH from the environment itself, which it inherits; on
    # the command line the credentials would show in `ps` to every user of the machine.
    problem = flower_auth_problem(os.environ.get("FLOWER_BASIC_AUTH", ""))
    if problem is not None:
        sys.exit(problem)
    return [
        PY,
        "-m",
        "celery",
        "-A",
        "config",
        "flower",
        f"--port={os.environ.get('FLOWER_PORT', '5555')}",
    ]


# The roles one process can run (``all`` runs web, worker and beat together).
ROLES: dict[str, Callable[[], list[str]]] = {
    "web": web_command,
    "worker": worker_command,
    "beat": beat_command,
    "flower": flower_command,
}


# What a caller's environment may carry that would change how many processes an instance
# runs, or switch on debug mode: an instance of its own starts from the production defaults
# unless its caller asks otherwise (``service_env``'s ``settings``).
NOT_INHERITED = ("WEB_CONCURRENCY", "WEB_THREADS", "CELERY_CONCURRENCY", "DEBUG")


def service_env(
    *,
    name: str,
    database_url: str,
    broker_url: str,
    data_dir: Path,
    port: int,
    secret_key: str,
    inherit: Mapping[str, str] | None = None,
    **settings: str,
) -> dict[str, str]:
    """The environment of a service instance of its own on this machine (the tests' stacks,
    the benchmark's service): its database, its broker key prefix (``name:``), its data
    folder, its port on 127.0.0.1, warnings-only logs, and no migration on start (the caller
    migrates once). Everything else comes from ``inherit`` (default: this process's
    environment) but ``NOT_INHERITED``; ``settings`` (e.g. ``WEB_CONCURRENCY="1"``) win."""
    source = os.environ if inherit is None else inherit
    env = {key: value for key, value in source.items() if key not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_KEY_PREFIX=f"{name}:",
        SECRET_KEY=secret_key,
        REPORT_DATA_DIR=str(data_dir),
        PORT=str(port),
        HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
        MIGRATE_ON_START="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def spawn(
    role: str, *, env: dict[str, str], log: Path, args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """Start one role as a child process, exactly as production runs it, output appended to
    ``log``; in its own session, so that its whole tree can be signalled at once (the tests
    and the benchmark start the service this way). ``args`` go to the role's command."""
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [PY, "-m", "config.serve", role, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def migrate() -> None:
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], check=True)


def prepare_web() -> Path:
    """Static files for WhiteNoise (admin, Swagger UI), and a clean folder in which the
    gunicorn workers add up their Prometheus metrics."""
    import shutil

    from django.conf import settings

    if os.environ.get("COLLECTSTATIC_ON_START", "1") == "1":
        subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True)
    metrics_dir = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.DATA_DIR / "prometheus"
    )
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    return metrics_dir


def supervise(commands: list[list[str]]) -> int:
    """Run the children; when one exits or a signal arrives, stop all of them."""
    children = [subprocess.Popen(cmd) for cmd in commands]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        for cmd, child in zip(commands, children, strict=True):
            if child.poll() is not None:
                print(f"serve: {cmd[2:5]} exited with {child.returncode}", flush=True)
                code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return code


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    role = argv[0] if argv else "all"
    extra = argv[1:]  # passed on to the role's command (e.g. a worker's --include)
    if role == "all":
        migrate()
        return supervise([web_command(prepare_web()), worker_command(), beat_command()])
    if role not in ROLES:
        print(__doc__, file=sys.stderr)
        return 2
    if role == "web" and os.environ.get("MIGRATE_ON_START", "1") == "1":
        migrate()
    command = web_command(prepare_web()) if role == "web" else ROLES[role]()
    command.extend(extra)
    os.execv(PY, command)  # noqa: S606 - replace this process: signals go straight to it


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
