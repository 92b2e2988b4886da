"""Fixtures of the reconcile suite: a pipeline on the emulator, the CLI in process, rosters,
and (for the Firestore-backed audit) the gcloud Firestore emulator in its own process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.conftest import require_gcloud

WRITE_METHODS = ("spaces.members.create", "spaces.members.patch", "spaces.members.delete")


def writes(emulator: Any, since: int = 0) -> list[dict[str, Any]]:
    """Membership writes the emulator answered since call index ``since``."""
    return [c for c in emulator.calls(since) if c["method"] in WRITE_METHODS]


def rosters(emulator: Any) -> dict[str, dict[str, str]]:
    """Space -> {email: API role} of the humans in every space."""
    return {
        space["name"]: {
            m["email"]: m["role"]
            for m in space["memberships"]
            if m["kind"] == "HUMAN" and m.get("email")
        }
        for space in emulator.state()["spaces"]
    }


@pytest.fixture
def env(chatsync_env: dict[str, str], emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """chatsync_env plus the Workspace Events endpoint and quota rates fit for tests."""
    for key, value in {
        "CHATSYNC_EVENTS_ENDPOINT": emulator.url,
        "CHATSYNC_WRITES_PER_MINUTE": "60000",
        "CHATSYNC_READS_PER_MINUTE": "60000",
        "CHATSYNC_LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(key, value)
    return emulator


@pytest.fixture
def cli(env: Any, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``chatsync ARGS...`` in process; return (exit code, stdout, stderr)."""
    from chatsync.tools.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def make_pipeline(env: Any) -> Callable[..., Any]:
    """A pipeline on the emulator with an in-memory store; log records go to ``records``."""
    from tests.conftest import build_app

    def make(**kwargs: Any) -> Any:
        return build_app(env.url, **kwargs)

    return make


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def firestore_host() -> Iterator[str]:
    """The gcloud Firestore emulator on a free port, in its own process group (stopped whole)."""
    require_gcloud("the Firestore emulator")
    host = f"127.0.0.1:{_free_port()}"
    process = subprocess.Popen(
        ["gcloud", "emulators", "firestore", "start", f"--host-port={host}", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}/", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Firestore emulator did not start on {host}")
            time.sleep(0.25)
        yield host
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
