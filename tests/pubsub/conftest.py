"""The real gcloud Pub/Sub emulator, once per session, and the four functions per test.

- ``pubsub``: ``scripts/local_pubsub.PubsubEmulator`` with chatsync's topics (boot ~1-3 s).
- ``stack``: the functions served by functions-framework in their own process groups, with a
  fresh state store and the session's Workspace emulator (reset), and push subscriptions
  recreated to point at them -- so nothing a previous test left being retried reaches them.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES, ROOT, require_gcloud

from chatsync.adapters import pubsub as publishing
from chatsync.domain import messages
from chatsync.tools.demo import FunctionProcess

ENTRY_POINTS = ("on_hr_event", "on_group_event", "on_chat_event", "on_reconcile_tick")
PROJECT = "chatsync-local"
WAIT = 45.0


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "local_pubsub", ROOT / "scripts" / "local_pubsub.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_pubsub"] = module
    spec.loader.exec_module(module)
    return module


local_pubsub = _load_script()


@pytest.fixture(scope="session")
def pubsub() -> Iterator[Any]:
    require_gcloud("Pub/Sub emulator")
    emulator = local_pubsub.PubsubEmulator(project=PROJECT)
    with emulator:
        print(f"\nPub/Sub emulator up in {emulator.boot_seconds:.1f}s on {emulator.host}")
        emulator.create_topics()
        yield emulator


class Stack:
    """Publish to the emulator; watch what the functions log and the rosters they leave."""

    def __init__(self, pubsub: Any, emu: Any, procs: dict[str, FunctionProcess]) -> None:
        self.pubsub = pubsub
        self.emu = emu
        self.procs = procs
        self.records: list[dict[str, Any]] = []

    def publish(self, batch: list[messages.TestMessage]) -> list[str]:
        return publishing.publish(batch, project=PROJECT, emulator_host=self.pubsub.host)

    def logs(self) -> list[dict[str, Any]]:
        for proc in self.procs.values():
            self.records.extend(proc.drain())
        return self.records

    def logged(self, message: str, **match: object) -> list[dict[str, Any]]:
        return [
            r
            for r in self.logs()
            if r.get("message") == message and all(r.get(k) == v for k, v in match.items())
        ]

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.2)
        tail = [
            f"{r.get('severity')} {r.get('message')} {r.get('error', '')}"
            for r in self.logs()
            if not r.get("raw")  # framework tracebacks: the function's own record says it
        ]
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for {what}; logs:\n" + "\n".join(tail[-30:])
        )

    def wait_handled(self, *event_ids: str, timeout: float = WAIT) -> None:
        """Until each event id was logged as handled (applied, duplicate or stale)."""
        self.wait_for(
            f"events {event_ids} handled",
            lambda: all(self.logged("event handled", event_id=e) for e in event_ids),
            timeout,
        )

    def rosters(self) -> dict[str, dict[str, str]]:
        """``{space: {email: role}}`` of the people in every space of the Chat emulator."""
        out: dict[str, dict[str, str]] = {}
        for space in self.emu.state()["spaces"]:
            out[space["name"]] = {
                m["email"]: m["role"]
                for m in space["memberships"]
                if m.get("email") and m.get("state") == "JOINED"
            }
        return out

    def dead_letters(self, entry_point: str) -> list[dict[str, Any]]:
        stream = self.pubsub.stream(entry_point)
        return list(self.pubsub.pull(stream.dead_letter_subscription))


@pytest.fixture
def stack(pubsub: Any, emulator: Any, tmp_path: Path) -> Iterator[Stack]:
    env = {
        **os.environ,
        "CHATSYNC_CHAT_ENDPOINT": emulator.url,
        "CHATSYNC_DIRECTORY_ENDPOINT": emulator.url,
        "CHATSYNC_ACCESS_TOKEN": "app",
        "CHATSYNC_RULES_FILE": str(DEMO_RULES),
        "CHATSYNC_ALLOW_DEMO_SPACES": "true",
        "CHATSYNC_STATE_BACKEND": "sqlite",
        "CHATSYNC_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "CHATSYNC_LOG_FORMAT": "json",
        # One try per API call and delivery: retries are Pub/Sub's redeliveries here.
        "CHATSYNC_MAX_ATTEMPTS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PUBSUB_EMULATOR_HOST", None)
    procs = {target: FunctionProcess(target, env) for target in ENTRY_POINTS}
    try:
        for proc in procs.values():
            proc.wait_ready()
        pubsub.create_subscriptions({t: p.url for t, p in procs.items()})
        yield Stack(pubsub, emulator, procs)
    finally:
        for proc in procs.values():
            proc.stop()
