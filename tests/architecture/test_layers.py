"""The shape of the code: layers, no cycles, no reaching into another module's privates.

import-linter checks the layers and the pure domain (``pyproject.toml``, run by ``make lint``);
these tests check what it does not: cycles counting every import (``TYPE_CHECKING`` ones too),
underscore names used across modules, module length, and what the deployed function loads.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.architecture import graph

KNOWN = graph.modules()
EDGES = graph.graph(KNOWN)
REPO = Path(__file__).resolve().parents[2]
LONG = 400


def test_the_graph_sees_the_imports_it_should() -> None:
    """Sanity: the entry imports the composition root, and TYPE_CHECKING imports are counted."""
    assert "chatsync.runtime" in EDGES["main"]
    probe = graph.Module(
        "chatsync.app.probe",
        Path("probe.py"),
        ast.parse(
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from chatsync.app.pipeline import Pipeline\n"
        ),
    )
    assert dict(graph.imports(probe, KNOWN)) == {"chatsync.app.pipeline": 3}


def test_no_import_cycle_anywhere_under_functions() -> None:
    """Every module can be read bottom-up: no strongly connected component of imports."""
    assert graph.cycles(EDGES) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a two-module loop is reported."""
    assert graph.cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_module_uses_another_modules_underscore_names() -> None:
    """Private names stay private: no ``from m import _x``, no ``other._x``."""
    found = [
        f"{name}:{line}: {what}"
        for name, module in KNOWN.items()
        for line, what in graph.private_uses(module, KNOWN)
    ]
    assert found == []


def test_no_module_is_over_400_lines_without_a_reason_at_its_top() -> None:
    """A long module says why in its docstring ("Why it is long: ...")."""
    unexplained = []
    for name, module in KNOWN.items():
        lines = module.path.read_text().count("\n")
        if lines > LONG:
            doc = (ast.get_docstring(module.tree) or "").lower()
            if "why it is long" not in doc:
                unexplained.append(f"{name} ({lines} lines)")
    assert unexplained == []


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]))
        todo.extend(EDGES.get(name, ()))
    return seen


def test_the_deployed_function_loads_no_tool_and_no_emulator() -> None:
    """From ``main.py``, every import path stays out of the CLI, demo, bench and emulator."""
    loaded = reachable("main")
    assert not {m for m in loaded if m.startswith(("chatsync.tools", "workspace_emulator"))}


def test_the_function_zip_leaves_out_tools_samples_and_the_emulator() -> None:
    """The deployed source holds only what the function runs (terraform and gcloud agree)."""
    tf = (REPO / "terraform" / "functions.tf").read_text()
    excludes = set(re.findall(r'"([^"]+)"', tf.split("excludes", 1)[1].split("]", 1)[0]))
    ignore = set((REPO / "functions" / ".gcloudignore").read_text().split())
    for folder in ("workspace_emulator", "chatsync/tools", "chatsync/samples"):
        assert f"{folder}/**" in excludes, folder
        assert f"{folder}/" in ignore, folder


def test_the_domain_imports_nothing_above_it() -> None:
    """Belt and braces for the layers contract: domain modules import only domain modules."""
    above = {
        name: sorted(t for t in targets if not t.startswith("chatsync.domain"))
        for name, targets in EDGES.items()
        if name.startswith("chatsync.domain")
    }
    assert {k: v for k, v in above.items() if v} == {}
