"""The import graph of reports/ and config/: no cycles, and layers import one way only.

Read with the standard library's ``ast`` (nothing is imported), counting imports inside
functions too: a lazy import still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reports", "config")

# A module in the first package may not import from any of the second ones.
FORBIDDEN = {
    "reports.report": ("reports.api", "reports.jobs", "reports.renderers", "reports.tasks"),
    "reports.renderers": ("reports.api", "reports.jobs", "reports.tasks"),
    "reports.jobs": ("reports.api", "reports.tasks"),
    "reports.webhooks": ("reports.api",),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that ``name`` imports (``from a import b`` counts a.b if a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in known and t != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(edges):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(edges[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges[nxt])))
    return None


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_finder_sees_a_cycle_and_a_package_import() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    edges = graph()
    assert "reports.jobs.run" in edges["reports.tasks"]  # `from reports.jobs import run`
    assert "reports.report.analysis" in edges["reports.jobs.run"]


def test_no_import_cycle_in_reports_or_config() -> None:
    assert find_cycle(graph()) is None


def test_layers_import_one_way() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        for layer, banned in FORBIDDEN.items()
        if under(module, layer)
        for target in targets
        if any(under(target, b) for b in banned)
    )
    assert wrong == []
