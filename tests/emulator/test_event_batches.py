"""Coalescing bursts into batchCreated / batchUpdated / batchDeleted (reference §11.3, §11.4).

Coalescing is opt-in (``configure_events(coalesce=True, batch_window=...)``) so that a test that
makes one change sees one event at once.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from chatsync.domain import events as chatsync_events
from chatsync.domain.events import types

BATCH = "google.workspace.chat.membership.v1.batch{}"
PEOPLE = ("li.wei@example.com", "sam.lee@example.com", "mo.admin@example.com")


def data_of(message: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(message["data"]))  # type: ignore[no-any-return]


def ce_types(emu: Any) -> list[str]:
    return [m["attributes"]["ce-type"].rsplit(".", 1)[1] for m in emu.events()]


def add_three(chat: Any) -> None:
    members = chat().spaces().members()
    for person in PEOPLE:
        members.create(
            parent="spaces/AAAAeng", body={"member": {"name": f"users/{person}"}}
        ).execute()


def test_without_coalescing_each_change_is_its_own_event(emu: Any, chat: Any) -> None:
    """The default: three adds are three created events, visible at once."""
    add_three(chat)

    assert ce_types(emu) == ["created", "created", "created"]


def test_a_burst_of_adds_becomes_one_batch_created(emu: Any, chat: Any) -> None:
    """Three adds in one space within the window: one batchCreated of three wrapped memberships."""
    emu.configure_events(coalesce=True, batch_window=5)
    add_three(chat)
    assert emu.events() == []

    emu.flush_events()

    [message] = emu.events()
    assert message["attributes"]["ce-type"] == BATCH.format("Created")
    wrapped = data_of(message)["memberships"]
    assert [w["membership"]["member"]["name"] for w in wrapped] == [
        "users/100000000003",
        "users/100000000005",
        "users/100000000004",
    ]
    assert all(w["membership"]["role"] == "ROLE_MEMBER" for w in wrapped)


def test_batch_deleted_carries_only_names_and_state(emu: Any) -> None:
    """Each membership in a batchDeleted is {name, state: NOT_A_MEMBER} and nothing else."""
    for person in PEOPLE[:2]:
        emu.manual_change("spaces/AAAAeng", person, "add")
    emu.configure_events(coalesce=True, batch_window=5)
    emu.manual_change("spaces/AAAAeng", PEOPLE[0], "remove")
    emu.manual_change("spaces/AAAAeng", PEOPLE[1], "remove")
    emu.flush_events()

    message = emu.events()[-1]
    assert message["attributes"]["ce-type"] == BATCH.format("Deleted")
    assert data_of(message) == {
        "memberships": [
            {
                "membership": {
                    "name": "spaces/AAAAeng/members/100000000003",
                    "state": "NOT_A_MEMBER",
                }
            },
            {
                "membership": {
                    "name": "spaces/AAAAeng/members/100000000005",
                    "state": "NOT_A_MEMBER",
                }
            },
        ]
    }


def test_role_changes_batch_as_batch_updated(emu: Any) -> None:
    """Two role changes in a burst are one batchUpdated with the new roles."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    emu.configure_events(coalesce=True, batch_window=5)
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "role", "manager")
    emu.manual_change("spaces/AAAAeng", "ana.silva@example.com", "role", "owner")
    emu.flush_events()

    message = emu.events()[-1]
    assert message["attributes"]["ce-type"] == BATCH.format("Updated")
    roles = [w["membership"]["role"] for w in data_of(message)["memberships"]]
    assert roles == ["ROLE_ASSISTANT_MANAGER", "ROLE_MANAGER"]


def test_a_different_kind_of_change_closes_the_batch_in_order(emu: Any) -> None:
    """add, add, remove: batchCreated first, then the single deleted, in that order."""
    emu.configure_events(coalesce=True, batch_window=5)
    emu.manual_change("spaces/AAAAeng", PEOPLE[0], "add")
    emu.manual_change("spaces/AAAAeng", PEOPLE[1], "add")
    emu.manual_change("spaces/AAAAeng", PEOPLE[0], "remove")
    emu.flush_events()

    assert ce_types(emu) == ["batchCreated", "deleted"]


def test_changes_in_different_spaces_never_share_a_batch(emu: Any) -> None:
    """One add in each of two spaces: two single created events, one per space."""
    emu.configure_events(coalesce=True, batch_window=5)
    emu.manual_change("spaces/AAAAeng", PEOPLE[0], "add")
    emu.manual_change("spaces/AAAAuser", PEOPLE[0], "add")
    emu.flush_events()

    subjects = [m["attributes"]["ce-subject"] for m in emu.events()]
    assert ce_types(emu) == ["created", "created"]
    assert subjects == [
        "//chat.googleapis.com/spaces/AAAAeng",
        "//chat.googleapis.com/spaces/AAAAuser",
    ]


def test_a_batch_goes_out_by_itself_when_its_window_ends(emu: Any) -> None:
    """No flush needed: once batch_window seconds pass, the batch is emitted."""
    emu.configure_events(coalesce=True, batch_window=0.05)
    emu.manual_change("spaces/AAAAeng", PEOPLE[0], "add")
    emu.manual_change("spaces/AAAAeng", PEOPLE[1], "add")

    deadline = time.monotonic() + 3
    while not emu.events() and time.monotonic() < deadline:
        time.sleep(0.01)

    assert ce_types(emu) == ["batchCreated"]


def test_name_only_subscriptions_get_batches_of_names(emu: Any, workspaceevents: Any) -> None:
    """includeResource=false: the batch is a list of name-only membership wrappers."""
    workspaceevents().subscriptions().create(
        body={
            "targetResource": "//chat.googleapis.com/spaces/AAAAeng",
            "eventTypes": ["google.workspace.chat.membership.v1.created"],
            "notificationEndpoint": {"pubsubTopic": "projects/p/topics/t"},
            "payloadOptions": {"includeResource": False},
        }
    ).execute()
    emu.configure_events(coalesce=True, batch_window=5)
    emu.manual_change("spaces/AAAAeng", PEOPLE[0], "add")
    emu.manual_change("spaces/AAAAeng", PEOPLE[1], "add")
    emu.flush_events()

    [message] = emu.events()
    assert data_of(message) == {
        "memberships": [
            {"membership": {"name": "spaces/AAAAeng/members/100000000003"}},
            {"membership": {"name": "spaces/AAAAeng/members/100000000005"}},
        ]
    }


def test_batch_types_cannot_be_subscribed_to(workspaceevents: Any, refused: Any) -> None:
    """Listing batchCreated in eventTypes is 400 (they come with created; strict reading)."""
    refusal = refused(
        workspaceevents()
        .subscriptions()
        .create(
            body={
                "targetResource": "//chat.googleapis.com/spaces/AAAAeng",
                "eventTypes": [BATCH.format("Created")],
                "notificationEndpoint": {"pubsubTopic": "projects/p/topics/t"},
            }
        )
    )

    assert refusal.status == "INVALID_ARGUMENT"


def test_chatsync_decodes_a_batch_into_one_event_per_membership(emu: Any, chat: Any) -> None:
    """End to end: the project's decoder turns an emulated batchCreated into three changes."""
    emu.configure_events(coalesce=True, batch_window=5)
    add_three(chat)
    emu.flush_events()
    [message] = emu.events()

    decoded = chatsync_events.decode_message(message, message_id=message["messageId"])

    changes = [e for e in decoded if isinstance(e, types.ChatMembershipEvent)]
    assert len(changes) == len(decoded) == 3
    assert [(e.kind, e.user, e.member_type) for e in changes] == [
        ("created", f"users/{n}", "HUMAN") for n in ("100000000003", "100000000005", "100000000004")
    ]
    assert {e.space for e in changes} == {"spaces/AAAAeng"}
    ce_id = message["attributes"]["ce-id"]
    assert [e.meta.event_id for e in decoded] == [f"{ce_id}#{i}" for i in range(3)]
