"""Fixtures of the observability suite: the application as ``runtime`` wires it, pointed at the
emulator with the demo org's admin space, log records captured as the functions print them.

- ``observed(**settings)``: ``(pipeline, records)``; ``admin_space`` defaults to the demo's.
- ``hold_lisbon(pipeline)``: the demo's held plan: IT takes lisbon-eng out of lisbon-office
  (the Directory first, then the group event), five removals in Lisbon are held.
- ``drift``: every Workspace Event the emulator emitted, decoded and handled.
- ``ForgetfulStore``: a store that never marks an event processed, so handling an event again
  is what Pub/Sub's redelivery after a crash looks like.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import build_app

from chatsync.adapters.store import MemoryStore
from chatsync.domain import events, messages

ADMIN = "spaces/AAAAchatsyncadmins"
LISBON = "spaces/AAAAlisbon"
PLATFORM = "spaces/AAAAplatform"
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
STORY = FUNCTIONS / "chatsync" / "samples" / "demo" / "story"


class ForgetfulStore(MemoryStore):
    """Never remembers a processed event: each ``handle`` runs as a redelivery would."""

    def mark_processed(self, event_id: str, at: float) -> None:
        return None


@pytest.fixture
def observed(emulator: Any) -> Callable[..., tuple[Any, list[dict[str, Any]]]]:
    """Build the application on this test's emulator; its log records go to a list."""

    def make(**overrides: Any) -> tuple[Any, list[dict[str, Any]]]:
        records: list[dict[str, Any]] = []
        overrides.setdefault("admin_space", ADMIN)
        return build_app(emulator.url, records=records, **overrides), records

    return make


def story_event(name: str) -> events.Event:
    """A demo story message, decoded as the function decodes it."""
    (message,) = messages.load([STORY / name])
    (event,) = events.decode_message(message.to_pubsub(), message_id=message.message_id)
    return event


@pytest.fixture
def hold_lisbon(emulator: Any) -> Callable[[Any], Any]:
    """Deliver the demo's mistake (story 12) to ``pipeline``; return its report."""

    def deliver(pipeline: Any) -> Any:
        emulator.directory_change(
            group="lisbon-office@example.com", member="lisbon-eng@example.com", added=False
        )
        return pipeline.handle(story_event("12-group-mistake.json"))

    return deliver


def handle_drift(pipeline: Any, emulator: Any, since: int = 0) -> list[Any]:
    """Decode and handle every Workspace Event the emulator emitted from index ``since``."""
    reports = []
    for message in emulator.events()[since:]:
        for event in events.decode_message(message, message_id=message["messageId"]):
            reports.append(pipeline.handle(event))
    return reports


def posted(emulator: Any, space: str = ADMIN) -> list[dict[str, Any]]:
    """Messages in the admin space (the emulator's record of spaces.messages.create)."""
    return list(emulator.messages(space))


def calls(emulator: Any, method: str) -> list[dict[str, Any]]:
    return [c for c in emulator.calls() if c["method"] == method]


def lines(records: list[dict[str, Any]], **match: object) -> list[dict[str, Any]]:
    """Records whose fields equal ``match`` (``message`` too), each as its JSON round trip."""
    return [
        json.loads(json.dumps(r, default=str))
        for r in records
        if all(r.get(k) == v for k, v in match.items())
    ]
