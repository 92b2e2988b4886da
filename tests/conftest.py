"""Fixtures shared by every suite.

- ``emulator``: one Workspace emulator per session on a free loopback port, reset per test.
- ``require_gcloud(component)``: skip with a reason when gcloud (or Java) is missing — unless
  ``CI`` is set, where a missing tool fails the test instead: CI always runs these suites.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DEMO_SEED = FUNCTIONS / "chatsync" / "samples" / "demo" / "seed.yaml"
DEMO_RULES = FUNCTIONS / "rules.yaml"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_gcloud(what: str = "gcloud") -> None:
    """Skip (laptop) or fail (CI) when the gcloud emulators cannot run here."""
    missing = [tool for tool in ("gcloud", "java") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{what} needs {' and '.join(missing)} on PATH (install the Google Cloud SDK and Java)"
    if in_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[object]:
    from workspace_emulator.server import EmulatorServer

    with EmulatorServer(DEMO_SEED) as emu:
        yield emu


@pytest.fixture
def emulator(emulator_session: object) -> Iterator[object]:
    """The demo org on a fresh emulator state (reset before each test)."""
    emulator_session.reset()  # type: ignore[attr-defined]
    yield emulator_session


@pytest.fixture
def chatsync_env(
    emulator: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment that points chatsync at the emulator with the demo rules."""
    env = {
        "CHATSYNC_CHAT_ENDPOINT": emulator.url,  # type: ignore[attr-defined]
        "CHATSYNC_DIRECTORY_ENDPOINT": emulator.url,  # type: ignore[attr-defined]
        "CHATSYNC_ACCESS_TOKEN": "app",
        "CHATSYNC_RULES_FILE": str(DEMO_RULES),
        "CHATSYNC_ALLOW_DEMO_SPACES": "true",
        "CHATSYNC_STATE_BACKEND": "sqlite",
        "CHATSYNC_STATE_PATH": str(tmp_path / "state.sqlite3"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def build_app(
    url: str, *, store: Any = None, records: list[dict[str, Any]] | None = None, **overrides: Any
) -> Any:
    """The application as ``runtime`` builds it for a deployment, pointed at an emulator at
    ``url`` with the demo rules and an in-memory store; log records go to ``records``.
    ``overrides`` are ``Settings`` fields (``rules_file``, ``dry_run``, ...)."""
    from chatsync.adapters.store import MemoryStore
    from chatsync.app.logs import Logger
    from chatsync.app.settings import Settings
    from chatsync.runtime import build_pipeline

    values: dict[str, Any] = {
        "rules_file": str(DEMO_RULES),
        "chat_endpoint": url,
        "directory_endpoint": url,
        "events_endpoint": url,
        "access_token": "app",
        "allow_demo_spaces": True,
        "state_backend": "memory",
        "writes_per_minute": 60000.0,
        "reads_per_minute": 60000.0,
    }
    settings = Settings.from_env({}, **{**values, **overrides})
    sink = records.append if records is not None else None
    log = Logger(stream=io.StringIO(), level="INFO", sink=sink)
    return build_pipeline(settings, log=log, store=store if store is not None else MemoryStore())


@pytest.fixture
def make_app(emulator: Any) -> Callable[..., Any]:
    """``build_app`` on this test's emulator: the one way tests build the application."""

    def make(**kwargs: Any) -> Any:
        return build_app(emulator.url, **kwargs)

    return make
