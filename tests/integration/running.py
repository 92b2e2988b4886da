"""Run the ``chatsync`` console script as a user does: piped, or on a real terminal (a pty)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "chatsync.tools.cli"]


def chatsync(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``chatsync ARGS`` with stdout and stderr piped and stdin not a terminal."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@dataclass(frozen=True)
class Session:
    returncode: int
    output: str
    """Everything the terminal showed (stdout and stderr together), escape codes included."""


def on_terminal(
    *args: str,
    env: dict[str, str] | None = None,
    answer: str | None = None,
    timeout: float = 60,
) -> Session:
    """``chatsync ARGS`` on a pseudo-terminal; ``answer`` is typed once the question appears."""
    controller, device = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdin=device,
        stdout=device,
        stderr=device,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        close_fds=True,
    )
    os.close(device)
    seen = b""
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and b"Enter a value:" in seen:
                os.write(controller, (answer or "").encode() + b"\n")
                answered = True
            if not ready and process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return Session(code, seen.decode("utf-8", "replace"))
