"""The state protocol and its values."""

from __future__ import annotations

from collections.abc import Sequence
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

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]: ...
