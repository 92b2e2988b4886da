"""``BridgeStore`` in memory: tests, and ``chatsync scim serve`` without ``--state``."""

from __future__ import annotations

import threading

from chatsync.app.bridges.ports import Announced, Kind, StoredResource


class MemoryBridgeStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resources: dict[tuple[str, str], StoredResource] = {}
        self._announced: dict[str, Announced] = {}
        self._published: dict[str, float] = {}

    def get_resource(self, kind: Kind, resource_id: str) -> StoredResource | None:
        with self._lock:
            return self._resources.get((kind, resource_id))

    def find_resources(self, kind: Kind, key: str, value: str) -> list[StoredResource]:
        with self._lock:
            return [
                r for (k, _), r in self._resources.items() if k == kind and r.keys.get(key) == value
            ]

    def list_resources(self, kind: Kind) -> list[StoredResource]:
        with self._lock:
            return [r for (k, _), r in self._resources.items() if k == kind]

    def put_resource(self, resource: StoredResource) -> None:
        with self._lock:
            # Re-inserting keeps the original position: dicts remember first insertion.
            self._resources[(resource.kind, resource.id)] = resource

    def delete_resource(self, kind: Kind, resource_id: str) -> None:
        with self._lock:
            self._resources.pop((kind, resource_id), None)

    def get_announced(self, key: str) -> Announced | None:
        with self._lock:
            return self._announced.get(key)

    def put_announced(self, announced: Announced) -> None:
        with self._lock:
            self._announced[announced.key] = announced

    def was_published(self, event_id: str) -> bool:
        with self._lock:
            return event_id in self._published

    def mark_published(self, event_id: str, at: float) -> None:
        with self._lock:
            self._published[event_id] = at
