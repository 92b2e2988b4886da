"""Workspace Events API messages: Chat membership changes and subscription lifecycle.

Workspace publishes the CloudEvent context as Pub/Sub attributes (``ce-type``, ``ce-id``,
``ce-time``, ``ce-subject``...) and the event data as JSON. A batch event
(``...membership.v1.batchCreated`` etc.) yields one ``ChatMembershipEvent`` per membership; each
gets the event id ``<ce-id>#<index>`` so deduplication stays per change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from chatsync.domain import model
from chatsync.domain.events import fields, raw, types

MEMBERSHIP = "google.workspace.chat.membership.v1."
LIFECYCLE = "google.workspace.events.subscription.v1."
CHANGES: Mapping[str, types.ChatChange] = {
    "created": "created",
    "updated": "updated",
    "deleted": "deleted",
    "batchCreated": "created",
    "batchUpdated": "updated",
    "batchDeleted": "deleted",
}
LIFECYCLE_KINDS = ("expirationReminder", "expired", "suspended")
SUPPORTED = tuple(MEMBERSHIP + c for c in CHANGES) + tuple(LIFECYCLE + k for k in LIFECYCLE_KINDS)
_DATA = "message.data"
_ATTRS = "message.attributes"


def matches(message: raw.RawMessage) -> bool:
    """Ours when the message carries CloudEvent attributes."""
    return "ce-type" in message.attributes


def decode(message: raw.RawMessage) -> tuple[types.Event, ...]:
    where = message.where
    ce_type = message.attributes.get("ce-type", "")
    if ce_type not in SUPPORTED:
        raise where.fail(
            f"{_ATTRS}.ce-type",
            f"{fields.show(ce_type)} is not a supported event type "
            "(chatsync reads Chat membership and subscription lifecycle events)",
        )
    where = where.typed(ce_type)
    attributes: Mapping[str, object] = message.attributes
    ce_id = fields.string(attributes, "ce-id", _ATTRS, where)
    occurred_at = fields.timestamp(attributes, "ce-time", _ATTRS, where)
    body = fields.mapping(message.json(where), _DATA, where)
    suffix = ce_type.rpartition(".")[2]
    if ce_type.startswith(LIFECYCLE):
        meta = message.meta(
            event_id=ce_id,
            event_type=ce_type,
            occurred_at=occurred_at,
            source_system="workspace-events",
        )
        return (_lifecycle(body, meta, cast(types.LifecycleKind, suffix), where),)
    kind = CHANGES[suffix]
    if suffix.startswith("batch"):
        items = body.get("memberships")
        if not isinstance(items, list):
            raise where.fail(
                f"{_DATA}.memberships", f"expected an array, got {fields.kind_of(items)}"
            )
        if not items:
            raise where.fail(f"{_DATA}.memberships", "must not be empty")
        wrapped = [
            (f"{_DATA}.memberships[{i}]", item, f"{ce_id}#{i}") for i, item in enumerate(items)
        ]
    else:
        wrapped = [(_DATA, body, ce_id)]
    events: list[types.Event] = []
    for path, item, event_id in wrapped:
        wrapper = fields.mapping(item, path, where)
        membership = fields.child(wrapper, "membership", path, where)
        meta = message.meta(
            event_id=event_id,
            event_type=ce_type,
            occurred_at=occurred_at,
            source_system="workspace-events",
        )
        events.append(_membership(membership, f"{path}.membership", meta, kind, where))
    return tuple(events)


def _membership(
    membership: Mapping[str, object],
    path: str,
    meta: types.EventMeta,
    kind: types.ChatChange,
    where: fields.Where,
) -> types.ChatMembershipEvent:
    name = fields.string(membership, "name", path, where)
    space_id, sep, member_id = name.partition("/members/")
    if not sep or not member_id or "/" in member_id:
        raise where.fail(
            f"{path}.name", f"{fields.show(name)} is not a membership name (spaces/S/members/M)"
        )
    try:
        space = model.space_name(space_id)
    except ValueError as exc:
        raise where.fail(f"{path}.name", str(exc)) from None
    user = member_type = None
    member = fields.optional_child(membership, "member", path, where)
    group = fields.optional_child(membership, "groupMember", path, where)
    if member is not None:
        user = fields.optional_string(member, "name", f"{path}.member", where)
        member_type = fields.optional_string(member, "type", f"{path}.member", where)
    elif group is not None:
        user = fields.optional_string(group, "name", f"{path}.groupMember", where)
        member_type = "GROUP"
    role_value = fields.optional_string(membership, "role", path, where)
    role = None
    if role_value is not None:
        try:
            role = model.Role.from_api(role_value)
        except ValueError:
            role = None  # MEMBERSHIP_ROLE_UNSPECIFIED or a value newer than this code
    return types.ChatMembershipEvent(
        meta=meta,
        space=space,
        kind=kind,
        membership_name=name,
        user=user,
        member_type=member_type,
        role=role,
        state=fields.optional_string(membership, "state", path, where),
    )


def _lifecycle(
    body: Mapping[str, object],
    meta: types.EventMeta,
    kind: types.LifecycleKind,
    where: fields.Where,
) -> types.SubscriptionLifecycleEvent:
    path = f"{_DATA}.subscription"
    subscription = fields.child(body, "subscription", _DATA, where)
    expire_time = None
    if subscription.get("expireTime") is not None:
        expire_time = fields.timestamp(subscription, "expireTime", path, where)
    return types.SubscriptionLifecycleEvent(
        meta=meta,
        subscription=fields.string(subscription, "name", path, where),
        kind=kind,
        target_resource=fields.optional_string(subscription, "targetResource", path, where),
        state=fields.optional_string(subscription, "state", path, where),
        suspension_reason=fields.optional_string(subscription, "suspensionReason", path, where),
        expire_time=expire_time,
    )


ADAPTER = raw.Adapter(name="workspace-events", matches=matches, decode=decode)
