"""In-memory state for tests and one-shot runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatsync.app.ports import AuditEntry, Watermark, journal


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processed: dict[str, float] = {}
        self._marks: dict[str, Watermark] = {}
        self._audit: list[AuditEntry] = []
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}

    def is_processed(self, event_id: str) -> bool:
        return event_id in self._processed

    def mark_processed(self, event_id: str, at: float) -> None:
        with self._lock:
            self._processed.setdefault(event_id, at)

    def get_watermark(self, person: str) -> Watermark | None:
        return self._marks.get(person)

    def advance_watermark(self, person: str, mark: Watermark) -> bool:
        with self._lock:
            current = self._marks.get(person)
            if current is not None and not mark.is_newer_than(current):
                return False
            self._marks[person] = mark
            return True

    def record(self, entries: Sequence[AuditEntry]) -> None:
        with self._lock:
            self._audit.extend(entries)

    def audit(
        self, *, person: str | None = None, space: str | None = None, run: str | None = None
    ) -> list[AuditEntry]:
        with self._lock:
            rows = list(self._audit)
        return journal(
            [
                e
                for e in rows
                if (person is None or e.email == person)
                and (space is None or e.space == space)
                and (run is None or e.run_id == run)
            ]
        )

    def put_doc(self, kind: str, key: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._docs[(kind, key)] = dict(data)

    def put_docs(self, kind: str, docs: Mapping[str, dict[str, Any]]) -> None:
        with self._lock:
            for key, data in docs.items():
                self._docs[(kind, key)] = dict(data)

    def update_doc(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> None:
        with self._lock:
            doc = self._docs.get((kind, key))
            new = change(dict(doc) if doc is not None else None)
            if new is not None:
                self._docs[(kind, key)] = dict(new)

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        doc = self._docs.get((kind, key))
        return dict(doc) if doc is not None else None

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return sorted((k, dict(v)) for (c, k), v in self._docs.items() if c == kind)
