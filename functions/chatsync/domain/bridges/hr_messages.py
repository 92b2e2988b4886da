"""Build ``dirsync.hr.v1`` event documents (docs/events.md, schemas/hr-event.v1.json).

    person_event(change, provenance, sequence=7, now=...)   -> dict, the Pub/Sub message data
    group_event(change, provenance, sequence=8, now=...)    -> dict
    ordering_key(event) / attributes(event)                 -> how to publish it

Event ids are deterministic: a hash of the source system, the subject, the per-person
``sequence``, the event type and the announced facts. A retried request recomputes the same
change at the same sequence and so the same id -- ``announcing`` then knows it was published and
the consumer would dedupe it anyway; nothing random is ever minted (docs/events.md, ``event_id``).

Pure: stdlib and chatsync.domain.events (whose decoder every event built here must pass; the tests
decode them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatsync.domain.bridges.changes import MembershipChange, PersonChange
from chatsync.domain.events import hr

SCHEMA = hr.SCHEMA


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an event comes from: ``source`` of the event, and who to name as ``actor``."""

    system: str
    """``source.system``: ``scim``, ``bamboohr``, ``hibob``... part of every event id."""
    source_event_type: str
    """``source.event_type``: the request or vendor event that caused it (``PATCH /Users``)."""
    tenant: str = ""
    source_event_id: str = ""
    actor: str = "hr-bridge"
    occurred_at: float | None = None
    """When the source recorded the change (seconds); ``now`` when the source does not say."""


def rfc3339(seconds: float) -> str:
    """UTC, second precision, ``Z``: the form every example in docs/events.md uses."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_id(system: str, subject: str, sequence: int, event_type: str, body: object) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    key = f"{system}\x1f{subject}\x1f{sequence}\x1f{event_type}\x1f{digest.hexdigest()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _envelope(
    event_type: str,
    provenance: Provenance,
    *,
    subject: Mapping[str, str],
    sequence: int,
    now: float,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    occurred = provenance.occurred_at if provenance.occurred_at is not None else now
    source: dict[str, str] = {
        "system": provenance.system,
        "event_type": provenance.source_event_type,
    }
    if provenance.tenant:
        source["tenant"] = provenance.tenant
    if provenance.source_event_id:
        source["event_id"] = provenance.source_event_id
    event: dict[str, Any] = {
        "schema": SCHEMA,
        "event_id": event_id(
            provenance.system,
            subject["person_id"],
            sequence,
            event_type,
            {"subject": dict(subject), **body},
        ),
        "event_type": event_type,
        "occurred_at": rfc3339(occurred),
        "effective_at": rfc3339(occurred),
        "emitted_at": rfc3339(now),
        "sequence": sequence,
        "source": source,
        "subject": dict(subject),
        "actor": provenance.actor,
    }
    event.update(body)
    return event


def person_event(
    change: PersonChange, provenance: Provenance, *, sequence: int, now: float
) -> dict[str, Any]:
    """A ``person.*`` event: the full snapshot after the change, and what moved."""
    body: dict[str, Any] = {
        "person": change.facts.person_json(),
        "changed_fields": list(change.changed_fields),
    }
    if change.previous:
        body["previous"] = dict(change.previous)
    return _envelope(
        change.event_type,
        provenance,
        subject=change.facts.subject_json(),
        sequence=sequence,
        now=now,
        body=body,
    )


def group_event(
    change: MembershipChange, provenance: Provenance, *, sequence: int, now: float
) -> dict[str, Any]:
    """A ``group.member_added`` / ``group.member_removed`` event; the subject is the member."""
    m = change.membership
    group: dict[str, str] = {
        "email": m.group_email,
        "member_email": m.member_email,
        "member_type": m.member_type,
        "role": "MEMBER",
    }
    if m.group_id:
        group["id"] = m.group_id
    return _envelope(
        change.event_type,
        provenance,
        subject={"person_id": m.member_id, "work_email": m.member_email},
        sequence=sequence,
        now=now,
        body={"group": group},
    )


def ordering_key(event: Mapping[str, Any]) -> str:
    """``subject.work_email``, lower-cased: the one ordering key of person and group events, so
    one person's HR and group events arrive in publish order (docs/events.md, "Order")."""
    return str(event["subject"]["work_email"]).lower()


def attributes(event: Mapping[str, Any]) -> dict[str, str]:
    """Pub/Sub attributes for subscription filters and routing without decoding."""
    return {
        "schema": SCHEMA,
        "event_type": str(event["event_type"]),
        "source_system": str(event["source"]["system"]),
        "subject_id": str(event["subject"]["person_id"]),
    }


def topic_key(event: Mapping[str, Any]) -> str:
    """``group`` for group.* events, ``hr`` for the rest: the keys of terraform/pubsub.json."""
    return "group" if str(event["event_type"]).startswith("group.") else "hr"
