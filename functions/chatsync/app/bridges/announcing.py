"""Tell chatsync what changed, once: diff against what was announced, publish, remember.

    announcer.person(facts, provenance)              -> the events published (maybe none)
    announcer.memberships(group_key, now_members, provenance)

Per subject the store holds an ``Announced`` record: the facts last announced and the sequence
of the newest event. A change is classified (``changes.classify``), numbered ``sequence + 1``,
given its deterministic id (``hr_messages.event_id``), published unless the store says that id
was already published, and only then is the new ``Announced`` written. So:

- a retried request that leads to the same state finds nothing to announce;
- a crash after publishing and before remembering re-derives the same events with the same ids
  and skips them (``was_published``), then writes the record it missed;
- a publish failure raises before anything is written: the caller answers 5xx and the client
  retries (SCIM clients and HR vendors both do).

Group events advance the *member's* sequence (their subject is the member), so a person's
sequence is monotonic across every event about them. One lock per subject key serializes
concurrent requests inside an instance; across instances the IdP's own per-object ordering is
relied on (Okta and Entra send one request per object at a time).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from chatsync.app.bridges.ports import Announced, BridgeStore, Clock, Publisher
from chatsync.domain.bridges import hr_messages
from chatsync.domain.bridges.changes import (
    Membership,
    MembershipChange,
    classify,
    membership_changes,
)
from chatsync.domain.bridges.hr_messages import Provenance
from chatsync.domain.bridges.snapshots import PersonFacts


def person_key(system: str, person_id: str) -> str:
    return f"{system}:person:{person_id}"


def group_key(system: str, group_id: str) -> str:
    return f"{system}:group:{group_id}"


class Announcer:
    def __init__(self, *, store: BridgeStore, publisher: Publisher, clock: Clock) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield

    def last_facts(self, system: str, person_id: str) -> PersonFacts | None:
        """The facts last announced for a person (a delete terminates from these)."""
        record = self._store.get_announced(person_key(system, person_id))
        if record is None or not record.facts:
            return None
        return PersonFacts.from_json(record.facts)

    def person(self, facts: PersonFacts, provenance: Provenance) -> list[dict[str, Any]]:
        """Announce *facts* if they differ from the last announced ones; return what was sent."""
        key = person_key(provenance.system, facts.person_id)
        with self._locked(key):
            record = self._store.get_announced(key)
            before = PersonFacts.from_json(record.facts) if record and record.facts else None
            change = classify(before, facts)
            if change is None:
                # Identical, or a new person with nothing to grant (an inactive account):
                # nothing is announced, so a later activation is the hire.
                return []
            sequence = (record.sequence if record else 0) + 1
            now = self._clock()
            event = hr_messages.person_event(change, provenance, sequence=sequence, now=now)
            self._send(event, now)
            self._store.put_announced(Announced(key, sequence, facts.to_json()))
            return [event]

    def memberships(
        self,
        key: str,
        current: Iterable[Membership],
        provenance: Provenance,
    ) -> list[dict[str, Any]]:
        """Announce the adds and removes between the last announced members and *current*.

        The group's record is rewritten after each event, so a failure half way leaves it
        exactly at what was published and the retry sends only the rest.
        """
        with self._locked(key):
            record = self._store.get_announced(key)
            members = set(_members(record))
            sent = []
            for change in membership_changes(members, current):
                sent.append(self._member_change(change, provenance))
                if change.added:
                    members.add(change.membership)
                else:
                    members.discard(change.membership)
                self._store.put_announced(
                    Announced(key, 0, {"members": [m.to_json() for m in sorted(members)]})
                )
            if record is None and not sent:
                self._store.put_announced(Announced(key, 0, {"members": []}))
            return sent

    def announced_members(self, key: str) -> list[Membership]:
        """The members last announced for a group (a deleted group removes them all)."""
        return sorted(_members(self._store.get_announced(key)))

    def _member_change(self, change: MembershipChange, provenance: Provenance) -> dict[str, Any]:
        key = person_key(provenance.system, change.membership.member_id)
        with self._locked(key):
            record = self._store.get_announced(key)
            sequence = (record.sequence if record else 0) + 1
            now = self._clock()
            event = hr_messages.group_event(change, provenance, sequence=sequence, now=now)
            self._send(event, now)
            self._store.put_announced(Announced(key, sequence, record.facts if record else None))
            return event

    def _send(self, event: Mapping[str, Any], now: float) -> None:
        event_id = str(event["event_id"])
        if self._store.was_published(event_id):
            return
        self._publisher.publish(event, ordering_key=hr_messages.ordering_key(event))
        self._store.mark_published(event_id, now)


def _members(record: Announced | None) -> list[Membership]:
    if record is None or not record.facts:
        return []
    return [Membership.from_json(m) for m in record.facts.get("members", [])]
