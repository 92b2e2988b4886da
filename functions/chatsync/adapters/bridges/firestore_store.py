"""``BridgeStore`` in Firestore (native mode): the production backend of the HR bridges.

Collections (``prefix`` defaults to ``chatsync_bridge``):

    {prefix}_users/{id}          StoredResource fields     SCIM Users
    {prefix}_groups/{id}         StoredResource fields     SCIM Groups
    {prefix}_announced/{key}     {"key", "sequence", "facts"}
    {prefix}_published/{id}      {"event_id", "at"}        idempotency keys

Document ids are percent-encoded (announced keys hold ``:``, vendor ids may hold ``/``).
``find_resources`` is an equality filter on ``keys.<name>`` (Firestore's automatic single-field
index; no composite index to deploy); ``list_resources`` reads the collection and orders by
``created`` then id here, so no index is needed either. google-cloud-firestore is imported
when the store is built, never at module import. With ``FIRESTORE_EMULATOR_HOST`` set, the
client talks to the gcloud Firestore emulator.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chatsync.app.bridges.ports import Announced, Kind, StoredResource


def _id(text: str) -> str:
    return quote(text, safe="@+-_")


class FirestoreBridgeStore:
    def __init__(
        self,
        *,
        project: str | None = None,
        database: str = "(default)",
        prefix: str = "chatsync_bridge",
        client: Any = None,
    ) -> None:
        if client is None:
            from google.cloud import firestore

            client = firestore.Client(project=project or None, database=database)
        self._client = client
        self._kinds = {
            "User": client.collection(f"{prefix}_users"),
            "Group": client.collection(f"{prefix}_groups"),
        }
        self._announced = client.collection(f"{prefix}_announced")
        self._published = client.collection(f"{prefix}_published")

    def get_resource(self, kind: Kind, resource_id: str) -> StoredResource | None:
        snap = self._kinds[kind].document(_id(resource_id)).get()
        return StoredResource.from_json(snap.to_dict()) if snap.exists else None

    def find_resources(self, kind: Kind, key: str, value: str) -> list[StoredResource]:
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self._kinds[kind].where(filter=FieldFilter(f"keys.{key}", "==", value))
        return _ordered(StoredResource.from_json(s.to_dict()) for s in query.stream())

    def list_resources(self, kind: Kind) -> list[StoredResource]:
        return _ordered(StoredResource.from_json(s.to_dict()) for s in self._kinds[kind].stream())

    def put_resource(self, resource: StoredResource) -> None:
        self._kinds[resource.kind].document(_id(resource.id)).set(resource.to_json())

    def delete_resource(self, kind: Kind, resource_id: str) -> None:
        self._kinds[kind].document(_id(resource_id)).delete()

    def get_announced(self, key: str) -> Announced | None:
        snap = self._announced.document(_id(key)).get()
        return Announced.from_json(snap.to_dict()) if snap.exists else None

    def put_announced(self, announced: Announced) -> None:
        self._announced.document(_id(announced.key)).set(announced.to_json())

    def was_published(self, event_id: str) -> bool:
        return bool(self._published.document(_id(event_id)).get().exists)

    def mark_published(self, event_id: str, at: float) -> None:
        self._published.document(_id(event_id)).set({"event_id": event_id, "at": at})


def _ordered(resources: Any) -> list[StoredResource]:
    return sorted(resources, key=lambda r: (r.created, r.id))
