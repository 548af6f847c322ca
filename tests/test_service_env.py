"""One way to build a service instance's environment (config.serve.service_env), shared by
the tests' stacks and the benchmark, which imports nothing from tests/."""

from __future__ import annotations

import ast
from pathlib import Path

from bench.service import Scratch, Service
from config.serve import service_env
from tests.stack import Stack

ROOT = Path(__file__).resolve().parent.parent


def _env(**settings: str) -> dict[str, str]:
    return service_env(
        name="rt_x",
        database_url="postgres://db/rt_x",
        broker_url="redis://r/0",
        data_dir=Path("/tmp/rt_x"),
        port=8123,
        secret_key="s",
        inherit={"PATH": "/bin", "WEB_CONCURRENCY": "9", "DEBUG": "1", "LOG_LEVEL": "DEBUG"},
        **settings,
    )


def test_an_instance_has_its_own_database_broker_prefix_folder_and_port() -> None:
    env = _env()
    assert env["DATABASE_URL"] == "postgres://db/rt_x"
    assert env["CELERY_BROKER_URL"] == "redis://r/0"
    assert env["CELERY_BROKER_KEY_PREFIX"] == "rt_x:"
    assert env["REPORT_DATA_DIR"] == "/tmp/rt_x"
    assert (env["HOST"], env["PORT"]) == ("127.0.0.1", "8123")
    assert env["MIGRATE_ON_START"] == "0" and env["LOG_LEVEL"] == "WARNING"
    assert env["PATH"] == "/bin"  # the rest is inherited


def test_an_instance_inherits_no_process_counts_or_debug_but_its_callers_settings_win() -> None:
    env = _env()
    assert "WEB_CONCURRENCY" not in env and "DEBUG" not in env
    env = _env(WEB_CONCURRENCY="1", LOG_LEVEL="INFO")
    assert env["WEB_CONCURRENCY"] == "1" and env["LOG_LEVEL"] == "INFO"


def test_the_stacks_and_the_benchmark_build_the_same_environment(tmp_path: Path) -> None:
    stack = Stack(postgres_admin_url="postgres://h/postgres", redis_url="redis://h", tmp=tmp_path)
    scratch = Scratch(postgres="postgres://h/postgres", redis_url="redis://h", name=stack.name)
    service = Service(scratch, port=stack.port, tmp=tmp_path)
    ours, theirs = stack.env(), service.env()
    # The benchmark inherits the caller's whole environment; the stacks drop REPORT_TEST_*.
    names = {k for k in ours.keys() | theirs.keys() if not k.startswith("REPORT_TEST_")}
    differ = {k for k in names if ours.get(k) != theirs.get(k)}
    # The stacks pin the process counts and skip collectstatic; each has its own secret;
    # the benchmark raises the per-key cap on waits to measure how many a process holds.
    assert differ <= {
        "WEB_CONCURRENCY",
        "CELERY_CONCURRENCY",
        "COLLECTSTATIC_ON_START",
        "SECRET_KEY",
        "REPORT_MAX_WAITS_PER_KEY",
    }
    assert not any(k.startswith("REPORT_TEST_") for k in ours)


def test_the_benchmark_imports_nothing_from_tests() -> None:
    wrong = []
    for path in sorted((ROOT / "bench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            wrong += [f"{path.name}: {n}" for n in names if n == "tests" or n.startswith("tests.")]
    assert wrong == []
