"""A dry run's store: it reads the deployment's state and writes only to memory.

``chatsync plan MESSAGES`` handles each message as the function would, so it must see what the
function would see: processed event ids, watermarks, the latest HR snapshot of each person and
the group changes (``app.facts`` merges them into the facts the rules read). Everything the
handling writes (watermarks, snapshots, presence, held plans) lands in memory, shadows the base
for the rest of the run, and is dropped: the deployment's state is never written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatsync.adapters.store.memory import MemoryStore
from chatsync.app.ports import AuditEntry, StateStore, Watermark


class ReadThroughStore:
    def __init__(self, base: StateStore) -> None:
        self._base = base
        self._mine = MemoryStore()

    def is_processed(self, event_id: str) -> bool:
        return self._mine.is_processed(event_id) or self._base.is_processed(event_id)

    def mark_processed(self, event_id: str, at: float) -> None:
        self._mine.mark_processed(event_id, at)

    def get_watermark(self, person: str) -> Watermark | None:
        return self._mine.get_watermark(person) or self._base.get_watermark(person)

    def advance_watermark(self, person: str, mark: Watermark) -> bool:
        current = self.get_watermark(person)
        if current is not None and not mark.is_newer_than(current):
            return False
        return self._mine.advance_watermark(person, mark)

    def record(self, entries: Sequence[AuditEntry]) -> None:
        self._mine.record(entries)

    def audit(
        self, *, person: str | None = None, space: str | None = None, run: str | None = None
    ) -> list[AuditEntry]:
        found = self._base.audit(person=person, space=space, run=run)
        return found + self._mine.audit(person=person, space=space, run=run)

    def put_doc(self, kind: str, key: str, data: dict[str, Any]) -> None:
        self._mine.put_doc(kind, key, data)

    def put_docs(self, kind: str, docs: Mapping[str, dict[str, Any]]) -> None:
        self._mine.put_docs(kind, docs)

    def update_doc(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> None:
        new = change(self.get_doc(kind, key))
        if new is not None:
            self._mine.put_doc(kind, key, new)

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        mine = self._mine.get_doc(kind, key)
        return mine if mine is not None else self._base.get_doc(kind, key)

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        merged = dict(self._base.list_docs(kind))
        merged.update(self._mine.list_docs(kind))
        return sorted(merged.items())
