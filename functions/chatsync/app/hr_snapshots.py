"""The latest HR snapshot per person, kept in the store (``records.HR_SNAPSHOT``, key: email).

An HR event carries the person's full snapshot after the change; the latest one applied is the
HR side of the person's facts on every path (``app.facts``). A snapshot replaces the stored one
only when it is newer in the person's order (``Watermark``: sequence, else ``occurred_at``), so
a late or duplicated delivery never moves it backwards; the event that holds it may write it
again (a redelivery after a failure half way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatsync.app import records
from chatsync.app.ports import StateStore, Watermark
from chatsync.domain import events as ev
from chatsync.domain import person_codec
from chatsync.domain.facts import HrSnapshot
from chatsync.domain.model import Email

KIND = records.HR_SNAPSHOT


def from_event(event: ev.PersonEvent) -> HrSnapshot:
    meta = event.meta
    return HrSnapshot(event.person, meta.event_id, meta.occurred_at.timestamp(), meta.sequence)


def mark_of(snapshot: HrSnapshot) -> Watermark:
    """Where the snapshot stands in the person's order."""
    return Watermark(snapshot.occurred_at, snapshot.sequence, snapshot.event_id)


def record(store: StateStore, snapshot: HrSnapshot, *, now: float) -> bool:
    """Store ``snapshot`` unless a newer one is there; return whether it is the stored one now."""
    stored = [False]

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        held = decode(doc) if doc is not None else None
        newer = held is None or mark_of(snapshot).is_newer_than(mark_of(held))
        stored[0] = newer or (held is not None and held.event_id == snapshot.event_id)
        if not newer:
            return None
        return dict(encode(snapshot, now=now))

    store.update_doc(KIND, snapshot.person.email, change)
    return stored[0]


def latest(store: StateStore, email: Email) -> HrSnapshot | None:
    doc = store.get_doc(KIND, email)
    return decode(doc) if doc is not None else None


def everyone(store: StateStore) -> dict[Email, HrSnapshot]:
    """Every stored snapshot by email (one listing, for the full reconcile)."""
    return {Email(key): decode(doc) for key, doc in store.list_docs(KIND)}


def encode(snapshot: HrSnapshot, *, now: float) -> records.HrSnapshot:
    return {
        "person": person_codec.to_dict(snapshot.person),  # type: ignore[typeddict-item]
        "event_id": snapshot.event_id,
        "occurred_at": snapshot.occurred_at,
        "sequence": snapshot.sequence,
        "recorded_at": now,
    }


def decode(doc: Mapping[str, Any]) -> HrSnapshot:
    sequence = doc.get("sequence")
    return HrSnapshot(
        person=person_codec.from_dict(doc["person"]),
        event_id=str(doc["event_id"]),
        occurred_at=float(doc["occurred_at"]),
        sequence=int(sequence) if sequence is not None else None,
    )
