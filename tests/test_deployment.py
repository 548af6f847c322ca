"""The compose file is valid and runs the very commands the tests run."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_services_and_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"api", "worker", "beat", "flower", "postgres", "redis"}
    for role, name in [
        ("web", "api"),
        ("worker", "worker"),
        ("beat", "beat"),
        ("flower", "flower"),
    ]:
        assert services[name]["command"] == ["python", "-m", "config.serve", role]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["api"]["ports"] == ["8000:8000"]
    assert services["flower"]["ports"] == ["5555:5555"]
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]


def test_app_services_wait_for_healthy_dependencies() -> None:
    services = compose()["services"]
    for name in ("api", "worker", "beat", "flower"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]


def test_redis_is_durable_and_never_evicts() -> None:
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_no_credentials_in_compose() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "POSTGRES_PASSWORD:?" in text and "FLOWER_BASIC_AUTH:?" in text
    assert "SECRET_KEY=" not in text


def test_dockerfile_uses_the_seed_base_image_and_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "\nFROM python:3.11-alpine\n" in text
    assert "USER app" in text


# --- Checked offline: the Compose specification, roles, environment variables -------------

APP_SERVICES = ("api", "worker", "beat", "flower")  # the ones built from this repository


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    """tests/data/compose-spec.json is the specification's own JSON schema (see the README
    beside it): a misspelt or misplaced key fails here, as `docker compose config` would."""
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []


def test_every_compose_command_is_a_role_of_config_serve() -> None:
    from config.serve import ROLES

    services = compose()["services"]
    for name in APP_SERVICES:
        *launcher, role = services[name]["command"]
        assert launcher == ["python", "-m", "config.serve"], name
        assert role in ROLES, f"{name} runs an unknown role {role!r}"
    cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert cmd is not None
    *launcher, role = json.loads(cmd.group(1))
    assert launcher == ["python", "-m", "config.serve"] and role in ROLES


ENV_READERS = re.compile(r"^_?env_(str|bool|int|float|list)$|^getenv$")


def env_reads(folders: tuple[str, ...] = ("config", "reports")) -> set[str]:
    """Every variable name the shipped code reads from the environment: the typed readers
    (config/env.py), os.getenv, os.environ.get/setdefault/pop and os.environ[...]."""
    names: set[str] = set()
    for path in [p for folder in folders for p in (ROOT / folder).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            key: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                on_environ = isinstance(func, ast.Attribute) and ast.unparse(func.value) in {
                    "os.environ",
                    "environ",
                }
                if ENV_READERS.match(called) or (
                    on_environ and called in {"get", "setdefault", "pop"}
                ):
                    key = node.args[0]
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
    return names


def test_the_env_scan_finds_the_readers_it_must() -> None:
    """The scan itself: one variable per kind of read."""
    found = env_reads()
    for name in ("DATABASE_URL", "REPORT_MAX_EVENTS", "WEB_CONCURRENCY", "FLOWER_BASIC_AUTH",
                 "DJANGO_SETTINGS_MODULE", "RABBITMQ_CONSUMER_TIMEOUT", "PORT"):  # fmt: skip
        assert name in found, name


def test_every_variable_compose_and_env_example_set_is_read_by_the_code() -> None:
    read = env_reads()
    services = compose()["services"]
    for name in APP_SERVICES:
        unknown = set(services[name].get("environment", {})) - read
        assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"
    # .env.example (the env_file of every app service), commented examples included; a
    # variable that docker-compose.yml interpolates (e.g. POSTGRES_PASSWORD) is used there.
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.M))
    interpolated = set(
        re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text())
    )
    assert listed - read - interpolated == set()
