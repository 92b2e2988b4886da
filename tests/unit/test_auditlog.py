"""Workspace audit-log LogEntries (Admin and Enterprise Groups) decode into group and user events.

Fixtures are the message library's files (functions/chatsync/samples/messages/*-audit), so the
samples the Pub/Sub tests publish are the ones checked here.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import errors, messages
from chatsync.domain.events import DirectoryUserEvent, GroupEvent, decode_cloud_event
from chatsync.domain.events.auditlog import _reports_name

from .envelopes import PUBLISHED, SOURCE, eventarc, raw_push

LIBRARY = Path(__file__).resolve().parents[2] / "functions" / "chatsync" / "samples" / "messages"


def sample(name: str, index: int = 0) -> dict[str, Any]:
    """The LogEntry of one library message."""
    doc = json.loads((LIBRARY / name).read_text())
    item = doc[index] if isinstance(doc, list) else doc
    entry: dict[str, Any] = item["data"]
    return entry


def decode(entry: object, *, shape: str = "eventarc") -> tuple[Any, ...]:
    attributes = {"logging.googleapis.com/timestamp": "2026-11-23T09:12:58.916Z"}
    body = (
        eventarc(entry, attributes, ordering_key=None)
        if shape == "eventarc"
        else raw_push(entry, attributes)
    )
    return decode_cloud_event("2407454701990617", PUBLISHED, SOURCE, body)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "admin-audit/01-group-member-added.json",
            (
                "group.member_added",
                "lisbon-office@example.com",
                "eva.lund@example.com",
                True,
                "MEMBER",
            ),
        ),
        (
            "admin-audit/02-group-member-removed.json",
            (
                "group.member_removed",
                "lisbon-office@example.com",
                "tom.berg@example.com",
                False,
                "MEMBER",
            ),
        ),
        (
            "admin-audit/03-group-member-updated.json",
            (
                "group.member_role_changed",
                "eng-managers@example.com",
                "raj.mehta@example.com",
                True,
                "MEMBER",
            ),
        ),
        (
            "groups-audit/01-member-added.json",
            (
                "group.member_added",
                "eng-managers@example.com",
                "dev.patel@example.com",
                True,
                "MEMBER",
            ),
        ),
        (
            "groups-audit/02-member-removed.json",
            (
                "group.member_removed",
                "lisbon-office@example.com",
                "hugo.lima@example.com",
                False,
                "MEMBER",
            ),
        ),
        (
            "groups-audit/03-member-expired.json",
            (
                "group.member_removed",
                "lisbon-office@example.com",
                "kai.moser@example.com",
                False,
                "MEMBER",
            ),
        ),
        (
            "groups-audit/04-role-changed.json",
            (
                "group.member_role_changed",
                "eng-managers@example.com",
                "raj.mehta@example.com",
                True,
                "MANAGER",
            ),
        ),
    ],
)
def test_group_membership_entries_become_group_events(
    name: str, expected: tuple[str, str, str, bool, str]
) -> None:
    """Admin and Enterprise Groups membership entries become one GroupEvent each."""
    (event,) = decode(sample(name))

    assert isinstance(event, GroupEvent)
    assert event.member_type == "user"
    assert expected == (
        event.meta.event_type,
        event.group_email,
        event.member_email,
        event.added,
        event.role,
    )


@pytest.mark.parametrize(
    ("name", "email", "change"),
    [
        ("admin-audit/04-user-suspended.json", "pedro.gomes@example.com", "suspended"),
        ("admin-audit/05-user-deleted.json", "ines.moura@example.com", "deleted"),
        ("admin-audit/06-user-moved-org-unit.json", "felix.wagner@example.com", "moved_org_unit"),
        (
            "admin-audit/07-user-organization-changed.json",
            "joao.reis@example.com",
            "organization_changed",
        ),
        ("admin-audit/08-user-relation-changed.json", "li.wei@example.com", "relation_changed"),
    ],
)
def test_user_entries_only_name_the_user_to_re_read(name: str, email: str, change: str) -> None:
    """A user entry becomes a DirectoryUserEvent: who, and what kind of change; no facts."""
    (event,) = decode(sample(name))

    assert isinstance(event, DirectoryUserEvent)
    assert (event.email, event.change, event.meta.event_type) == (email, change, f"user.{change}")
    assert event.meta.source_system == "google-admin-audit"


def test_admin_event_id_is_the_activity_id_and_time_is_the_entry_timestamp() -> None:
    """The idempotency key is timeUsec:uniqQualifier; occurred_at is the entry's timestamp."""
    (event,) = decode(sample("admin-audit/01-group-member-added.json"))

    assert event.meta.event_id == "1795424378916000:-8614641986436885296"
    assert event.meta.occurred_at == datetime(2026, 11, 23, 9, 12, 58, 916000, tzinfo=UTC)


def test_admin_entry_without_activity_id_falls_back_to_insert_id() -> None:
    """Without metadata.activityId the LogEntry insertId is the event id."""
    entry = sample("admin-audit/04-user-suspended.json")
    del entry["protoPayload"]["metadata"]["activityId"]

    (event,) = decode(entry)

    assert event.meta.event_id == entry["insertId"]


def test_groups_audit_event_id_is_the_insert_id() -> None:
    """Enterprise Groups entries have no activityId: insertId is the key."""
    (event,) = decode(sample("groups-audit/01-member-added.json"))

    assert event.meta.event_id == "41616e8ca214107f662ac4cfddb7ae0c"
    assert event.meta.source_system == "cloudidentity-audit"


def test_a_nested_group_member_is_a_group() -> None:
    """``group:`` members are decoded as member_type group (the pipeline expands them)."""
    (event,) = decode(sample("groups-audit/05-nested-group-added.json"))

    assert (event.member_type, event.member_email) == ("group", "eng-managers@example.com")


def test_a_renamed_user_is_re_read_under_the_new_address() -> None:
    """renameUser names the address that exists now (NEW_VALUE)."""
    entry = sample("admin-audit/04-user-suspended.json")
    proto = entry["protoPayload"]
    proto["methodName"] = "google.admin.AdminService.renameUser"
    proto["metadata"]["event"][0]["eventName"] = "RENAME_USER"
    proto["metadata"]["event"][0]["parameter"].append(
        {"name": "NEW_VALUE", "value": "Pedro.Gomes2@example.com"}
    )

    (event,) = decode(entry)

    assert (event.email, event.change) == ("pedro.gomes2@example.com", "renamed")


def test_several_reports_events_in_one_entry_get_distinct_ids() -> None:
    """Two events of one activity become two events with ``#index`` ids."""
    entry = sample("admin-audit/01-group-member-added.json")
    events_ = entry["protoPayload"]["metadata"]["event"]
    second = copy.deepcopy(events_[0])
    second["parameter"][0]["value"] = "clara.diaz@example.com"
    events_.append(second)

    decoded = decode(entry)

    assert [e.member_email for e in decoded] == ["eva.lund@example.com", "clara.diaz@example.com"]
    assert [e.meta.event_id.rpartition("#")[2] for e in decoded] == ["0", "1"]


def test_the_raw_push_shape_decodes_the_same() -> None:
    """Through the Pub/Sub emulator (no subscription, no orderingKey) nothing changes."""
    entry = sample("groups-audit/02-member-removed.json")

    assert decode(entry, shape="raw") == decode(entry)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("addGroupMember", "ADD_GROUP_MEMBER"),
        ("moveUserToOrgUnit", "MOVE_USER_TO_ORG_UNIT"),
        ("changeUserOrganization", "CHANGE_USER_ORGANIZATION"),
    ],
)
def test_method_names_map_to_reports_event_names(method: str, expected: str) -> None:
    """Cloud Logging method suffixes are the lowerCamel Reports event names."""
    assert _reports_name(method) == expected


def _edit(name: str, path: list[str | int], value: object) -> dict[str, Any]:
    entry = sample(name)
    target: Any = entry
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return entry


_DELETE = object()
_ADMIN = "admin-audit/04-user-suspended.json"
_GROUPS = "groups-audit/01-member-added.json"
_EVENT = ["protoPayload", "metadata", "event"]
_DELTA = ["protoPayload", "metadata", "membershipDelta"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            sample("admin-audit/40-unsupported-method.json"),
            "message.data.protoPayload: unsupported source: no adapter for audit log entries of "
            "'admin.googleapis.com' method 'google.admin.AdminService.changePassword'",
        ),
        (
            sample("admin-audit/41-malformed-user-email.json"),
            "message.data.protoPayload.metadata.event[0].parameter.USER_EMAIL: "
            "'not an email' is not an email address",
        ),
        (
            _edit(_ADMIN, ["timestamp"], "yesterday"),
            "message.data.timestamp: 'yesterday' is not an RFC 3339 time",
        ),
        (
            _edit(_ADMIN, _EVENT, []),
            "message.data.protoPayload.metadata.event: expected a non-empty",
        ),
        (
            _edit(_ADMIN, [*_EVENT, 0, "eventName"], "DELETE_USER"),
            "message.data.protoPayload.metadata.event: no SUSPEND_USER event in the entry",
        ),
        (
            _edit(_ADMIN, [*_EVENT, 0, "parameter"], {}),
            "message.data.protoPayload.metadata.event[0].parameter: expected an array",
        ),
        (
            _edit(_ADMIN, [*_EVENT, 0, "parameter"], []),
            "message.data.protoPayload.metadata.event[0].parameter.USER_EMAIL: missing",
        ),
        (
            _edit(_ADMIN, ["protoPayload", "metadata"], _DELETE),
            "message.data.protoPayload.metadata: missing",
        ),
        (
            sample("groups-audit/40-malformed-no-delta.json"),
            "message.data.protoPayload.metadata.membershipDelta.roleDeltas: missing",
        ),
        (
            sample("groups-audit/41-malformed-member.json"),
            "membershipDelta.member: 'serviceAccount:robot@p.iam.gserviceaccount.com' is not",
        ),
        (
            _edit(_GROUPS, [*_DELTA, "roleDeltas", 0, "action"], "TOGGLE"),
            "membershipDelta.roleDeltas[0].action: 'TOGGLE' is not one of ADD, REMOVE",
        ),
        (
            _edit(_GROUPS, ["protoPayload", "metadata", "group"], "group:not-an-address"),
            "message.data.protoPayload.metadata.group: 'not-an-address' is not an email address",
        ),
        (
            _edit(_GROUPS, ["insertId"], _DELETE),
            "message.data.insertId: missing",
        ),
    ],
)
def test_malformed_entries_are_rejected_naming_the_field(entry: object, expected: str) -> None:
    """Every malformed or unsupported entry raises InvalidEvent naming the field path."""
    with pytest.raises(errors.InvalidEvent) as caught:
        decode(entry)

    assert expected in str(caught.value)


def test_create_and_delete_membership_without_deltas_follow_the_method() -> None:
    """CreateMembership adds and DeleteMembership removes when roleDeltas are absent."""
    entry = sample(_GROUPS)
    del entry["protoPayload"]["metadata"]["membershipDelta"]["roleDeltas"]
    service = "google.apps.cloudidentity.groups.v1.MembershipsService."
    results = []
    for method in ("CreateMembership", "DeleteMembership"):
        entry["protoPayload"]["methodName"] = service + method
        (event,) = decode(entry)
        results.append((event.meta.event_type, event.added))

    assert results == [("group.member_added", True), ("group.member_removed", False)]


def test_every_library_file_loads_and_decodes_or_is_named_malformed() -> None:
    """Each library message decodes, unless its file or description says it must not."""
    for message in messages.load([LIBRARY]):
        headers, body = message.cloud_event()
        bad = any(word in message.description for word in ("Malformed", "Unsupported"))
        try:
            decode_cloud_event(headers["ce-id"], headers["ce-type"], headers["ce-source"], body)
        except errors.InvalidEvent:
            assert bad, f"{message.origin} does not decode: {message.description}"
        else:
            assert not bad, f"{message.origin} decodes although it is meant to fail"


def test_the_library_has_a_folder_per_source() -> None:
    """hr, admin-audit, groups-audit, chat-events and reconcile each hold messages."""
    folders = {p.name for p in LIBRARY.iterdir() if p.is_dir() and any(p.glob("*.json"))}

    assert folders == {"hr", "admin-audit", "groups-audit", "chat-events", "reconcile"}
