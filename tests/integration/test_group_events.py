"""Group events reconcile everyone they touch, nested groups included."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.conftest import build_app

from chatsync.domain import events


def _pipeline(emulator: Any) -> Any:
    return build_app(emulator.url)


def _group_added(member: str, member_type: str) -> dict[str, Any]:
    body = {
        "schema": "dirsync.hr.v1",
        "event_id": f"g-{member}-{member_type}",
        "event_type": "group.member_added",
        "occurred_at": "2026-11-20T17:00:00Z",
        "effective_at": "2026-11-20T17:00:00Z",
        "emitted_at": "2026-11-20T17:00:00Z",
        "source": {"system": "google-admin-audit", "event_id": "a-1"},
        "subject": {"person_id": member, "work_email": member},
        "group": {
            "email": "lisbon-office@example.com",
            "member_email": member,
            "member_type": member_type,
            "role": "MEMBER",
        },
    }
    return {"data": base64.b64encode(json.dumps(body).encode()).decode(), "messageId": "m-1"}


def _lisbon(emulator: Any) -> set[str]:
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    return {m.get("email") for m in spaces["spaces/AAAAlisbon"]["memberships"]}


def test_a_nested_group_reported_as_a_user_reconciles_its_members(emulator):
    """Admin audit logs name a nested group like a user: its members are reconciled."""
    assert "li.wei@example.com" not in _lisbon(emulator)
    from workspace_emulator import directory_changes

    directory_changes.set_group_member(
        emulator.emulator.world.store,
        "lisbon-office@example.com",
        "eng-managers@example.com",
        added=True,
        kind="GROUP",
    )
    pipeline = _pipeline(emulator)
    for event in events.decode_message(_group_added("eng-managers@example.com", "user")):
        pipeline.handle(event)
    assert "li.wei@example.com" in _lisbon(emulator)


def test_a_group_event_for_an_unknown_address_changes_nothing(emulator):
    """Neither a user nor a group: treated as deleted, which removes nobody who is not there."""
    before = _lisbon(emulator)
    pipeline = _pipeline(emulator)
    for event in events.decode_message(_group_added("gone@example.com", "user")):
        pipeline.handle(event)
    assert _lisbon(emulator) == before
