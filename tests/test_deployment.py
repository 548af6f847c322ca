"""The compose file is valid and runs the very commands the tests run."""

from __future__ import annotations

from pathlib import Path

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
