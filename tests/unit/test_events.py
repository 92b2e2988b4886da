"""Decoding Pub/Sub CloudEvents into typed events, and rejecting everything else with a path."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatsync.domain import errors, model
from chatsync.domain.events import (
    ChatMembershipEvent,
    GroupEvent,
    PersonEvent,
    ReconcileTick,
    SubscriptionLifecycleEvent,
    decode_cloud_event,
    decode_message,
)

from .envelopes import PUBLISHED, SOURCE, b64, eventarc, golden, raw_push, workspace


def decode(body: object, ce_id: str = "2407454701990617") -> tuple[Any, ...]:
    return decode_cloud_event(ce_id, PUBLISHED, SOURCE, body)


@pytest.mark.parametrize(
    ("name", "event_type", "email", "status", "kind"),
    [
        ("hr-hire.json", "person.hired", "ana.silva@example.com", "active", PersonEvent),
        ("hr-transfer.json", "person.transferred", "ana.silva@example.com", "active", PersonEvent),
        ("hr-promotion.json", "person.job_changed", "ana.silva@example.com", "active", PersonEvent),
        ("hr-demotion.json", "person.job_changed", "raj.mehta@example.com", "active", PersonEvent),
        (
            "hr-termination.json",
            "person.terminated",
            "leaver@example.com",
            "terminated",
            PersonEvent,
        ),
        ("hr-group-added.json", "group.member_added", "ana.silva@example.com", None, GroupEvent),
        (
            "hr-group-removed.json",
            "group.member_removed",
            "ana.silva@example.com",
            None,
            GroupEvent,
        ),
    ],
)
@pytest.mark.parametrize("shape", [eventarc, raw_push])
def test_every_reference_hr_message_decodes_in_both_envelopes(
    shape: Any, *, name: str, event_type: str, email: str, status: str | None, kind: type
) -> None:
    """The §3.4 examples decode from the Eventarc and the converted raw-push shapes alike."""
    payload = golden(name)
    (event,) = decode(shape(payload, {"schema": "dirsync.hr.v1"}))
    assert isinstance(event, kind)
    assert event.meta.event_type == event_type
    assert event.meta.event_id == payload["event_id"]
    assert event.meta.occurred_at.tzinfo is not None
    assert event.meta.source_system == payload["source"]["system"]
    if isinstance(event, PersonEvent):
        assert event.person.email == email
        assert event.person.employment_status.value == status
        assert event.person.groups == frozenset()
    else:
        assert event.member_email == email
        assert event.added == (event_type == "group.member_added")


def test_eventarc_metadata_is_kept() -> None:
    """Message id, ordering key, sequence, attributes and dates come through typed."""
    (event,) = decode(eventarc(golden("hr-transfer.json")))
    assert isinstance(event, PersonEvent)
    assert event.meta.message_id == "2407454701990617"
    assert event.meta.ordering_key == "emp-1042"
    assert event.meta.sequence == 7
    assert event.meta.attributes["schema"] == "dirsync.hr.v1"
    assert event.effective_at == datetime(2026, 6, 1, tzinfo=UTC)
    assert event.person.manager_email == "li.wei@example.com"
    assert event.person.org_unit_path == "/Engineering/Data"
    assert event.previous["department"] == "Platform"
    assert event.changed_fields == ("department", "cost_center", "manager", "org_unit_path")


def test_raw_push_without_attributes_is_recognised_by_the_payload_schema() -> None:
    """A publisher that sets no attributes still gets its HR event decoded."""
    body = raw_push(golden("hr-hire.json"))
    (event,) = decode(body, ce_id="77")
    assert isinstance(event, PersonEvent)
    assert event.meta.ordering_key == ""


def test_data_handed_over_as_bytes_is_parsed() -> None:
    """functions-framework may hand the CloudEvent data as raw bytes."""
    body = json.dumps(eventarc(golden("hr-hire.json"))).encode()
    (event,) = decode(body)
    assert isinstance(event, PersonEvent)


def test_decode_message_takes_a_bare_pubsub_message() -> None:
    """A Pub/Sub message dict decodes without the CloudEvent around it."""
    message = {"data": b64(golden("hr-hire.json")), "attributes": {}, "messageId": "9"}
    (event,) = decode_message(message)
    assert event.meta.message_id == "9"


def test_unknown_fields_are_ignored() -> None:
    """Additive changes to the format keep old consumers working."""
    payload = golden("hr-hire.json") | {"brand_new": {"x": 1}}
    payload["person"]["favourite_colour"] = "teal"
    (event,) = decode(eventarc(payload))
    assert isinstance(event, PersonEvent)


def test_custom_attributes_are_read() -> None:
    """``person.custom`` becomes ``Person.custom`` for ``custom.<key>`` rules."""
    payload = golden("hr-promotion.json")
    payload["person"]["custom"] = {"job_family": "Engineering", "band": 7}
    (event,) = decode(eventarc(payload))
    assert isinstance(event, PersonEvent)
    assert event.person.custom == {"job_family": "Engineering", "band": "7"}


MEMBERSHIP = {
    "name": "spaces/AAAAxyz/members/1122334455",
    "state": "JOINED",
    "role": "ROLE_MANAGER",
    "member": {"name": "users/1122334455", "type": "HUMAN"},
    "createTime": "2025-11-01T08:00:00Z",
}


@pytest.mark.parametrize(
    ("suffix", "membership", "kind", "role", "user", "member_type"),
    [
        ("created", MEMBERSHIP, "created", model.Role.OWNER, "users/1122334455", "HUMAN"),
        (
            "updated",
            MEMBERSHIP | {"role": "ROLE_ASSISTANT_MANAGER"},
            "updated",
            model.Role.MANAGER,
            "users/1122334455",
            "HUMAN",
        ),
        (
            "deleted",
            {"name": "spaces/AAAAxyz/members/1", "state": "NOT_A_MEMBER"},
            "deleted",
            None,
            None,
            None,
        ),
        ("created", {"name": "spaces/AAAAxyz/members/1"}, "created", None, None, None),
        (
            "created",
            {
                "name": "spaces/AAAAxyz/members/g1",
                "role": "MEMBERSHIP_ROLE_UNSPECIFIED",
                "groupMember": {"name": "groups/g1"},
            },
            "created",
            None,
            "groups/g1",
            "GROUP",
        ),
        (
            "updated",
            MEMBERSHIP | {"role": "ROLE_SOMETHING_NEW"},
            "updated",
            None,
            "users/1122334455",
            "HUMAN",
        ),
    ],
)
def test_chat_membership_events_decode(
    *,
    suffix: str,
    membership: dict[str, Any],
    kind: str,
    role: model.Role | None,
    user: str | None,
    member_type: str | None,
) -> None:
    """Created, updated and deleted Chat membership events name the space, user and role."""
    ce_type = f"google.workspace.chat.membership.v1.{suffix}"
    (event,) = decode(workspace(ce_type, {"membership": membership}))
    assert isinstance(event, ChatMembershipEvent)
    assert (event.space, event.kind, event.role, event.user, event.member_type) == (
        "spaces/AAAAxyz",
        kind,
        role,
        user,
        member_type,
    )
    assert event.meta.event_id == "spaces/AAAAxyz/spaceEvents/E1"
    assert event.meta.event_type == ce_type
    assert event.meta.occurred_at == datetime(2026, 3, 2, 12, 10, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize("suffix", ["batchCreated", "batchUpdated", "batchDeleted"])
def test_a_batch_event_yields_one_event_per_membership(suffix: str) -> None:
    """Batch events split into single changes, each with its own event id."""
    items = [{"membership": MEMBERSHIP | {"name": f"spaces/AAAAxyz/members/{i}"}} for i in range(3)]
    events = decode(
        workspace(f"google.workspace.chat.membership.v1.{suffix}", {"memberships": items})
    )
    assert [e.membership_name for e in events] == [f"spaces/AAAAxyz/members/{i}" for i in range(3)]
    assert [e.meta.event_id for e in events] == [
        f"spaces/AAAAxyz/spaceEvents/E1#{i}" for i in range(3)
    ]
    assert {e.kind for e in events} == {suffix.removeprefix("batch").lower()}


@pytest.mark.parametrize("kind", ["expirationReminder", "expired", "suspended"])
def test_subscription_lifecycle_events_decode(kind: str) -> None:
    """Lifecycle events name the subscription that needs attention."""
    payload = {
        "subscription": {
            "name": "subscriptions/chat-spaces-abc",
            "state": "ACTIVE",
            "targetResource": "//chat.googleapis.com/spaces/AAAAxyz",
            "expireTime": "2026-03-03T12:00:00Z",
        }
    }
    (event,) = decode(workspace(f"google.workspace.events.subscription.v1.{kind}", payload))
    assert isinstance(event, SubscriptionLifecycleEvent)
    assert (event.subscription, event.kind) == ("subscriptions/chat-spaces-abc", kind)
    assert event.expire_time == datetime(2026, 3, 3, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "scope", "approve"),
    [
        (b"", (), None),
        ({"kind": "reconcile"}, (), None),
        (
            {"kind": "reconcile", "spaces": ["spaces/BBB", "spaces/AAA"]},
            ("spaces/AAA", "spaces/BBB"),
            None,
        ),
        ({"kind": "approve", "plan_id": "plan-42"}, (), "plan-42"),
    ],
)
def test_reconcile_topic_messages_decode(
    data: object, scope: tuple[str, ...], approve: str | None
) -> None:
    """Ticks (empty or ``kind: reconcile``) and plan approvals decode to ``ReconcileTick``."""
    body = eventarc(data, {}, ordering_key=None)
    if data == b"":
        del body["message"]["data"]
    (event,) = decode(body)
    assert isinstance(event, ReconcileTick)
    assert (event.scope, event.approve_plan) == (scope, approve)
    assert event.meta.occurred_at == datetime(2026, 3, 16, 0, 0, 5, 840000, tzinfo=UTC)


def _hire(**changes: Any) -> dict[str, Any]:
    payload = golden("hr-hire.json")
    for dotted, value in changes.items():
        target = payload
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return payload


_DELETE = object()
_HR = {"schema": "dirsync.hr.v1"}


def _with_data(data: object) -> dict[str, Any]:
    body = eventarc({}, _HR)
    body["message"]["data"] = data
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_with_data("not base64!!"), "message.data: not valid base64 (message 2407454701990617)"),
        (_with_data(12), "message.data: expected base64 text, got a number"),
        (_with_data(base64.b64encode(b"\xff\xfe").decode()), "message.data: not UTF-8 text"),
        (_with_data(base64.b64encode(b"{nope").decode()), "message.data: not JSON"),
        (
            _with_data(base64.b64encode(b"[1, 2]").decode()),
            "message.data: expected an object, got an array",
        ),
        (_with_data(None), "message.data: missing"),
        (
            eventarc(_hire(), {"schema": "dirsync.hr.v2"}),
            "message.attributes.schema: 'dirsync.hr.v2' is not a supported schema",
        ),
        (
            eventarc(_hire(schema="dirsync.hr.v9"), {}),
            "message.data.schema: 'dirsync.hr.v9' is not a supported schema",
        ),
        (
            eventarc(_hire(event_type="person.fired")),
            "message.data.event_type: 'person.fired' is not one of",
        ),
        (
            eventarc(_hire(event_id=_DELETE)),
            "message.data.event_id: missing (message 2407454701990617, type person.hired)",
        ),
        (eventarc(_hire(subject=_DELETE)), "message.data.subject: missing"),
        (eventarc(_hire(person=_DELETE)), "message.data.person: missing"),
        (
            eventarc(_hire(occurred_at="yesterday")),
            "message.data.occurred_at: 'yesterday' is not an RFC 3339 time",
        ),
        (
            eventarc(_hire(occurred_at="2026-03-02T09:00:00")),
            "message.data.occurred_at: '2026-03-02T09:00:00' is not",
        ),
        (
            eventarc(_hire(effective_at="2026-13-01")),
            "message.data.effective_at: '2026-13-01' is not",
        ),
        (
            eventarc(_hire(sequence=-1)),
            "message.data.sequence: expected a non-negative integer, got -1",
        ),
        (
            eventarc(_hire(sequence=True)),
            "message.data.sequence: expected a non-negative integer, got True",
        ),
        (
            eventarc(_hire(person__employment_status="fired")),
            "message.data.person.employment_status: 'fired' is not one of active, leave, "
            "terminated, pre_hire (message 2407454701990617, type person.hired)",
        ),
        (
            eventarc(_hire(person__is_people_manager="yes")),
            "message.data.person.is_people_manager: expected true or false",
        ),
        (
            eventarc(_hire(person__title=12)),
            "message.data.person.title: expected a string, got a number",
        ),
        (
            eventarc(_hire(subject__work_email="ana at example")),
            "message.data.subject.work_email: 'ana at example' is not an email",
        ),
        (
            eventarc(_hire(person__manager__work_email="x@")),
            "message.data.person.manager.work_email: 'x@' is not an email",
        ),
        (
            eventarc(_hire(changed_fields=[1])),
            "message.data.changed_fields[0]: expected a string, got a number",
        ),
        (eventarc(_hire(event_type="group.member_added")), "message.data.group: missing"),
        (
            eventarc(
                golden("hr-group-added.json")
                | {
                    "group": {
                        "email": "g@example.com",
                        "member_email": "a@example.com",
                        "member_type": "robot",
                    }
                }
            ),
            "message.data.group.member_type: 'robot' is not one of user, group",
        ),
        (
            workspace("google.workspace.chat.message.v1.created", {}),
            "message.attributes.ce-type: 'google.workspace.chat.message.v1.created' is not",
        ),
        (
            workspace(
                "google.workspace.chat.membership.v1.created",
                {"membership": {"name": "spaces/A/members/"}},
            ),
            "message.data.membership.name: 'spaces/A/members/' is not a membership name",
        ),
        (
            workspace(
                "google.workspace.chat.membership.v1.created",
                {"membership": {"name": "rooms/x/members/1"}},
            ),
            "message.data.membership.name: 'rooms/x' is not a space name",
        ),
        (
            workspace(
                "google.workspace.chat.membership.v1.batchCreated",
                {"memberships": [{"membership": {}}]},
            ),
            "message.data.memberships[0].membership.name: missing",
        ),
        (
            eventarc({"kind": "approve"}, {}),
            "message.data.plan_id: missing (message 2407454701990617, type approve)",
        ),
        (
            eventarc({"kind": "reconcile", "spaces": ["eng"]}, {}),
            "message.data.spaces[0]: 'eng' is not a space name",
        ),
        (
            eventarc(
                {
                    "protoPayload": {
                        "serviceName": "admin.googleapis.com",
                        "methodName": "x.addGroupMember",
                    }
                },
                {},
            ),
            "message.data.protoPayload: unsupported source",
        ),
        (eventarc({"hello": 1}, {}), "message: unsupported source"),
        ({"message": "hi"}, "data.message: expected an object, got a string"),
        ({}, "data.message: missing"),
        (b"\x00garbage", "data: not JSON"),
        (b"\xff", "data: not UTF-8 text"),
        (
            {"message": {"attributes": {"schema": 3}}},
            "message.attributes.schema: expected a string, got a number",
        ),
    ],
)
def test_malformed_messages_are_rejected_naming_the_field(body: object, expected: str) -> None:
    """Every malformed message raises InvalidEvent whose text starts with the field path."""
    with pytest.raises(errors.InvalidEvent) as caught:
        decode(body)
    assert expected in str(caught.value)


def test_a_cloud_event_of_another_type_is_rejected() -> None:
    """Only messagePublished CloudEvents are decoded."""
    with pytest.raises(
        errors.InvalidEvent, match=r"is not google\.cloud\.pubsub\.topic\.v1\.messagePublished"
    ):
        decode_cloud_event("1", "google.cloud.storage.object.v1.finalized", "//storage", {})


def test_deeply_nested_json_is_an_invalid_event() -> None:
    """A pathological payload is rejected, not a RecursionError."""
    with pytest.raises(errors.InvalidEvent):
        decode(eventarc(b"[" * 100_000 + b"]" * 100_000))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
_KEYS = [
    "schema",
    "event_id",
    "event_type",
    "occurred_at",
    "effective_at",
    "source",
    "subject",
    "person",
    "group",
    "kind",
    "spaces",
    "plan_id",
    "membership",
    "memberships",
    "subscription",
    "protoPayload",
]


@st.composite
def near_valid_payloads(draw: st.DrawFn) -> object:
    base = draw(
        st.sampled_from(
            [
                golden("hr-hire.json"),
                golden("hr-group-added.json"),
                {"membership": MEMBERSHIP},
                {"kind": "reconcile"},
            ]
        )
    )
    for key in draw(st.lists(st.sampled_from(_KEYS), max_size=3)):
        base[key] = draw(json_values)
    return base


@settings(max_examples=300, deadline=None)
@given(
    payload=near_valid_payloads() | json_values,
    attributes=st.dictionaries(
        st.sampled_from(["schema", "ce-type", "ce-id", "ce-time", "x"]),
        st.sampled_from(
            [
                "dirsync.hr.v1",
                "google.workspace.chat.membership.v1.created",
                "2026-01-01T00:00:00Z",
                "",
                "zz",
            ]
        ),
        max_size=4,
    ),
    raw_bytes=st.binary(max_size=30),
    use_raw=st.booleans(),
)
def test_nothing_but_invalid_event_escapes_the_decoder(
    payload: object, attributes: dict[str, str], raw_bytes: bytes, use_raw: bool
) -> None:
    """For any input the decoder returns events or raises InvalidEvent, never anything else."""
    body = eventarc(raw_bytes if use_raw else payload, attributes)
    with contextlib.suppress(errors.InvalidEvent):
        decode(body)


@settings(max_examples=200, deadline=None)
@given(body=json_values)
def test_any_cloud_event_data_decodes_or_is_invalid(body: object) -> None:
    """Arbitrary CloudEvent data never raises anything but InvalidEvent."""
    try:
        decode(body)
        decode({"message": body})
    except errors.InvalidEvent:
        pass
