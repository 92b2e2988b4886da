"""Subscription lifecycle on the emulator's clock (reference §11.3, §11.4): expiration
reminders 12 h and 1 h before expiry, expired, suspended and ``:reactivate``."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import google.oauth2.credentials

from chatsync.adapters.workspace_events import WorkspaceEvents
from chatsync.app import subscriptions
from chatsync.app.logs import Logger
from chatsync.domain import events as chatsync_events
from chatsync.domain.events import types
from chatsync.domain.model import SpaceName

HOUR = 3600.0
LIFECYCLE = "google.workspace.events.subscription.v1."
SUBSCRIPTION = {
    "targetResource": "//chat.googleapis.com/spaces/AAAAeng",
    "eventTypes": ["google.workspace.chat.membership.v1.created"],
    "notificationEndpoint": {"pubsubTopic": "projects/p/topics/chat-events"},
    "payloadOptions": {"includeResource": True},
}
NAME_ONLY = SUBSCRIPTION | {"payloadOptions": {"includeResource": False}}


def lifecycle(emu: Any) -> list[tuple[str, dict[str, Any]]]:
    """(kind, subscription) of every lifecycle event so far."""
    found = []
    for message in emu.events():
        kind = message["attributes"]["ce-type"]
        if kind.startswith(LIFECYCLE):
            data = json.loads(base64.b64decode(message["data"]))
            found.append((kind.removeprefix(LIFECYCLE), data["subscription"]))
    return found


def create(workspaceevents: Any, body: dict[str, Any]) -> dict[str, Any]:
    operation = workspaceevents().subscriptions().create(body=body).execute()
    return operation["response"]  # type: ignore[no-any-return]


def test_week_long_subscription_is_reminded_at_12h_and_1h_then_expires(
    emu: Any, workspaceevents: Any, refused: Any
) -> None:
    """A 7-day name-only subscription: reminder at -12 h, reminder at -1 h, expired, then 404."""
    sub = create(workspaceevents, NAME_ONLY)

    emu.advance(7 * 24 * HOUR - 12 * HOUR + 1)
    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder"]
    emu.advance(11 * HOUR)
    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder", "expirationReminder"]
    emu.advance(HOUR)

    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder"] * 2 + ["expired"]
    assert refused(workspaceevents().subscriptions().get(name=sub["name"])).http_status == 404


def test_lifecycle_events_name_the_subscription_as_source_and_subject(
    emu: Any, workspaceevents: Any
) -> None:
    """source = subject = //workspaceevents.googleapis.com/subscriptions/{id}; data.subscription."""
    sub = create(workspaceevents, SUBSCRIPTION)
    emu.advance(3 * HOUR + 1)

    [message] = emu.events()
    attributes = message["attributes"]
    expected = f"//workspaceevents.googleapis.com/{sub['name']}"
    assert attributes["ce-type"] == LIFECYCLE + "expirationReminder"
    assert attributes["ce-source"] == attributes["ce-subject"] == expected
    assert message["orderingKey"] == expected
    data = json.loads(base64.b64decode(message["data"]))
    assert data["subscription"]["name"] == sub["name"]
    assert data["subscription"]["expireTime"] == sub["expireTime"]


def test_four_hour_subscription_only_gets_the_one_hour_reminder(
    emu: Any, workspaceevents: Any
) -> None:
    """Its -12 h moment was before it existed, so only -1 h is sent (strict reading)."""
    create(workspaceevents, SUBSCRIPTION)

    emu.advance(4 * HOUR)

    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder", "expired"]


def test_renewal_rearms_the_reminder_and_postpones_expiry(emu: Any, workspaceevents: Any) -> None:
    """After the 1 h reminder, PATCH ttl=0s: no expiry at the old time, a new reminder later."""
    subs = workspaceevents().subscriptions()
    sub = create(workspaceevents, SUBSCRIPTION)
    emu.advance(3 * HOUR + 1)
    subs.patch(name=sub["name"], updateMask="ttl", body={"ttl": "0s"}).execute()

    emu.advance(HOUR)
    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder"]
    emu.advance(2 * HOUR)

    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder", "expirationReminder"]
    assert subs.get(name=sub["name"]).execute()["state"] == "ACTIVE"


def test_advance_is_a_control_endpoint(emu: Any, raw: Any, workspaceevents: Any) -> None:
    """POST /emulator/v1/advance {seconds} moves the clock and answers the new time."""
    create(workspaceevents, SUBSCRIPTION)
    before = emu.now()

    answer = raw("POST", "emulator/v1/advance", body={"seconds": 5 * HOUR})

    assert answer.body["now"].endswith("Z")
    assert emu.now() - before >= 5 * HOUR
    assert [k for k, _ in lifecycle(emu)] == ["expirationReminder", "expired"]


def test_suspended_subscription_gets_an_event_and_no_membership_events(
    emu: Any, workspaceevents: Any
) -> None:
    """Suspension sends `suspended` with the reason; membership changes are no longer routed."""
    sub = create(workspaceevents, SUBSCRIPTION)

    emu.suspend_subscription(sub["name"], "ENDPOINT_PERMISSION_DENIED")
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")

    [(kind, body)] = lifecycle(emu)
    assert kind == "suspended"
    assert (body["state"], body["suspensionReason"]) == ("SUSPENDED", "ENDPOINT_PERMISSION_DENIED")
    assert len(emu.events()) == 1
    got = workspaceevents().subscriptions().get(name=sub["name"]).execute()
    assert got["state"] == "SUSPENDED"


def test_reactivate_turns_a_suspended_subscription_active_again(
    emu: Any, workspaceevents: Any
) -> None:
    """POST {name}:reactivate answers a done Operation; events flow again."""
    sub = create(workspaceevents, SUBSCRIPTION)
    emu.suspend_subscription(sub["name"])

    operation = workspaceevents().subscriptions().reactivate(name=sub["name"], body={}).execute()
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")

    assert operation["done"] is True
    assert operation["response"]["state"] == "ACTIVE"
    assert "suspensionReason" not in operation["response"]
    assert emu.events()[-1]["attributes"]["ce-type"].endswith("membership.v1.created")


def test_reactivating_an_active_subscription_is_400(
    emu: Any, workspaceevents: Any, refused: Any
) -> None:
    """Only SUSPENDED subscriptions can be reactivated: FAILED_PRECONDITION otherwise."""
    sub = create(workspaceevents, SUBSCRIPTION)

    refusal = refused(workspaceevents().subscriptions().reactivate(name=sub["name"], body={}))

    assert (refusal.http_status, refusal.status) == (400, "FAILED_PRECONDITION")


def test_reactivation_needs_the_authorizer_still_in_the_space(
    emu: Any, workspaceevents: Any, refused: Any
) -> None:
    """A user whose membership is gone cannot reactivate their subscription: 403."""
    ana = "user:ana.silva@example.com"
    sub = create(lambda token=ana: workspaceevents(token), SUBSCRIPTION)
    emu.suspend_subscription(sub["name"], "USER_AUTHORIZATION_FAILURE")
    emu.manual_change("spaces/AAAAeng", "ana.silva@example.com", "remove")

    refusal = refused(workspaceevents(ana).subscriptions().reactivate(name=sub["name"], body={}))

    assert refusal.status == "PERMISSION_DENIED"


def test_chatsync_decodes_lifecycle_events(emu: Any, workspaceevents: Any) -> None:
    """The project's decoder reads the emulated reminder, suspension and expiry."""
    sub = create(workspaceevents, SUBSCRIPTION)
    emu.advance(3 * HOUR + 1)
    emu.suspend_subscription(sub["name"])
    emu.advance(HOUR)

    decoded = [
        event
        for message in emu.events()
        for event in chatsync_events.decode_message(message, message_id=message["messageId"])
    ]

    assert all(isinstance(e, types.SubscriptionLifecycleEvent) for e in decoded)
    assert [(e.kind, e.subscription) for e in decoded] == [  # type: ignore[union-attr]
        ("expirationReminder", sub["name"]),
        ("suspended", sub["name"]),
        ("expired", sub["name"]),
    ]


def test_chatsync_renewal_keeps_a_subscription_past_its_first_expiry(emu: Any) -> None:
    """subscriptions.ensure on the emulator's clock: create, then renew near expiry; no expired."""
    client = WorkspaceEvents(google.oauth2.credentials.Credentials(token="app"), endpoint=emu.url)
    log = Logger(stream=io.StringIO())
    space = SpaceName("spaces/AAAAeng")

    first = subscriptions.ensure(
        client, [space], topic="projects/p/topics/t", now=emu.now(), log=log
    )
    emu.advance(2.5 * HOUR)
    second = subscriptions.ensure(
        client, [space], topic="projects/p/topics/t", now=emu.now(), log=log
    )
    emu.advance(2 * HOUR)

    assert (first.created, second.renewed) == ([space], [space])
    assert [k for k, _ in lifecycle(emu)] == []
    assert len(client.find(space)) == 1
