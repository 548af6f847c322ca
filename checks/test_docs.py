"""The docs name only things that exist: every `make` target, command, environment variable
and repository path in README.md, CONTRIBUTING.md and docs/*.md.

Commands are read from the docs' code (fenced blocks and `inline code`). A name in capitals
with an underscore (``REPORT_MAX_EVENTS``; not after a dot, as in ``status.HTTP_200_OK``)
anywhere in the text must be one of: a variable something reads from the environment (the
code in config/, reports/, bench/, scripts/ and tests/; the Makefile, .ci/run and
docker-compose.yml), a Django setting of config/settings.py, a status word the service
answers with (a constant string in reports/), or one of FOREIGN.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_deployment import env_reads

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
# Not after a dot: `status.HTTP_202_ACCEPTED` names a constant in code.
NAME = re.compile(r"(?<![\w.])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# Names of other programs' things that the docs quote, with the reason.
FOREIGN = {
    "PRECONDITION_FAILED": "RabbitMQ's own error, quoted in docs/operations.md",
    "RLIMIT_DATA": "the kernel's resource limit a job's memory ceiling is (docs/operations.md)",
    "RLIMIT_AS": "the kernel's other memory limit, which docs/operations.md says why not",
    "LC_MESSAGES": "gettext's folder of a language's catalogs (reports/locale/*/LC_MESSAGES)",
}
PYTHON = re.compile(r"(^|/)python3?$")
WRAPPERS = {"env", "poetry", "uv", "run", "exec", "sudo", "/usr/bin/time", "-v"}


# --- Reading the docs ---------------------------------------------------------------------


def code_blocks(text: str) -> Iterator[str]:
    """The fenced blocks (continuation lines joined) and the inline code spans."""
    fenced = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
    for block in fenced.finditer(text):
        yield block.group(1).replace("\\\n", " ")
    for span in re.finditer(r"`([^`\n]+)`", fenced.sub("", text)):
        yield span.group(1)


def commands(code: str) -> Iterator[list[str]]:
    """Each shell command in ``code`` as its words: comments dropped, split at ; && || |."""
    for line in code.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line)
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part)
            except ValueError:  # an unbalanced quote in a fragment of prose
                words = part.split()
            if words:
                yield words


def program(words: list[str]) -> list[str]:
    """The words from the program on: without VAR=value, ``env -u VAR``, ``poetry run``…"""
    rest = list(words)
    while rest and (re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", rest[0]) or rest[0] in WRAPPERS):
        if rest[0] == "env" and len(rest) > 2 and rest[1] == "-u":
            rest = rest[3:]
        else:
            rest = rest[1:]
    return rest


def doc_commands() -> Iterator[tuple[str, list[str]]]:
    for doc in DOCS:
        for code in code_blocks(doc.read_text()):
            for words in commands(code):
                yield doc.name, program(words)


# --- What exists --------------------------------------------------------------------------


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    targets: set[str] = set()
    for match in re.finditer(r"^([A-Za-z][\w .-]*?)\s*:(?!=)", text, re.M):
        targets.update(match.group(1).split())
    return targets


def string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def bench_subcommands() -> set[str]:
    """The words ``bench/__main__.py`` dispatches on (``argv[0] == "micro"``)."""
    tree = ast.parse((ROOT / "bench" / "__main__.py").read_text())
    return {
        node.comparators[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and ast.unparse(node.left) == "argv[0]"
        and isinstance(node.comparators[0], ast.Constant)
        and isinstance(node.comparators[0].value, str)
    }


def options_in(paths: list[Path]) -> set[str]:
    return {s for path in paths for s in string_constants(path) if s.startswith("--")}


def shell_reads() -> set[str]:
    """Variables the Makefile, .ci/run and docker-compose.yml read: $(X), ${X}, $X."""
    names: set[str] = set()
    for name in ("Makefile", ".ci/run", "docker-compose.yml"):
        text = (ROOT / name).read_text()
        names.update(re.findall(r"\$[({]?\$?[({]?([A-Z][A-Z0-9_]*)", text))
    return names


def settings_names() -> set[str]:
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }


def answer_words() -> set[str]:
    return {
        s
        for path in (ROOT / "reports").rglob("*.py")
        for s in string_constants(path)
        if NAME.fullmatch(s)
    }


def known_names() -> set[str]:
    read = env_reads(("config", "reports", "bench", "scripts", "tests"))
    return read | shell_reads() | settings_names() | answer_words() | set(FOREIGN)


def ignored_folders() -> list[str]:
    """Folders .gitignore names (generated output, such as bench/results/)."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return [line.rstrip("/") + "/" for line in lines if line.endswith("/") and "/" in line[:-1]]


# --- The checks ---------------------------------------------------------------------------


def test_the_reader_finds_commands_in_blocks_and_spans_and_unwraps_them() -> None:
    text = "Run `make lint` and\n  ```sh\n  FOO=1 env -u X make \\\n  test # all\n  ```\n"
    found = [program(words) for code in code_blocks(text) for words in commands(code)]
    assert found == [["make", "test"], ["make", "lint"]]
    assert {"run", "test", "lint", "bench", "web", "worker"} <= make_targets()
    assert {"micro", "cpu"} <= bench_subcommands()


def test_every_make_target_in_the_docs_is_in_the_makefile() -> None:
    targets = make_targets()
    wrong = [
        f"{doc}: make {word}"
        for doc, words in doc_commands()
        if words[:1] == ["make"]
        for word in words[1:]
        if not word.startswith("-") and "=" not in word and word not in targets
    ]
    assert wrong == []


def test_every_python_module_script_and_management_command_in_the_docs_exists() -> None:
    from django.core.management import get_commands

    from config.serve import ROLES

    roles, managed = {*ROLES, "all"}, get_commands()
    wrong = []
    for doc, words in doc_commands():
        if not words or not PYTHON.search(words[0]) or len(words) < 2:
            continue
        target, args = words[1], [w for w in words[2:] if not w.startswith("-")]
        if target == "-m" and len(words) > 2:
            module, args = words[2], [w for w in words[3:] if not w.startswith("-")]
            if importlib.util.find_spec(module) is None:
                wrong.append(f"{doc}: no module {module}")
            elif module == "config.serve" and args and args[0] not in roles | {"<role>"}:
                wrong.append(f"{doc}: config.serve has no role {args[0]}")
        elif target == "manage.py" and args and args[0] not in managed:
            wrong.append(f"{doc}: no management command {args[0]}")
        elif target == "manage.py" and args and managed[args[0]] == "reports":
            ours = options_in([ROOT / "reports/management/commands" / f"{args[0]}.py"])
            flags = {w.strip("[]").split("=")[0] for w in words if w.strip("[").startswith("--")}
            wrong += [f"{doc}: {args[0]} has no option {flag}" for flag in flags - ours]
        elif target.endswith(".py") and target != "manage.py" and not (ROOT / target).exists():
            wrong.append(f"{doc}: no script {target}")
    assert wrong == []


def test_every_benchmark_and_report_task_command_in_the_docs_exists_with_its_options() -> None:
    bench_words = bench_subcommands()
    bench_options = options_in(sorted((ROOT / "bench").rglob("*.py")))
    cli_options = options_in(sorted((ROOT / "reports" / "cli").glob("*.py")))
    wrong = []
    for doc, words in doc_commands():
        if words[:3] in (["python", "-m", "bench"], [".venv/bin/python", "-m", "bench"]):
            rest, sub, options = words[3:], bench_words, bench_options
        elif words and words[0].endswith("report-task"):
            rest, sub, options = words[1:], {"render", "submit"}, cli_options
        else:
            continue
        if rest and not rest[0].startswith("-") and rest[0] not in sub:
            wrong.append(f"{doc}: {' '.join(words[:2])} has no command {rest[0]}")
        flags = {w.split("=")[0] for w in rest if w.startswith("--")}
        wrong += [f"{doc}: {' '.join(words[:3])} has no option {f}" for f in flags - options]
    assert wrong == []


def test_every_environment_variable_named_in_the_docs_is_read_or_a_setting() -> None:
    known = known_names()
    wrong = [
        f"{doc.name}:{number}: {name}"
        for doc in DOCS
        for number, line in enumerate(doc.read_text().splitlines(), 1)
        for name in NAME.findall(line)
        if name not in known
    ]
    assert wrong == []


@pytest.mark.parametrize("name", ["REPORT_MAX_EVENTS", "CELERY_BROKER_URL", "REPORT_TEST_REDIS"])
def test_the_known_names_include_settings_and_test_variables(name: str) -> None:
    assert name in known_names()
    assert "REPORT_MAX_EVENTZ" not in known_names()


def test_every_repository_path_in_the_docs_exists() -> None:
    # A file with its extension, or a folder with its slash ("reports/s" is a rate).
    top = r"(?<![\w./-])(?:reports|config|bench|tests|scripts|docs|\.ci)/"
    path = re.compile(rf"({top}(?:[\w-]+/)*(?:[\w-]+\.\w+)?)(?![\w/])")
    skip = ignored_folders()
    wrong = [
        f"{doc.name}: {found}"
        for doc in DOCS
        for found in path.findall(doc.read_text())
        if not (ROOT / found).exists() and not any(found.startswith(s) for s in skip)
    ]
    assert wrong == []


def test_every_variable_the_service_reads_is_in_the_configuration_page() -> None:
    """docs/configuration.md promises every environment variable and its default."""
    page = (ROOT / "docs" / "configuration.md").read_text()
    # Django's and Celery's own launchers set it; nobody configures it.
    not_settings = {"DJANGO_SETTINGS_MODULE"}
    missing = sorted(
        n for n in env_reads(("config", "reports")) - not_settings if f"`{n}`" not in page
    )
    assert missing == []


def test_the_readme_fits_on_two_screens_and_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 100
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")} | {"CONTRIBUTING.md"}
    assert sorted(p for p in pages if f"]({p}" not in readme) == []
