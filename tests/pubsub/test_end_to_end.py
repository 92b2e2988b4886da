"""End to end through the real Pub/Sub emulator: publish -> push -> functions-framework -> the
function -> the Chat emulator; then assert the rosters.

The emulator pushes raw push bodies to ``http://127.0.0.1:PORT/projects/P/topics/T``;
functions-framework turns them into the messagePublished CloudEvent production delivers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import messages

from .conftest import Stack

pytestmark = pytest.mark.pubsub

LIBRARY = Path(__file__).resolve().parents[2] / "functions" / "chatsync" / "samples" / "messages"
PLATFORM, DATA, LISBON = "spaces/AAAAplatform", "spaces/AAAAdata", "spaces/AAAAlisbon"
MANAGERS, SALES, ANNOUNCE = "spaces/AAAAmanagers", "spaces/AAAAsales", "spaces/AAAAannounce"


def library(*names: str) -> list[messages.TestMessage]:
    return messages.load([LIBRARY / name for name in names])


def event_id(message: messages.TestMessage) -> str:
    data = json.loads(message.data)
    if "protoPayload" in data:
        activity = data["protoPayload"].get("metadata", {}).get("activityId")
        if activity:
            return f"{activity['timeUsec']}:{activity['uniqQualifier']}"
        return str(data["insertId"])
    return str(data["event_id"])


def directory_follows(emu: Any, message: messages.TestMessage) -> None:
    """What Workspace shows once the change happened: the HR bridge has written the Directory,
    and a group change is in the group before its audit log arrives."""
    data = json.loads(message.data)
    if isinstance(data.get("group"), dict):
        group = data["group"]
        emu.directory_change(
            group=group["email"],
            member=group["member_email"],
            added=data["event_type"] != "group.member_removed",
        )
    elif isinstance(data.get("person"), dict):
        emu.directory_update_user(data["subject"]["work_email"], data["person"])


def hr_event(
    email: str, seq: int, *, title: str, department: str, manager: bool, eid: str
) -> messages.TestMessage:
    """A dirsync.hr.v1 job change for *email* (ordering key = the person)."""
    person = {
        "employment_status": "active",
        "title": title,
        "is_people_manager": manager,
        "department": department,
        "org_unit_path": f"/Engineering/{department}",
    }
    data = {
        "schema": "dirsync.hr.v1",
        "event_id": eid,
        "event_type": "person.job_changed",
        "sequence": seq,
        "occurred_at": f"2026-11-{seq:02d}T09:00:00Z",
        "effective_at": f"2026-11-{seq:02d}",
        "emitted_at": f"2026-11-{seq:02d}T09:00:05Z",
        "source": {"system": "workday", "event_id": f"src-{eid}"},
        "subject": {"person_id": f"hr-{email}", "work_email": email},
        "person": person,
    }
    return messages.TestMessage(
        origin=eid,
        topic="hr",
        data=json.dumps(data).encode(),
        attributes={"schema": "dirsync.hr.v1", "event_type": "person.job_changed"},
        ordering_key=email,
    )


def test_a_story_of_hr_and_group_events_ends_in_the_expected_rosters(stack: Stack) -> None:
    """Promotion, transfer, group join and termination all land in the Chat rosters."""
    story = library(
        "hr/04-job-changed-promotion.json",
        "hr/06-transferred.json",
        "hr/12-group-member-added.json",
        "hr/10-terminated.json",
    )
    for message in story:
        directory_follows(stack.emu, message)  # Workspace shows the change first

    stack.publish(story)
    stack.wait_handled(*(event_id(m) for m in story))
    rosters = stack.rosters()

    assert rosters[PLATFORM]["tom.berg@example.com"] == "ROLE_MANAGER"  # owns his team's space
    assert "tom.berg@example.com" in rosters[MANAGERS]
    assert "eva.lund@example.com" not in rosters[PLATFORM]
    assert rosters[DATA]["eva.lund@example.com"] == "ROLE_MEMBER"
    assert rosters[LISBON]["eva.lund@example.com"] == "ROLE_MEMBER"
    assert "leaver@example.com" not in rosters[SALES]  # managed spaces only: the social
    assert "leaver@example.com" not in rosters[ANNOUNCE]  # space and group chat are not ours
    assert not stack.dead_letters("on_hr_event")


def test_a_poison_message_is_dead_lettered_after_the_configured_attempts(stack: Stack) -> None:
    """A message that fails retryably on every delivery goes to the DLQ after 5 tries, then stops.

    A malformed message is not poison here: the function acks it (see the next test). Poison is
    an event that can never be applied although each failure looks temporary -- here the Chat
    API answers 503 to every removal, as in a long outage. The dead-letter policy bounds it.

    The Chat stream is used because it is unordered: the emulator (0.8.20) stops delivering after
    the last attempt on an *ordered* subscription but does not forward to the dead-letter topic
    (docs/pubsub.md); production does.
    """
    vera = "vera.luz@example.com"
    stack.emu.manual_change(PLATFORM, vera, "add")  # a hand-made change chatsync will revert
    stack.emu.fail_next("spaces.members.delete", n=1000, status=503)
    (drift,) = library("chat-events/01-membership-created.json")
    attempts = stack.pubsub.stream("on_chat_event").max_delivery_attempts

    (message_id,) = stack.publish([drift])
    dead: list[dict[str, Any]] = []
    stack.wait_for(
        "the dead letter", lambda: bool(dead.extend(stack.dead_letters("on_chat_event")) or dead)
    )
    time.sleep(4)  # longer than the maximum backoff: a 6th attempt would show by now
    retries = stack.logged("event will be redelivered", message_id=message_id)

    assert len(dead) == 1
    assert dead[0]["data"] == drift.data
    assert dead[0]["attributes"]["ce-type"] == drift.attributes["ce-type"]
    assert dead[0]["attributes"]["CloudPubSubDeadLetterSourceDeliveryCount"] == str(attempts)
    assert dead[0]["attributes"]["CloudPubSubDeadLetterSourceSubscription"].endswith("-push")
    assert len(retries) == attempts
    assert all(r["severity"] == "WARNING" and "503" in r["error"] for r in retries)
    assert not stack.logged("event handled")
    assert vera in stack.rosters()[PLATFORM]


def test_a_malformed_message_is_acked_once_and_never_dead_lettered(stack: Stack) -> None:
    """Retrying cannot fix a bad message: one attempt, an ERROR record naming the field, no DLQ."""
    (bad,) = library("hr/40-malformed-status.json")

    (message_id,) = stack.publish([bad])
    stack.wait_for(
        "the drop",
        lambda: bool(
            stack.logged(
                "event dropped: permanent error, acked without retry", message_id=message_id
            )
        ),
    )
    time.sleep(3)  # a redelivery would arrive within the maximum backoff
    drops = stack.logged("event dropped: permanent error, acked without retry")

    assert len(drops) == 1
    assert "message.data.person.employment_status" in drops[0]["error"]
    assert not stack.logged("event will be redelivered")
    assert not stack.dead_letters("on_hr_event")


def test_an_emulated_503_is_redelivered_and_ends_applied(stack: Stack) -> None:
    """The first delivery meets a Chat 503 and fails; Pub/Sub redelivers; the change lands."""
    stack.emu.fail_next("spaces.members.create", n=1, status=503)
    (transfer,) = library("hr/06-transferred.json")
    directory_follows(stack.emu, transfer)

    (message_id,) = stack.publish([transfer])
    stack.wait_handled(event_id(transfer))
    rosters = stack.rosters()

    assert len(stack.logged("event will be redelivered", message_id=message_id)) == 1
    assert rosters[DATA]["eva.lund@example.com"] == "ROLE_MEMBER"
    assert "eva.lund@example.com" not in rosters[PLATFORM]
    assert not stack.dead_letters("on_hr_event")


def test_one_persons_events_are_delivered_in_order_even_when_the_first_is_retried(
    stack: Stack,
) -> None:
    """Ordering key = the person: while event 1 is being redelivered, events 2 and 3 wait.

    Without ordering, 2 and 3 would be applied first and 1 would then be dropped as stale.
    """
    stack.emu.fail_next("spaces.members.create", n=1, status=503)
    email = "ana.silva@example.com"
    story = [
        hr_event(
            email, 2, title="Software Engineer", department="Data", manager=False, eid="order-1"
        ),
        hr_event(
            email, 3, title="Engineering Manager", department="Data", manager=True, eid="order-2"
        ),
        hr_event(email, 4, title="Staff Engineer", department="Data", manager=False, eid="order-3"),
    ]

    stack.publish(story)
    stack.wait_handled("order-1", "order-2", "order-3")
    handled = [r["event_id"] for r in stack.logged("event handled")]
    rosters = stack.rosters()

    assert handled == ["order-1", "order-2", "order-3"]
    assert len(stack.logged("event will be redelivered")) == 1
    assert not [r for r in stack.logs() if str(r.get("message", "")).startswith("stale event")]
    assert rosters[DATA][email] == "ROLE_MEMBER"
    assert email not in rosters[MANAGERS] and email not in rosters[PLATFORM]


def test_a_duplicate_delivery_changes_nothing_the_second_time(stack: Stack) -> None:
    """The same event published twice (a publisher retry): one set of writes, then a no-op."""
    first, again = library("hr/06-transferred.json") * 2
    directory_follows(stack.emu, first)
    eid = event_id(first)

    stack.publish([first])
    stack.wait_handled(eid)
    writes = _writes(stack)
    before = stack.rosters()
    stack.publish([again])
    stack.wait_for("the duplicate", lambda: len(stack.logged("event handled", event_id=eid)) == 2)

    assert writes  # the first delivery did change the rosters
    assert _writes(stack) == writes
    assert stack.rosters() == before
    assert stack.logged("duplicate event: already applied, nothing to do", event_id=eid)


def test_audit_log_group_events_from_both_sources_change_the_group_space(stack: Stack) -> None:
    """Admin audit (member added) and Enterprise Groups audit (member removed) via the log sink."""
    added, removed = library(
        "admin-audit/01-group-member-added.json", "groups-audit/02-member-removed.json"
    )
    stack.emu.directory_change(
        group="lisbon-office@example.com", member="eva.lund@example.com", added=True
    )
    stack.emu.directory_change(
        group="lisbon-office@example.com", member="hugo.lima@example.com", added=False
    )
    assert "hugo.lima@example.com" in stack.rosters()[LISBON]

    stack.publish([added, removed])
    stack.wait_handled(event_id(added), event_id(removed))
    lisbon = stack.rosters()[LISBON]

    assert lisbon["eva.lund@example.com"] == "ROLE_MEMBER"
    assert "hugo.lima@example.com" not in lisbon
    assert not stack.dead_letters("on_group_event")


def _writes(stack: Stack) -> list[tuple[str, str]]:
    """Membership writes the Chat emulator received: (method, path)."""
    return [
        (str(c.get("method")), str(c.get("path")))
        for c in stack.emu.calls()
        if str(c.get("method", "")).startswith("spaces.members.")
        and not str(c.get("method", "")).endswith((".list", ".get"))
    ]
