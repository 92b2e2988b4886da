"""The typed events every decoder produces: nothing past ``chatsync.domain.events`` sees a dict.

Each event carries an ``EventMeta`` (ids, type, times, routing) and the facts of one kind of
change. Person snapshots are ``model.Person`` values with ``groups`` left empty: group
membership comes from the Directory, never from an HR payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from chatsync.domain import model
from chatsync.domain.work_items import WorkMessage

ChatChange = Literal["created", "updated", "deleted"]
LifecycleKind = Literal["expirationReminder", "expired", "suspended"]

_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class EventMeta:
    """Where an event came from and how to deduplicate and order it."""

    message_id: str
    """Pub/Sub ``messageId`` (== the CloudEvent id): the same on every redelivery."""
    event_id: str
    """Business idempotency key: the payload ``event_id``; for Chat events the ``ce-id``."""
    event_type: str
    """``person.hired``, ``group.member_added``, ``google.workspace.chat.membership.v1.created``."""
    occurred_at: datetime
    """When the change happened at the source; timezone-aware UTC."""
    sequence: int | None = None
    """Monotonic per subject when the source has one; used to drop stale events."""
    source_system: str = ""
    ordering_key: str = ""
    attributes: Mapping[str, str] = field(default_factory=lambda: _NO_ATTRIBUTES)
    """The Pub/Sub message attributes, read-only."""


@dataclass(frozen=True, slots=True)
class PersonEvent:
    """An HR change about one person, with the full snapshot after the change."""

    meta: EventMeta
    person: model.Person
    effective_at: datetime
    """When the change takes effect (a date-only value means midnight UTC)."""
    previous: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """Partial snapshot before the change: for explanations only, never trusted."""
    changed_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupEvent:
    """A Google Group gained, lost or re-roled a member."""

    meta: EventMeta
    group_email: model.Email
    member_email: model.Email
    member_type: str
    """``user`` or ``group`` (a nested group)."""
    added: bool
    """False only for ``group.member_removed``."""
    role: str = "MEMBER"
    """The member's role in the group (``MEMBER``/``MANAGER``/``OWNER``); not a Chat role."""


@dataclass(frozen=True, slots=True)
class DirectoryUserEvent:
    """Re-read this user from the Directory (suspended, deleted, moved OU, org data changed)."""

    meta: EventMeta
    email: model.Email
    change: str


@dataclass(frozen=True, slots=True)
class ChatMembershipEvent:
    """A membership in a Chat space was created, updated or deleted (drift detection)."""

    meta: EventMeta
    space: model.SpaceName
    kind: ChatChange
    membership_name: str
    """``spaces/S/members/M``."""
    user: str | None = None
    """``users/123`` or ``groups/abc``; None when the payload carries only the name."""
    member_type: str | None = None
    """``HUMAN``, ``BOT`` or ``GROUP``; None when unknown."""
    role: model.Role | None = None
    """chatsync's role name; None when absent or an API value chatsync does not know."""
    state: str | None = None
    """``JOINED``, ``INVITED`` or ``NOT_A_MEMBER``."""


@dataclass(frozen=True, slots=True)
class SubscriptionLifecycleEvent:
    """A Workspace Events subscription is about to expire, expired or was suspended."""

    meta: EventMeta
    subscription: str
    """``subscriptions/ID``."""
    kind: LifecycleKind
    target_resource: str | None = None
    state: str | None = None
    suspension_reason: str | None = None
    expire_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReconcileTick:
    """Reconcile managed spaces now; or, with ``approve_plan``, release a held plan."""

    meta: EventMeta
    scope: tuple[model.SpaceName, ...] = ()
    """The spaces to reconcile; empty means every managed space."""
    approve_plan: str | None = None
    renew_subscriptions: bool = False
    """``{"kind": "renew_subscriptions"}``: renew the Workspace Events subscriptions instead."""


@dataclass(frozen=True, slots=True)
class WorkItemEvent:
    """A work item of a fanned-out run (``domain.work_items``): apply it from its cursor on."""

    meta: EventMeta
    """``event_id`` is the item id and cursor (``WorkMessage.event_id``)."""
    work: WorkMessage


Event = (
    PersonEvent
    | GroupEvent
    | DirectoryUserEvent
    | ChatMembershipEvent
    | SubscriptionLifecycleEvent
    | ReconcileTick
    | WorkItemEvent
)
