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


def _audit(name: str) -> list[Any]:
    from pathlib import Path

    from chatsync.domain import messages

    samples = Path(__file__).resolve().parents[2] / "functions/chatsync/samples/messages"
    (message,) = messages.load([samples / name])
    return list(events.decode_message(message.to_pubsub()))


def test_a_nested_group_added_through_the_admin_audit_log_reconciles_its_members(emulator):
    """The Admin audit entry (addGroupMember naming a group in USER_EMAIL) decodes, and the
    group's members are reconciled: not dropped as a person the Directory does not know."""
    from workspace_emulator import directory_changes

    directory_changes.set_group_member(
        emulator.emulator.world.store,
        "lisbon-office@example.com",
        "eng-managers@example.com",
        added=True,
        kind="GROUP",
    )
    pipeline = _pipeline(emulator)
    (event,) = _audit("admin-audit/09-nested-group-added.json")

    report = pipeline.handle(event)

    assert event.member_email == "eng-managers@example.com"
    assert "li.wei@example.com" in _lisbon(emulator)
    assert report.summary()["applied"] >= 1


def test_a_manager_change_in_the_admin_audit_log_re_reads_the_person(emulator):
    """changeUserRelation (a new manager) is decoded and makes chatsync re-read the person."""
    pipeline = _pipeline(emulator)
    (event,) = _audit("admin-audit/08-user-relation-changed.json")
    mark = len(emulator.calls())

    pipeline.handle(event)

    reads = [c for c in emulator.calls(mark) if c["method"] == "directory.users.get"]
    assert any("li.wei%40example.com" in c["path"] for c in reads)
