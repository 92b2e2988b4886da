"""End to end: ``chatsync scim serve`` as a process, Entra-shaped requests over HTTP, the
JSON-lines output read back by ``chatsync replay``'s loader, decoded by
``chatsync.domain.events`` and replayed through the function's code path against the Workspace
emulator."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.hr_sources.conftest import entra_user, patch_op, scim_send, scim_server

pytestmark = pytest.mark.hr_sources

TOKEN = "e2e-token"
PLATFORM = "spaces/AAAAplatform"


@pytest.fixture
def scim_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``chatsync scim serve`` writing JSON lines; yields (base URL, out file)."""
    out = tmp_path / "hr-events.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "PUBSUB_EMULATOR_HOST"}
    with scim_server(TOKEN, env, "--out", str(out)) as base:
        yield base, out


def send(method: str, url: str, body: object) -> dict[str, Any]:
    return scim_send(TOKEN, method, url, body)


def platform_roster(emulator: Any) -> set[str]:
    (space,) = [s for s in emulator.state()["spaces"] if s["name"] == PLATFORM]
    return {m["email"] for m in space["memberships"] if m.get("email")}


def test_entra_create_then_disable_reaches_chatsync(
    scim_process: tuple[str, Path], tmp_path: Path, chatsync_env: dict[str, str], emulator: Any
) -> None:
    """An Entra-shaped create (department Platform) then PATCH active "False" produce person.hired
    then person.terminated; replay's loader reads them, chatsync.domain.events decodes them, and the
    function adds the person to the Platform space, then removes them."""
    from chatsync.adapters.bridges.jsonl_publisher import read_lines
    from chatsync.domain import events, messages
    from chatsync.tools.commands import replay

    base, out = scim_process
    created = send("POST", f"{base}/Users", entra_user("ana.silva@example.com"))
    send(
        "PATCH",
        f"{base}/Users/{created['id']}",
        patch_op({"op": "Replace", "path": "active", "value": "False"}),
    )

    lines = read_lines(out)
    story = tmp_path / "story.json"
    story.write_text(json.dumps(lines), encoding="utf-8")
    batch = messages.load([story])
    decoded = [events.decode_message(m.to_pubsub(), message_id=m.message_id)[0] for m in batch]
    assert [e.meta.event_type for e in decoded] == ["person.hired", "person.terminated"]
    assert [m.ordering_key for m in batch] == ["ana.silva@example.com"] * 2  # work_email
    assert [m.topic for m in batch] == ["hr", "hr"]
    assert all(e.person.email == "ana.silva@example.com" for e in decoded)

    assert "ana.silva@example.com" not in platform_roster(emulator)
    assert replay.in_process(batch[0]) == 200
    assert "ana.silva@example.com" in platform_roster(emulator)
    assert replay.in_process(batch[1]) == 200
    assert "ana.silva@example.com" not in platform_roster(emulator)
