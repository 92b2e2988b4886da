"""Chaos figures: each test adds a line; the terminal summary prints them whatever ``-s`` says.

``firestore_host`` (the gcloud Firestore emulator, skipped without gcloud unless CI) is the
reconcile suite's fixture, shared rather than copied."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.conftest import firestore_host  # noqa: F401  (a fixture, used by name)

FIGURES: list[tuple[str, dict[str, Any]]] = []


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Any:
    """``figures(**numbers)`` records this test's figures for the summary."""

    def add(**numbers: Any) -> None:
        FIGURES.append((request.node.name, numbers))

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("chaos figures")
    for name, numbers in FIGURES:
        terminalreporter.write_line(name)
        terminalreporter.write_line(
            "    " + ", ".join(f"{key}={value}" for key, value in numbers.items())
        )
