"""Packaging checks that need no container engine (run by ``make check-packaging``).

1. The image: every locked runtime dependency installs on the Alpine image's platform
   (musl, CPython 3.11) from wheels alone, so ``docker build`` needs no compiler.
2. Poetry: ``poetry check --strict`` accepts pyproject.toml, and Poetry can lock and install
   exactly the versions in uv.lock (the ones CI tests). uv.lock stays the only lock file:
   ``poetry install`` on a checkout resolves within the same ranges of pyproject.toml, so
   its versions may be newer than the tested ones; the script prints where they differ.

    .venv/bin/python scripts/check_packaging.py [--image] [--poetry]   (default: both)

``make lint`` runs ``--image`` (a few seconds); ``make check-packaging`` (in CI) runs both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".tools" / "bin" / "uv"
POETRY = ROOT / ".tools" / "bin" / "poetry"
IMAGE_PLATFORM = ["--python-platform", "x86_64-unknown-linux-musl", "--python-version", "3.11"]


def run(*cmd: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"FAILED: {' '.join(map(str, cmd))}\n{done.stdout}{done.stderr}")
    return done.stdout


def check_image(tmp: Path) -> None:
    requirements = tmp / "requirements.txt"
    run(UV, "export", "--no-dev", "--frozen", "--quiet", "-o", requirements)
    run(UV, "pip", "install", "--dry-run", "--quiet", *IMAGE_PLATFORM,
        "--only-binary", ":all:", "--target", tmp / "image", "-r", requirements)  # fmt: skip
    print("image: every locked runtime dependency has a wheel for musllinux x86_64, CPython 3.11")


def locked_pins(*args: str) -> list[str]:
    text = run(UV, "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header",
               "--no-annotate", *args)  # fmt: skip
    return [line.strip() for line in text.splitlines() if line.strip()]


def poetry_lock(project: Path, env: dict[str, str]) -> set[tuple[str, str]]:
    """``poetry lock`` in ``project``: the (name, version) pairs it chose."""
    run(POETRY, "lock", "--no-interaction", cwd=project, env=env)
    lock = tomllib.loads((project / "poetry.lock").read_text())
    return {(package["name"], package["version"]) for package in lock["package"]}


def check_poetry(tmp: Path) -> None:
    run(POETRY, "check", "--strict")
    # Poetry's own virtualenvs and the projects it locks stay in the temporary folder.
    env = {**os.environ, "POETRY_VIRTUALENVS_PATH": str(tmp / "venvs")}
    env.pop("VIRTUAL_ENV", None)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # A project that depends on exactly the locked versions, with their markers.
    pinned = tmp / "pinned"
    pinned.mkdir()
    (pinned / "pyproject.toml").write_text(
        "\n".join([
            "[project]",
            'name = "report-task-locked"',
            'version = "0"',
            f"requires-python = {json.dumps(pyproject['project']['requires-python'])}",
            f"dependencies = {json.dumps(locked_pins('--no-dev'))}",
            "[dependency-groups]",
            f"dev = {json.dumps(locked_pins('--only-dev'))}",
            "[tool.poetry]",
            "package-mode = false",
        ]) + "\n"
    )  # fmt: skip
    uv_lock = tomllib.loads((ROOT / "uv.lock").read_text())
    uv_pairs = {(p["name"], p["version"]) for p in uv_lock["package"] if "version" in p}
    uv_versions = dict(sorted(uv_pairs))
    locked = poetry_lock(pinned, env)
    if wrong := sorted(locked - uv_pairs):
        sys.exit(f"FAILED: Poetry locked versions that are not uv.lock's: {wrong}")
    run(POETRY, "install", "--dry-run", "--no-interaction", cwd=pinned, env=env)
    print(f"poetry: pyproject.toml passes `poetry check --strict`; Poetry locks and would "
          f"install uv.lock's {len(locked)} versions")  # fmt: skip
    # What a fresh `poetry install` would pick today, for information.
    fresh = tmp / "fresh"
    fresh.mkdir()
    (fresh / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (fresh / "README.md").write_text("")
    newer = {
        name: f"{uv_versions[name]} -> {version}"
        for name, version in sorted(poetry_lock(fresh, env) - uv_pairs)
        if name in uv_versions
    }
    print(f"poetry: a fresh `poetry lock` resolves; differs from uv.lock in: {newer or 'none'}")


def main(argv: list[str]) -> int:
    chosen = set(argv) or {"--image", "--poetry"}
    with tempfile.TemporaryDirectory(prefix="rt-packaging-") as name:
        tmp = Path(name)
        if "--image" in chosen:
            check_image(tmp)
        if "--poetry" in chosen:
            check_poetry(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
