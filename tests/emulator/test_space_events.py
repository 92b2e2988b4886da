"""``spaces.spaceEvents`` list and get (reference §11.4): the catch-up read of membership events."""

from __future__ import annotations

import base64
import json
from typing import Any

MEMBERSHIP = "google.workspace.chat.membership.v1."
ALL = " OR ".join(f'event_types:"{MEMBERSHIP}{k}"' for k in ("created", "updated", "deleted"))
DAY = 24 * 3600.0


def listing(chat: Any, token: str = "app", **kw: Any) -> dict[str, Any]:
    kw.setdefault("filter", ALL)
    return chat(token).spaces().spaceEvents().list(parent="spaces/AAAAeng", **kw).execute()  # type: ignore[no-any-return]


def three_changes(emu: Any) -> None:
    """Add Li, promote Ana to Owner, remove Li."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    emu.manual_change("spaces/AAAAeng", "ana.silva@example.com", "role", "owner")
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "remove")


def test_events_are_listed_oldest_first_with_current_state(emu: Any, chat: Any) -> None:
    """created, updated, deleted in order; payloads are current state, the removed are {}."""
    three_changes(emu)

    events = listing(chat)["spaceEvents"]

    assert [e["eventType"].removeprefix(MEMBERSHIP) for e in events] == [
        "created",
        "updated",
        "deleted",
    ]
    assert events[0]["membershipCreatedEventData"] == {"membership": {}}
    assert events[1]["membershipUpdatedEventData"]["membership"]["role"] == "ROLE_MANAGER"
    assert events[2]["membershipDeletedEventData"] == {"membership": {}}
    assert [e["eventTime"] for e in events] == sorted(e["eventTime"] for e in events)


def test_the_filter_selects_event_types(emu: Any, chat: Any) -> None:
    """Only the named types come back."""
    three_changes(emu)

    events = listing(chat, filter=f'event_types:"{MEMBERSHIP}updated"')["spaceEvents"]

    assert [e["eventType"] for e in events] == [f"{MEMBERSHIP}updated"]


def test_event_names_are_the_ce_ids_and_can_be_fetched(emu: Any, chat: Any) -> None:
    """A message's ce-id is the spaceEvent name; spaceEvents.get returns that event."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    ce_id = emu.events()[0]["attributes"]["ce-id"]

    [listed] = listing(chat)["spaceEvents"]
    got = chat().spaces().spaceEvents().get(name=ce_id).execute()

    assert listed["name"] == got["name"] == ce_id
    assert got["membershipCreatedEventData"]["membership"]["member"]["name"] == "users/100000000003"


def test_batches_come_back_under_their_plain_type(emu: Any, chat: Any) -> None:
    """Filtering on created also returns batchCreated, with a list of memberships."""
    emu.configure_events(coalesce=True, batch_window=5)
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    emu.manual_change("spaces/AAAAeng", "sam.lee@example.com", "add")
    emu.flush_events()

    [event] = listing(chat, filter=f'event_types:"{MEMBERSHIP}created"')["spaceEvents"]

    assert event["eventType"] == f"{MEMBERSHIP}batchCreated"
    wrapped = event["membershipBatchCreatedEventData"]["memberships"]
    assert [w["membership"]["name"] for w in wrapped] == [
        "spaces/AAAAeng/members/100000000003",
        "spaces/AAAAeng/members/100000000005",
    ]


def test_start_time_is_exclusive_and_end_time_inclusive(emu: Any, chat: Any) -> None:
    """start_time = the first event's time drops it; end_time = the second's keeps it."""
    three_changes(emu)
    first, second, _ = listing(chat)["spaceEvents"]
    window = f'start_time="{first["eventTime"]}" AND end_time="{second["eventTime"]}"'

    events = listing(chat, filter=f"{window} AND ({ALL})")["spaceEvents"]

    assert [e["name"] for e in events] == [second["name"]]


def test_events_older_than_28_days_are_gone(emu: Any, chat: Any) -> None:
    """After 29 days of emulated time the record no longer lists the event."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    emu.advance(27 * DAY)
    assert len(listing(chat)["spaceEvents"]) == 1

    emu.advance(2 * DAY)

    assert listing(chat) == {}


def test_start_time_beyond_the_look_back_is_400(emu: Any, chat: Any, refused: Any) -> None:
    """A start_time more than 28 days ago is INVALID_ARGUMENT (strict reading)."""
    request = (
        chat()
        .spaces()
        .spaceEvents()
        .list(parent="spaces/AAAAeng", filter=f'start_time="2001-01-01T00:00:00Z" AND {ALL}')
    )

    assert refused(request).status == "INVALID_ARGUMENT"


def test_malformed_filters_are_400(chat: Any, refused: Any) -> None:
    """No filter, AND between types, OR with a time, a batch type, an unknown type: all 400."""
    bad = [
        "",
        f'event_types:"{MEMBERSHIP}created" AND event_types:"{MEMBERSHIP}deleted"',
        f'start_time="2026-01-01T00:00:00Z" OR event_types:"{MEMBERSHIP}created"',
        f'event_types:"{MEMBERSHIP}batchCreated"',
        'event_types:"google.workspace.chat.membership.v1.moved"',
    ]
    for text in bad:
        request = chat().spaces().spaceEvents().list(parent="spaces/AAAAeng", filter=text)
        assert refused(request).status == "INVALID_ARGUMENT", text


def test_pages_follow_tokens_bound_to_the_filter(emu: Any, chat: Any, refused: Any) -> None:
    """pageSize=2 over three events: two pages; reusing the token with another filter is 400."""
    three_changes(emu)

    first = listing(chat, pageSize=2)
    second = listing(chat, pageSize=2, pageToken=first["nextPageToken"])
    other = (
        chat()
        .spaces()
        .spaceEvents()
        .list(
            parent="spaces/AAAAeng",
            filter=f'event_types:"{MEMBERSHIP}created"',
            pageSize=2,
            pageToken=first["nextPageToken"],
        )
    )

    assert len(first["spaceEvents"]) == 2
    assert len(second["spaceEvents"]) == 1
    assert "nextPageToken" not in second
    assert refused(other).status == "INVALID_ARGUMENT"


def test_negative_page_size_is_400(chat: Any, refused: Any) -> None:
    """pageSize below zero is INVALID_ARGUMENT."""
    request = chat().spaces().spaceEvents().list(parent="spaces/AAAAeng", filter=ALL, pageSize=-1)

    assert refused(request).status == "INVALID_ARGUMENT"


def test_callers_must_be_members_of_the_space(chat: Any, refused: Any) -> None:
    """Li Wei is in no space: listing Engineering's events is 404, like its members."""
    request = (
        chat("user:li.wei@example.com")
        .spaces()
        .spaceEvents()
        .list(parent="spaces/AAAAeng", filter=ALL)
    )

    assert refused(request).http_status == 404


def test_members_see_events_too(emu: Any, chat: Any) -> None:
    """User auth with chat.memberships.readonly lists the events of a space the user is in."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")

    token = "user:ana.silva@example.com;scopes=chat.memberships.readonly"
    [event] = listing(chat, token)["spaceEvents"]

    assert event["membershipCreatedEventData"]["membership"]["member"] == {
        "name": "users/100000000003",
        "type": "HUMAN",
    }


def test_api_writes_are_recorded_even_when_not_emitted(emu: Any, chat: Any) -> None:
    """emit_for_api_writes=False silences Pub/Sub, not Chat's own record of the change."""
    emu.configure_events(emit_for_api_writes=False)
    chat().spaces().members().create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}}
    ).execute()

    assert emu.events() == []
    assert len(listing(chat)["spaceEvents"]) == 1


def test_message_data_and_space_event_agree_on_the_membership(emu: Any, chat: Any) -> None:
    """The Pub/Sub payload and the spaceEvent describe the same membership."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    message = emu.events()[0]
    payload = json.loads(base64.b64decode(message["data"]))

    [event] = listing(chat)["spaceEvents"]

    assert (
        event["membershipCreatedEventData"]["membership"]["name"] == payload["membership"]["name"]
    )
