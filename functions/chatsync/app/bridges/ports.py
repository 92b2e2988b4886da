"""The edges the bridge services talk to, as protocols, and the records they store.

Stored kinds (every store adapter keeps exactly these, typed here):

    resource   one provisioned SCIM User or Group
               {kind, id, body (SCIM JSON without meta.location), version, created,
                last_modified, keys {userName, externalId, displayName, manager: normalized}}
    announced  what the bridge last told chatsync about one subject
               {key ("<system>:person:<id>" or "<system>:group:<id>"), sequence, facts}
    published  one event id already handed to the publisher (the idempotency key)
               {event_id, at}

``keys`` hold the values filters look up, already normalized by the service (case-folded where
SCIM compares case-insensitively), so every store answers ``find`` with a plain equality match.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Kind = Literal["User", "Group"]
KINDS: tuple[Kind, ...] = ("User", "Group")

Clock = Callable[[], float]
"""Seconds since the epoch; injected so tests and retries see one time."""


class Publisher(Protocol):
    """Publishes one dirsync.hr.v1 event; the adapter picks the topic (hr or group)."""

    def publish(self, event: Mapping[str, Any], *, ordering_key: str) -> None:
        """Return once the event is durably accepted; raise if it was not."""


@dataclass(frozen=True, slots=True)
class StoredResource:
    kind: Kind
    id: str
    body: Mapping[str, Any]
    """The resource as a query response serializes it, ``meta`` without ``location``."""
    version: int
    created: str
    last_modified: str
    keys: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "body": dict(self.body),
            "version": self.version,
            "created": self.created,
            "last_modified": self.last_modified,
            "keys": dict(self.keys),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> StoredResource:
        kind = str(doc["kind"])
        if kind not in KINDS:
            raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
        return cls(
            kind="User" if kind == "User" else "Group",
            id=str(doc["id"]),
            body=dict(doc["body"]),
            version=int(doc["version"]),
            created=str(doc["created"]),
            last_modified=str(doc["last_modified"]),
            keys={str(k): str(v) for k, v in dict(doc.get("keys") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Announced:
    """The last facts announced for one subject and the sequence of its newest event."""

    key: str
    sequence: int
    facts: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "sequence": self.sequence, "facts": self.facts}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Announced:
        facts = doc.get("facts")
        return cls(str(doc["key"]), int(doc["sequence"]), dict(facts) if facts else None)


class BridgeStore(Protocol):
    """Provisioned resources, announced state and idempotency keys, in one place."""

    def get_resource(self, kind: Kind, resource_id: str) -> StoredResource | None: ...

    def find_resources(self, kind: Kind, key: str, value: str) -> list[StoredResource]:
        """Resources whose ``keys[key] == value`` (the value is normalized by the caller)."""

    def list_resources(self, kind: Kind) -> list[StoredResource]:
        """Every resource of *kind*, in creation order (stable pagination)."""

    def put_resource(self, resource: StoredResource) -> None: ...

    def delete_resource(self, kind: Kind, resource_id: str) -> None: ...

    def get_announced(self, key: str) -> Announced | None: ...

    def put_announced(self, announced: Announced) -> None: ...

    def was_published(self, event_id: str) -> bool: ...

    def mark_published(self, event_id: str, at: float) -> None: ...


class RecordFetcher(Protocol):
    """Reads one person's full record from an HR vendor's API (webhooks carry only ids)."""

    def fetch(self, vendor: str, employee_id: str) -> Mapping[str, Any] | None:
        """The record as the vendor returns it; None when the vendor says it does not exist."""


SecretLookup = Callable[[str], str | None]
"""The value of a secret by its environment variable name (``secret_values.lookup``)."""


class VendorUnavailable(Exception):
    """The vendor's API did not answer usefully; worth a retry (the webhook answers 502)."""
