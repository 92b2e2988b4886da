"""``BridgeStore`` in one JSON file, for local runs that should survive a restart.

    {"resources": [StoredResource...], "announced": {key: Announced}, "published": {id: at}}

The whole file is rewritten (to a temporary file, then renamed) after every change: a local
bridge handles a few requests a second at most, and a half-written file is never left behind.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from chatsync.adapters.bridges.memory_store import MemoryBridgeStore
from chatsync.app.bridges.ports import Announced, Kind, StoredResource


class JsonFileBridgeStore(MemoryBridgeStore):
    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self._path = Path(path)
        self._write_lock = threading.Lock()
        if self._path.exists():
            self._load(json.loads(self._path.read_text(encoding="utf-8") or "{}"))

    def _load(self, doc: dict[str, Any]) -> None:
        for item in doc.get("resources", []):
            resource = StoredResource.from_json(item)
            self._resources[(resource.kind, resource.id)] = resource
        for key, item in dict(doc.get("announced", {})).items():
            self._announced[key] = Announced.from_json(item)
        self._published.update({str(k): float(v) for k, v in doc.get("published", {}).items()})

    def _save(self) -> None:
        with self._write_lock:
            with self._lock:
                doc = {
                    "resources": [r.to_json() for r in self._resources.values()],
                    "announced": {k: a.to_json() for k, a in self._announced.items()},
                    "published": dict(self._published),
                }
            self._path.parent.mkdir(parents=True, exist_ok=True)
            scratch = self._path.with_suffix(self._path.suffix + ".tmp")
            scratch.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(scratch, self._path)

    def put_resource(self, resource: StoredResource) -> None:
        super().put_resource(resource)
        self._save()

    def delete_resource(self, kind: Kind, resource_id: str) -> None:
        super().delete_resource(kind, resource_id)
        self._save()

    def put_announced(self, announced: Announced) -> None:
        super().put_announced(announced)
        self._save()

    def mark_published(self, event_id: str, at: float) -> None:
        super().mark_published(event_id, at)
        self._save()
