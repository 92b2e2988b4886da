"""The state protocol and its values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Watermark:
    """The newest event applied for a person: later events may pass, older ones may not."""

    occurred_at: float
    """Seconds since the epoch."""
    sequence: int | None = None
    event_id: str = ""

    def is_newer_than(self, other: Watermark) -> bool:
        """True if an event at ``self`` may be applied after ``other`` was (equal is not newer)."""
        if self.sequence is not None and other.sequence is not None:
            return self.sequence > other.sequence
        return self.occurred_at > other.occurred_at


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One applied (or attempted) change, durable and queryable by person, space and run."""

    run_id: str
    at: float
    space: str
    email: str
    action: str  # add | promote | demote | remove
    before: str | None
    after: str | None
    outcome: str
    membership: str = ""
    event_id: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(**{**data, "reasons": tuple(data.get("reasons") or ())})


class StateStore(Protocol):
    def is_processed(self, event_id: str) -> bool: ...

    def mark_processed(self, event_id: str, at: float) -> None: ...

    def get_watermark(self, person: str) -> Watermark | None: ...

    def advance_watermark(self, person: str, mark: Watermark) -> bool:
        """Store ``mark`` if it is newer than the stored one; return whether it was."""

    def record(self, entries: Sequence[AuditEntry]) -> None: ...

    def audit(
        self, *, person: str | None = None, space: str | None = None, run: str | None = None
    ) -> list[AuditEntry]:
        """Entries oldest first, filtered by any of person, space, run."""

    def put_doc(self, kind: str, key: str, data: dict[str, Any]) -> None: ...

    def put_docs(self, kind: str, docs: Mapping[str, dict[str, Any]]) -> None:
        """Many ``put_doc`` at once (one transaction or batch where the backend has them)."""

    def update_doc(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> None:
        """Read-modify-write one document atomically (a transaction where the backend has them).

        ``change`` gets the stored data (None: no such document) and returns the data to store,
        or None to leave it as it is. It may run more than once (Firestore retries a contended
        transaction), so it must depend on its argument only.
        """

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]: ...
