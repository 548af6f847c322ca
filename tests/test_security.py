"""Nobody let in: API keys, idempotency keys, back-pressure, headers and deployment checks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from config import serve
from reports.models import JobStatus, ReportJob
from tests.stack import Stack, free_port, http

# Many of these start the service's processes (flower, the launcher, several settings
# imports): make test-fast leaves them out (pyproject.toml).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# W010: SESSION_COOKIE_SECURE (Django says W012 when its own SessionMiddleware is listed;
# ours is a subclass that runs on the admin's pages only).
TLS_ONLY_WARNINGS = {"security.W004", "security.W008", "security.W010", "security.W016"}


def post(client, kind: str, payload, **extra):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    extra.setdefault("content_type", "application/json")
    return client.post(f"/assignment/{kind}", body, **extra)


def assert_security_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


# --- Idempotency-Key ----------------------------------------------------------------------


@pytest.mark.django_db
def test_same_key_same_body_gives_the_same_job(client, sample) -> None:
    first = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="order-1")
    again = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["task_id"] == again.json()["task_id"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert ReportJob.objects.count() == 1
    other = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="order-2")
    assert other.json()["task_id"] != first.json()["task_id"]
    assert post(client, "html", sample).json()["task_id"] != first.json()["task_id"]
    assert ReportJob.objects.count() == 3


@pytest.mark.django_db
def test_same_key_different_body_or_kind_is_422(client, sample) -> None:
    assert post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="k").status_code == 202
    changed = dict(sample, student_id="someone-else")
    response = post(client, "html", changed, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.json()["status"] == "CONFLICT"
    assert "Idempotency-Key" in response.json()["message"]
    assert post(client, "pdf", sample, HTTP_IDEMPOTENCY_KEY="k").status_code == 422
    assert ReportJob.objects.count() == 1


HOOK_A, HOOK_B = "http://127.0.0.1:9/hook-a", "http://127.0.0.1:9/hook-b"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "replayed"),
    [
        # (query string, body fields) of the first and the second request
        (("idle_minutes=5", {}), ("idle_minutes=999", {}), False),
        (("", {}), ("idle_minutes=7", {}), False),
        (("", {"idle_minutes": 5}), ("idle_minutes=6", {"idle_minutes": 5}), False),
        (("", {}), (f"callback_url={HOOK_A}", {}), False),
        ((f"callback_url={HOOK_A}", {}), (f"callback_url={HOOK_B}", {}), False),
        ((f"callback_url={HOOK_A}", {}), ("", {}), False),
        (
            ("", {"callback_url": HOOK_A}),
            (f"callback_url={HOOK_B}", {"callback_url": HOOK_A}),
            False,
        ),
        (("timezone=Europe/Berlin", {}), ("timezone=Asia/Kolkata", {}), False),
        (("", {}), ("timezone=Asia/Kolkata", {}), False),
        # The effective values are the same: a replay.
        (("idle_minutes=5", {}), ("idle_minutes=5.0", {}), True),
        (("", {}), ("idle_minutes=30&timezone=UTC", {}), True),  # the defaults, said aloud
        (("", {"idle_minutes": 5}), ("idle_minutes=5", {"idle_minutes": 5}), True),
        (
            ("", {"timezone": "Europe/Berlin"}),
            ("timezone=Europe/Berlin", {"timezone": "Europe/Berlin"}),
            True,
        ),
        (
            ("", {"callback_url": HOOK_A}),
            (f"callback_url={HOOK_A}", {"callback_url": HOOK_A}),
            True,
        ),
        (
            (f"idle_minutes=5&timezone=Asia/Kolkata&callback_url={HOOK_A}", {}),
            (f"callback_url={HOOK_A}&timezone=Asia/Kolkata&idle_minutes=5", {}),
            True,
        ),
    ],
)
def test_same_key_with_a_changed_effective_parameter_is_422(
    client, sample, settings, first, second, replayed
) -> None:
    """The fingerprint covers every parameter that changes the job (idle_minutes, timezone,
    callback_url), by its effective value, whether it came from the query or the body."""
    settings.REPORT_IDLE_MINUTES = 30
    settings.REPORT_WEBHOOK_SECRET = "s" * 32
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]

    def send(request: tuple[str, dict]):
        query, fields = request
        url = "/assignment/html" + (f"?{query}" if query else "")
        body = json.dumps(dict(sample, **fields))
        return client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")

    accepted = send(first)
    assert accepted.status_code == 202, accepted.content
    again = send(second)
    if replayed:
        assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
        assert again.json()["task_id"] == accepted.json()["task_id"]
    else:
        assert again.status_code == 422, again.content
        assert again.json()["status"] == "CONFLICT"
        assert "Idempotency-Key" in again.json()["message"]
    assert ReportJob.objects.count() == 1
    assert send(first).json()["task_id"] == accepted.json()["task_id"]  # the first still replays


@pytest.mark.django_db
def test_idempotency_keys_expire(client, sample, settings) -> None:
    settings.REPORT_IDEMPOTENCY_TTL_SECONDS = 60
    first = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="k").json()["task_id"]
    ReportJob.objects.filter(id=first).update(
        created_at=ReportJob.objects.get(id=first).created_at - timedelta(seconds=61)
    )
    # Expired: the key is free again, even for another body.
    changed = dict(sample, student_id="someone-else")
    second = post(client, "html", changed, HTTP_IDEMPOTENCY_KEY="k")
    assert second.status_code == 202
    assert second.json()["task_id"] != first


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "a" * 256, "with space", "caf\u00e9", "newline\n"])
def test_malformed_idempotency_keys_are_400(client, sample, key) -> None:
    response = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


# --- Back-pressure ------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(REPORT_MAX_QUEUED_JOBS=2, REPORT_QUEUE_FULL_RETRY_AFTER=7)
def test_a_full_queue_answers_429_with_retry_after(client, sample) -> None:
    first = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="first").json()["task_id"]
    assert post(client, "pdf", sample).status_code == 202
    response = post(client, "html", sample)
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.json()["status"] == "BUSY"
    assert "2 jobs" in response.json()["message"]
    assert_security_headers(response)
    # A replay is not new work: it is answered even while the queue is full.
    replay = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="first")
    assert replay.status_code == 202 and replay.json()["task_id"] == first
    # STARTED and RETRY count as queued; finished jobs do not.
    ReportJob.objects.filter(id=first).update(status=JobStatus.RETRY)
    assert post(client, "html", sample).status_code == 429
    ReportJob.objects.filter(id=first).update(status=JobStatus.SUCCESS)
    assert post(client, "html", sample).status_code == 202
    assert ReportJob.objects.count() == 3


# --- API keys -----------------------------------------------------------------------------

KEYS = ["key-one-" + "a" * 24, "key-two-" + "b" * 24]


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=KEYS)
@pytest.mark.parametrize(
    "headers", [{}, bearer("wrong"), {"HTTP_AUTHORIZATION": f"Basic {KEYS[0]}"}, bearer("")]
)
def test_with_api_keys_every_endpoint_needs_one(client, sample, headers) -> None:
    task_id = str(uuid.uuid4())
    for response in [
        post(client, "html", sample, **headers),
        client.get(f"/assignment/html/{task_id}", **headers),
        client.get(f"/assignment/pdf/{task_id}", **headers),
        client.get(f"/assignment/html/{task_id}/report", **headers),
    ]:
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["status"] == "UNAUTHORIZED"
        assert_security_headers(response)
    assert ReportJob.objects.count() == 0
    assert client.get("/healthz").status_code != 401


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=KEYS)
def test_a_job_is_visible_only_with_the_key_that_made_it(client, sample) -> None:
    response = post(client, "html", sample, **bearer(KEYS[0]))
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    job = ReportJob.objects.get(id=task_id)
    assert job.owner == hashlib.sha256(KEYS[0].encode()).hexdigest()
    row = json.dumps(
        list(ReportJob.objects.filter(id=task_id).values().get().values()), default=str
    )
    assert KEYS[0] not in row  # the key itself is stored nowhere on the job
    assert client.get(f"/assignment/html/{task_id}", **bearer(KEYS[0])).status_code == 202
    theirs = client.get(f"/assignment/html/{task_id}", **bearer(KEYS[1]))
    unknown = client.get(f"/assignment/html/{uuid.uuid4()}", **bearer(KEYS[1]))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["status"] == unknown.json()["status"] == "NOT_FOUND"
    assert client.get(f"/assignment/html/{task_id}/report", **bearer(KEYS[1])).status_code == 404
    assert client.get(f"/assignment/html/{task_id}/report", **bearer(KEYS[0])).status_code == 409


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=KEYS)
def test_idempotency_keys_are_scoped_per_api_key(client, sample) -> None:
    mine = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="same", **bearer(KEYS[0]))
    theirs = post(client, "html", sample, HTTP_IDEMPOTENCY_KEY="same", **bearer(KEYS[1]))
    assert mine.status_code == theirs.status_code == 202
    assert mine.json()["task_id"] != theirs.json()["task_id"]


@pytest.mark.django_db
def test_without_api_keys_the_service_is_open(client, sample) -> None:
    task_id = post(client, "html", sample).json()["task_id"]
    assert client.get(f"/assignment/html/{task_id}").status_code == 202
    assert ReportJob.objects.get(id=task_id).owner == ""


# --- Headers on every kind of answer --------------------------------------------------------


@pytest.mark.django_db
@override_settings(REPORT_MAX_BODY_BYTES=2048)
def test_security_headers_on_post_404_and_413(client, sample) -> None:
    accepted = post(client, "html", sample)
    assert accepted.status_code == 202
    sample["events"] = sample["events"] * 100
    too_large = post(client, "html", sample)
    assert too_large.status_code == 413
    for response in [
        accepted,
        too_large,
        post(client, "html", b"{"),
        client.get("/nowhere"),
        client.get(f"/assignment/html/{uuid.uuid4()}"),
        client.get("/healthz"),
    ]:
        assert_security_headers(response)


# --- Deployment -----------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    # Embedded mode unless a test sets DATABASE_URL itself (CI runs with one in its env).
    drop = {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def test_secret_key_is_mandatory_outside_embedded_mode(tmp_path) -> None:
    code = (
        "import django\n"
        "try:\n"
        "    django.setup()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(
            DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
            DJANGO_SETTINGS_MODULE="config.settings",
            REPORT_DATA_DIR=str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.startswith("ImproperlyConfigured SECRET_KEY must be set"), result


def _settings_process(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter: settings are read once, at import."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(DJANGO_SETTINGS_MODULE="config.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("key", "embedded"),
    [
        ("change-me-to-50-random-characters", True),
        ("change-me-to-50-random-characters", False),
        ("change-me", False),
        (" Change-Me-later-" + "x" * 40, True),
    ],
)
def test_the_env_example_placeholder_is_refused_as_secret_key(tmp_path, key, embedded) -> None:
    code = (
        "try:\n"
        "    import config.settings\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    database = {} if embedded else {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = _settings_process(code, SECRET_KEY=key, REPORT_DATA_DIR=str(tmp_path), **database)
    assert result.stdout.startswith(
        "ImproperlyConfigured SECRET_KEY is a placeholder from .env.example"
    ), result
    if len(key) > len("change-me"):  # a value that may be near a real secret is not echoed
        assert key.strip() not in result.stdout + result.stderr


# Records the secret key file's mode at every audit event after it appears (opening, chmod,
# reading it back...), so a file created readable and chmod'ed afterwards is caught.
_WATCH_KEY_FILE = """
import os, stat, sys
path = os.path.join(os.environ["REPORT_DATA_DIR"], "secret_key")
modes = set()
def watch(event, args):
    try:
        modes.add(stat.S_IMODE(os.stat(path).st_mode))
    except FileNotFoundError:
        pass
os.umask(0o022)
sys.addaudithook(watch)
import config.settings
print(config.settings.SECRET_KEY, sorted(modes))
"""


def test_the_embedded_secret_key_file_is_private_from_its_creation(tmp_path) -> None:
    result = _settings_process(_WATCH_KEY_FILE, REPORT_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    key, modes = result.stdout.split(" ", 1)
    assert modes.strip() == str([0o600])
    path = tmp_path / "secret_key"
    assert path.read_text() == key and len(key) >= 50
    assert path.stat().st_mode & 0o777 == 0o600
    again = _settings_process(_WATCH_KEY_FILE, REPORT_DATA_DIR=str(tmp_path))
    assert again.stdout.split(" ", 1)[0] == key  # kept across restarts


def test_processes_starting_at_once_share_one_secret_key(tmp_path) -> None:
    # Each process imports everything else first, then all read the settings at one instant.
    code = (
        "import time, os, django, dj_database_url, config.env\n"
        "start = float(os.environ['START_AT'])\n"
        "while time.time() < start: time.sleep(0.0005)\n"
        "import config.settings\n"
        "print(config.settings.SECRET_KEY)\n"
    )
    env = _env(REPORT_DATA_DIR=str(tmp_path), START_AT=str(time.time() + 5))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert keys == {(tmp_path / "secret_key").read_text()}
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_secret_key_file_still_being_written_is_waited_for(tmp_path) -> None:
    """Another process has created the file and not yet written it: wait for its key."""
    path = tmp_path / "secret_key"
    path.touch(mode=0o600)
    code = (
        "import django, dj_database_url, config.env\n"  # the slow part, before the signal
        "print('reading', flush=True)\n"
        "import config.settings\n"
        "print(config.settings.SECRET_KEY)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(REPORT_DATA_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "reading\n"
    time.sleep(1)  # well after the settings found the file empty
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    assert process.communicate(timeout=60)[0].strip() == key


def test_debug_is_off_by_default(tmp_path) -> None:
    # In a subprocess: pytest-django forces DEBUG off in this one, whatever the settings say.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import "
            "settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=_env(
            SECRET_KEY="x",
            DJANGO_SETTINGS_MODULE="config.settings",
            REPORT_DATA_DIR=str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result


def test_check_deploy_has_only_tls_warnings(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=_env(
            DATABASE_URL="postgres://reporttask:pw@127.0.0.1:5432/reporttask",
            SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="0",
            REPORT_DATA_DIR=str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found <= TLS_ONLY_WARNINGS, result.stdout + result.stderr


def test_flower_refuses_to_start_without_basic_auth(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "config.serve", "flower"],
        cwd=ROOT,
        env=_env(SECRET_KEY="x", REPORT_DATA_DIR=str(tmp_path), FLOWER_BASIC_AUTH=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "FLOWER_BASIC_AUTH" in result.stderr


def _env_example_credentials() -> list[str]:
    """Every value .env.example gives a secret-looking variable (commented ones included),
    and each comma-separated piece of it."""
    values = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=(\S+)", line)
        if match and re.search(r"PASSWORD|SECRET|KEY|TOKEN|AUTH", match.group(1)):
            values += [match.group(2), *match.group(2).split(",")]
    return values


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        ("admin:change-me", "placeholder password from .env.example"),  # .env.example's own
        ("admin:Change-Me-but-longer", "placeholder password from .env.example"),
        ("admin:short-pw-11", "a password of 11 characters: at least 12"),
        (f"admin:{'p' * 20},ops:short", "entry 2 has a password of 5 characters"),
        ("admin", "entry 1 is malformed"),
        (f":{'p' * 20}", "entry 1 is malformed"),
        (f"admin:{'p' * 20}, ops:{'q' * 20}", "entry 2 is malformed"),
        (f"admin:{'p' * 20},", "entry 2 is malformed"),
    ],
)
def test_flower_refuses_to_start_with_a_weak_or_placeholder_credential(
    tmp_path, credentials, says
) -> None:
    """The real launcher, as docker-compose and `make flower` run it: it exits non-zero with
    the reason before Flower (whose API can shut workers down) is started."""
    env = _env(SECRET_KEY="x", REPORT_DATA_DIR=str(tmp_path), FLOWER_BASIC_AUTH=credentials)
    env.update(FLOWER_PORT=str(free_port()))
    launcher = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "flower"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = launcher.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        launcher.kill()
        launcher.communicate()
        pytest.fail(f"Flower started with FLOWER_BASIC_AUTH={credentials!r}")
    assert launcher.returncode != 0
    assert says in stderr, stderr
    assert "FLOWER_BASIC_AUTH" in stderr


def test_no_credential_of_env_example_is_accepted_for_flower() -> None:
    values = _env_example_credentials()
    assert "admin:change-me" in values and len(values) > 5
    for value in values:
        for credentials in (value, f"admin:{value}"):
            assert serve.flower_auth_problem(credentials) is not None, credentials
    assert serve.flower_auth_problem("admin:" + secrets.token_urlsafe(12)) is None
    assert serve.flower_auth_problem(f"a:{'p' * 12},b:{'x:y' * 4}") is None


def test_flower_command_carries_no_credentials(monkeypatch) -> None:
    monkeypatch.setenv("FLOWER_BASIC_AUTH", "admin:s3cret-s3cret")
    command = " ".join(serve.flower_command())
    assert "s3cret" not in command and "basic_auth" not in command


def _process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(children.get(tree[-1], []))
    return tree


def test_running_flower_asks_for_basic_auth(tmp_path) -> None:
    port = free_port()
    password = secrets.token_urlsafe(16)
    credentials = f"admin:{password}"
    env = {k: v for k, v in _env().items() if k != "DATABASE_URL"}  # embedded broker
    env.update(FLOWER_BASIC_AUTH=credentials, FLOWER_PORT=str(port), REPORT_DATA_DIR=str(tmp_path))
    env.pop("CELERY_BROKER_URL", None)
    flower = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "flower"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                anonymous = http("GET", url, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "Flower did not start"
                time.sleep(0.2)
        # `ps` shows every process's command line to every user: no credentials there.
        tree = _process_tree(flower.pid)
        command_lines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in tree]
        assert b"flower" in command_lines[0]  # config.serve exec'ed Flower in its place
        for command_line in command_lines:
            assert password.encode() not in command_line, command_line
            assert b"basic_auth" not in command_line, command_line
        assert anonymous.status == 401
        headers = {k.lower(): v for k, v in anonymous.headers.items()}
        assert headers["www-authenticate"].startswith("Basic")
        token = base64.b64encode(credentials.encode()).decode()
        assert http("GET", url, headers={"Authorization": f"Basic {token}"}).status == 200
        for wrong in ["admin:guess", f"root:{password}", f"admin:{password}x"]:
            token = base64.b64encode(wrong.encode()).decode()
            assert http("GET", url, headers={"Authorization": f"Basic {token}"}).status == 401
    finally:
        flower.terminate()
        flower.wait(timeout=20)


# --- Concurrent identical requests, on the real stack --------------------------------------


@pytest.mark.integration
def test_concurrent_identical_requests_make_one_job(stack: Stack, sample: dict) -> None:
    key = f"concurrent-{uuid.uuid4()}"
    sample = dict(sample, student_id=key)

    def submit(_: int):
        return stack.post("html", sample, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(submit, range(32)))
    assert {r.status for r in results} == {202}, [r.body for r in results if r.status != 202]
    assert len({r.json()["task_id"] for r in results}) == 1
    assert stack.sql("select count(*) from reports_reportjob where idempotency_key = %s", key) == [
        (1,)
    ]


def test_no_shipped_module_can_be_told_to_inject_faults() -> None:
    """Slow, failing and killing jobs exist only in tests/fault_hooks.py, which the test
    stack loads into its workers: no setting or import in reports/ or config/ reaches it."""
    import ast

    root = Path(__file__).resolve().parent.parent
    found = []
    for path in [*root.joinpath("reports").rglob("*.py"), *root.joinpath("config").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.search(r"(^|_)FAULTS?(_|$)", node.value):
                    found.append(f"{path.name}: setting {node.value}")
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            found += [f"{path.name}: imports {m}" for m in modules if m.split(".")[0] == "tests"]
    assert found == []
