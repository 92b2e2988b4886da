"""Fixtures of the facts suite: the sample HR messages replayed in process on the demo
emulator, and the ``chatsync`` console script run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import events, messages

HR_SAMPLES = (
    Path(__file__).resolve().parents[2] / "functions" / "chatsync" / "samples" / "messages" / "hr"
)


def sample(name: str) -> Path:
    """One file of ``samples/messages/hr`` by its number (``"12"``)."""
    (path,) = HR_SAMPLES.glob(f"{name}-*.json")
    return path


@pytest.fixture
def replay(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """``replay("06", "12")``: decode those sample files and handle each event, in order,
    with one application and store (as one deployment would); returns the application."""
    app = make_app()

    def run(*names: str) -> Any:
        for name in names:
            for message in messages.load([sample(name)]):
                decoded = events.decode_message(message.to_pubsub(), message_id=message.message_id)
                for event in decoded:
                    app.handle(event)
        return app

    return run


@pytest.fixture
def chatsync(chatsync_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the console script against this test's emulator and state file."""
    env = {
        **os.environ,
        **chatsync_env,
        "CHATSYNC_WRITES_PER_MINUTE": "60000",
        "CHATSYNC_READS_PER_MINUTE": "60000",
        "CHATSYNC_LOG_FORMAT": "text",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chatsync.tools.cli", *args],
            capture_output=True,
            check=False,
            text=True,
            timeout=300,
            env=env,
        )

    return run
