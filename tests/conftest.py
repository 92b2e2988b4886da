"""Fixtures shared by every suite.

- ``emulator``: one Workspace emulator per session on a free loopback port, reset per test.
- ``require_gcloud(component)``: skip with a reason when gcloud (or Java) is missing — unless
  ``CI`` is set, where a missing tool fails the test instead: CI always runs these suites.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

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
        "CHATSYNC_STATE_BACKEND": "sqlite",
        "CHATSYNC_STATE_PATH": str(tmp_path / "state.sqlite3"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
