"""Durable state: processed event ids, per-person watermarks, the audit trail, held plans.

Backends share one protocol: ``memory`` (tests), ``sqlite`` (the demo and local runs, a file),
``firestore`` (production). ``open_store(settings)`` picks one.
"""

from __future__ import annotations

from chatsync.adapters.store.memory import MemoryStore
from chatsync.app.ports import AuditEntry, StateStore, Watermark
from chatsync.app.settings import Settings

__all__ = ["AuditEntry", "MemoryStore", "StateStore", "Watermark", "open_store"]


def open_store(settings: Settings) -> StateStore:
    if settings.state_backend == "memory":
        return MemoryStore()
    if settings.state_backend == "sqlite":
        from chatsync.adapters.store.sqlite import SqliteStore

        return SqliteStore(settings.state_path)
    from chatsync.adapters.store.firestore import FirestoreStore  # type: ignore[import-not-found,unused-ignore]

    return FirestoreStore(project=settings.project, database=settings.firestore_database)  # type: ignore[no-any-return,unused-ignore]
