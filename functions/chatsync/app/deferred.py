"""Future-dated HR events: recorded when they arrive, applied by the reconcile once due.

Each is one ``deferred`` document (``records.DeferredEvent``) keyed by its event id, carrying
the person snapshot and the watermark it would set. Once applied, its snapshot becomes the
person's latest HR snapshot (``app.hr_snapshots``) unless a newer one is there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chatsync.app import hr_snapshots, records
from chatsync.app.ports import StateStore, Watermark
from chatsync.domain import events as ev
from chatsync.domain import person_codec
from chatsync.domain.facts import HrSnapshot
from chatsync.domain.model import Email, Person


@dataclass(frozen=True, slots=True)
class DueEvent:
    key: str
    person: Person
    mark: Watermark


def record(store: StateStore, event: ev.PersonEvent, mark: Watermark) -> None:
    """Keep a future-dated event for the reconcile."""
    store.put_doc(
        records.DEFERRED,
        event.meta.event_id,
        {
            "due": event.effective_at.timestamp(),
            "email": event.person.email,
            "event_type": event.meta.event_type,
            "person": person_codec.to_dict(event.person),
            "occurred_at": mark.occurred_at,
            "sequence": mark.sequence,
        },
    )


def due_events(store: StateStore, now: float) -> list[DueEvent]:
    """Deferred events whose time has come and that carry a snapshot, oldest due first.

    Several due events for one person: the newest by watermark wins (the others are older facts).
    """
    newest: dict[Email, DueEvent] = {}
    for key, doc in sorted(store.list_docs(records.DEFERRED), key=lambda kv: kv[1].get("due", 0.0)):
        if doc.get("applied_at") is not None or float(doc.get("due", 0.0)) > now:
            continue
        snapshot = doc.get("person")
        if not isinstance(snapshot, Mapping):
            continue
        person = person_codec.from_dict(snapshot)
        mark = Watermark(float(doc.get("occurred_at", 0.0)), doc.get("sequence"), key)
        seen = newest.get(person.email)
        if seen is None or mark.is_newer_than(seen.mark):
            newest[person.email] = DueEvent(key, person, mark)
    return sorted(newest.values(), key=lambda d: d.key)


def settle(store: StateStore, due: Sequence[DueEvent], *, failed: set[Email], now: float) -> None:
    """Mark applied deferred events done (and advance watermarks and HR snapshots); failed
    people wait a run."""
    for event in due:
        if event.person.email in failed:
            continue
        mark = event.mark
        snapshot = HrSnapshot(event.person, event.key, mark.occurred_at, mark.sequence)
        hr_snapshots.record(store, snapshot, now=now)
        current = store.get_watermark(event.person.email)
        if current is None or event.mark.is_newer_than(current):
            store.advance_watermark(event.person.email, event.mark)
        doc = store.get_doc(records.DEFERRED, event.key) or {}
        applied = records.expiring(records.DEFERRED, {**doc, "applied_at": now}, now=now)
        store.put_doc(records.DEFERRED, event.key, applied)
