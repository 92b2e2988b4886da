"""Coalescing bursts of membership changes into ``batchCreated``/``batchUpdated``/``batchDeleted``.

Workspace Events delivers "many same-type changes in a short window" as one batch event
(reference §11.3). :class:`Batcher` keeps at most one open batch per space. A change joins it
when it has the same kind (and the same publish flag) and arrives within ``window`` seconds of
the batch's first change. Otherwise the open batch closes first, so a space's events stay in
order. The batcher is pure: callers pass the time and emit what comes out. A closed group of one
change is emitted as a plain ``created``/``updated``/``deleted`` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["created", "updated", "deleted"]
Group = tuple["Change", ...]


@dataclass(frozen=True, slots=True)
class Change:
    """One direct membership change, with the payload its event carries."""

    space: str
    kind: Kind
    membership: Mapping[str, Any]
    publish: bool  # False: recorded for spaceEvents, not sent (emit_for_api_writes off)


@dataclass(slots=True)
class _Open:
    changes: list[Change]
    opened: float


class Batcher:
    """Open batches per space. Not thread-safe: the caller holds a lock."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._open: dict[str, _Open] = {}

    def add(self, change: Change, now: float) -> list[Group]:
        """Take *change*; return the batches it closed (at most one), to emit before it."""
        closed: list[Group] = []
        current = self._open.get(change.space)
        if current is not None:
            first = current.changes[0]
            same = (first.kind, first.publish) == (change.kind, change.publish)
            if not same or now - current.opened >= self.window:
                closed.append(tuple(current.changes))
                current = None
        if current is None:
            self._open[change.space] = _Open([change], now)
        else:
            current.changes.append(change)
        return closed

    def due(self, now: float) -> list[Group]:
        """Close and return every batch whose window has ended."""
        ended = [s for s, b in self._open.items() if now - b.opened >= self.window]
        return [tuple(self._open.pop(s).changes) for s in ended]

    def drain(self) -> list[Group]:
        """Close and return every open batch."""
        groups = [tuple(b.changes) for b in self._open.values()]
        self._open.clear()
        return groups

    def next_due(self) -> float | None:
        """When the earliest open batch ends (None when nothing is open)."""
        return min((b.opened + self.window for b in self._open.values()), default=None)

    def clear(self) -> None:
        """Drop open batches without emitting them."""
        self._open.clear()
