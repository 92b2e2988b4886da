"""Group membership changes, ordered per (group, member) by when they happened.

Group events (Admin and Enterprise Groups audit logs, ``dirsync.hr.v1`` ``group.*``) arrive on
an unordered path: Pub/Sub may redeliver an old one after a newer one, and two changes of one
membership may cross. Each member has one document (``records.GROUP_CHANGES``, key: the
member's email) holding the latest change of each of their groups; ``record`` refuses a change
that happened before the stored one for the same group (a stale change changes nothing), and
lets the event that holds it through again (a redelivery after a failure half way).

The stored changes also feed the facts (``domain.facts``): for ``group_changes_hours`` after
chatsync received one, it outranks a Directory read that does not show it yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chatsync.app import records
from chatsync.app.ports import StateStore, Watermark
from chatsync.domain import events as ev
from chatsync.domain.facts import GroupChange
from chatsync.domain.model import Email

KIND = records.GROUP_CHANGES


def from_event(event: ev.GroupEvent, *, received_at: float) -> GroupChange:
    return GroupChange(
        group=event.group_email,
        member=event.member_email,
        added=event.added,
        occurred_at=event.meta.occurred_at.timestamp(),
        event_id=event.meta.event_id,
        received_at=received_at,
    )


def record(store: StateStore, change: GroupChange) -> bool:
    """Keep ``change`` unless the pair's stored change happened later (or at the same time,
    another event); return whether it is the pair's stored change now."""
    kept = [False]

    def update(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        held = {c.group: c for c in decode(doc)} if doc is not None else {}
        before = held.get(change.group)
        if before is not None and not _mark(change).is_newer_than(_mark(before)):
            kept[0] = before.event_id == change.event_id
            return None
        kept[0] = True
        held[change.group] = change
        return dict(encode(change.member, held.values()))

    store.update_doc(KIND, change.member, update)
    return kept[0]


def of(store: StateStore, member: Email) -> tuple[GroupChange, ...]:
    doc = store.get_doc(KIND, member)
    return decode(doc) if doc is not None else ()


def everyone(store: StateStore) -> dict[Email, tuple[GroupChange, ...]]:
    """Every member's changes (one listing, for the full reconcile)."""
    return {Email(key): decode(doc) for key, doc in store.list_docs(KIND)}


def _mark(change: GroupChange) -> Watermark:
    return Watermark(change.occurred_at, None, change.event_id)


def encode(member: Email, changes: Iterable[GroupChange]) -> records.GroupChanges:
    return {
        "member": member,
        "changes": [
            {
                "group": c.group,
                "added": c.added,
                "occurred_at": c.occurred_at,
                "event_id": c.event_id,
                "received_at": c.received_at,
            }
            for c in sorted(changes, key=lambda c: c.group)
        ],
    }


def decode(doc: Mapping[str, Any]) -> tuple[GroupChange, ...]:
    member = Email(str(doc["member"]))
    return tuple(
        GroupChange(
            group=Email(str(c["group"])),
            member=member,
            added=bool(c["added"]),
            occurred_at=float(c["occurred_at"]),
            event_id=str(c["event_id"]),
            received_at=float(c["received_at"]),
        )
        for c in doc.get("changes") or ()
    )
