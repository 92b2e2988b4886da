"""The emulator package's shape: no import cycle (imports under TYPE_CHECKING count), no module
reaching into another module's underscore names, every module under 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import workspace_emulator

PACKAGE = Path(workspace_emulator.__file__).parent
NAME = "workspace_emulator"


def modules() -> dict[str, ast.Module]:
    """Every module of the package, parsed, by its short name."""
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.glob("*.py"))}


def imported(tree: ast.Module) -> set[str]:
    """Short names of package modules *tree* imports, anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == NAME:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(NAME + "."):
            found.add(str(node.module).split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith(NAME + ".")}
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of *graph*, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    """Module imports, TYPE_CHECKING ones included, form no cycle."""
    graph = {name: imported(tree) - {name} for name, tree in modules().items()}

    assert cycle(graph) is None


def test_the_cycle_check_finds_a_cycle() -> None:
    """The checker itself reports a planted cycle (so the test above can fail)."""
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_uses_another_modules_underscore_names() -> None:
    """No ``from workspace_emulator.x import _y`` and no ``x._y`` on an imported module."""
    offences = []
    for name, tree in modules().items():
        siblings = imported(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(NAME):
                offences += [f"{name}: {a.name}" for a in node.names if a.name.startswith("_")]
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in siblings
            ):
                offences.append(f"{name}: {node.value.id}.{node.attr}")

    assert offences == []


def test_modules_stay_under_400_lines() -> None:
    """Small modules, one concept each."""
    long = {
        p.name: n for p in PACKAGE.glob("*.py") if (n := len(p.read_text().splitlines())) >= 400
    }

    assert long == {}
