"""State in Firestore (native mode): the production backend (``CHATSYNC_STATE_BACKEND=firestore``).

Collections (``prefix`` defaults to ``chatsync``):

    {prefix}_processed/{event id}      {"at", "event_id", "expires_at"} duplicate detection
    {prefix}_watermarks/{email}        {"occurred_at", "sequence", "event_id"}
    {prefix}_audit/{auto id}           AuditEntry fields + "seq"        queried by email/space/run
    {prefix}_docs/{kind}:{key}         {"kind", "key", "data"[, "expires_at"]}  deferred events,
                                                                         held plans, drift ...

``expires_at`` is a top-level timestamp (a ``datetime``), the field of the Firestore TTL policy
Terraform sets on both collections: processed ids expire ``records.PROCESSED_TTL`` after they
were marked; a document whose data carries ``expires_at`` (seconds, ``records.expiring``: leases,
applied deferred events, dropped messages, person snapshots) expires then. Firestore deletes
expired documents typically within a day (cloud.google.com/firestore/docs/ttl); nothing here
depends on when.

Document ids are percent-encoded (event ids such as ``spaces/S/spaceEvents/E`` contain ``/``).
``advance_watermark`` runs in a transaction, so two instances never move a person backwards.
Audit queries use equality filters only (served by Firestore's automatic single-field indexes,
no composite index to deploy) and are ordered here, oldest first.

With ``FIRESTORE_EMULATOR_HOST`` set, the client talks to the gcloud Firestore emulator.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from chatsync.app import records
from chatsync.app.ports import AuditEntry, Watermark, journal
from chatsync.domain import errors


def _id(text: str) -> str:
    return quote(text, safe="@+-_")


TRANSACTION_ATTEMPTS = 20
"""A hot document (the rolling window) is contended when many instances apply at once."""

BATCH = 400
"""Writes per Firestore batch commit (the service allows at most 500)."""


class FirestoreStore:
    def __init__(
        self,
        *,
        project: str | None = None,
        database: str = "(default)",
        prefix: str = "chatsync",
        client: Any = None,
    ) -> None:
        if client is None:
            from google.cloud import firestore

            client = firestore.Client(project=project or None, database=database)
        self._client = client
        self._processed = client.collection(f"{prefix}_processed")
        self._marks = client.collection(f"{prefix}_watermarks")
        self._audit = client.collection(f"{prefix}_audit")
        self._docs = client.collection(f"{prefix}_docs")
        self._seq = itertools.count()

    # -- duplicates -------------------------------------------------------------------------------
    def is_processed(self, event_id: str) -> bool:
        return bool(self._processed.document(_id(event_id)).get().exists)

    def mark_processed(self, event_id: str, at: float) -> None:
        self._processed.document(_id(event_id)).set(
            {"at": at, "event_id": event_id, "expires_at": _timestamp(at + records.PROCESSED_TTL)}
        )

    # -- watermarks -------------------------------------------------------------------------------
    def get_watermark(self, person: str) -> Watermark | None:
        snap = self._marks.document(_id(person)).get()
        return _mark(snap.to_dict()) if snap.exists else None

    def advance_watermark(self, person: str, mark: Watermark) -> bool:
        from google.cloud import firestore

        ref = self._marks.document(_id(person))

        @firestore.transactional  # type: ignore[untyped-decorator,unused-ignore]
        def advance(transaction: Any) -> bool:
            snap = ref.get(transaction=transaction)
            if snap.exists and not mark.is_newer_than(_mark(snap.to_dict())):
                return False
            transaction.set(
                ref,
                {
                    "person": person,
                    "occurred_at": mark.occurred_at,
                    "sequence": mark.sequence,
                    "event_id": mark.event_id,
                },
            )
            return True

        return bool(advance(self._client.transaction()))

    # -- audit trail ------------------------------------------------------------------------------
    def record(self, entries: Sequence[AuditEntry]) -> None:
        base = time.time_ns()
        for start in range(0, len(entries), BATCH):
            batch = self._client.batch()
            for entry in entries[start : start + BATCH]:
                body = entry.to_dict()
                body["seq"] = base + next(self._seq)
                batch.set(self._audit.document(), body)
            batch.commit()

    def audit(
        self, *, person: str | None = None, space: str | None = None, run: str | None = None
    ) -> list[AuditEntry]:
        from google.cloud.firestore_v1.base_query import FieldFilter

        query: Any = self._audit
        for name, value in (("email", person), ("space", space), ("run_id", run)):
            if value is not None:
                query = query.where(filter=FieldFilter(name, "==", value))
        rows = [snap.to_dict() for snap in query.stream()]
        rows.sort(key=lambda r: (r.get("at", 0.0), r.get("seq", 0)))
        return journal(
            [AuditEntry.from_dict({k: v for k, v in r.items() if k != "seq"}) for r in rows]
        )

    # -- documents --------------------------------------------------------------------------------
    def put_doc(self, kind: str, key: str, data: dict[str, Any]) -> None:
        self._docs.document(_id(f"{kind}:{key}")).set(_doc(kind, key, data))

    def put_docs(self, kind: str, docs: Mapping[str, dict[str, Any]]) -> None:
        items = list(docs.items())
        for start in range(0, len(items), BATCH):
            batch = self._client.batch()
            for key, data in items[start : start + BATCH]:
                batch.set(self._docs.document(_id(f"{kind}:{key}")), _doc(kind, key, data))
            batch.commit()

    def update_doc(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> None:
        """One document read and written in a transaction (``change`` reruns on contention)."""
        from google.cloud import firestore

        ref = self._docs.document(_id(f"{kind}:{key}"))

        @firestore.transactional  # type: ignore[untyped-decorator,unused-ignore]
        def update(transaction: Any) -> None:
            snap = ref.get(transaction=transaction)
            data = dict(snap.to_dict().get("data") or {}) if snap.exists else None
            new = change(data)
            if new is not None:
                transaction.set(ref, _doc(kind, key, new))

        try:
            update(self._client.transaction(max_attempts=TRANSACTION_ATTEMPTS))
        except ValueError as exc:  # the client's "Failed to commit transaction in N attempts"
            raise errors.RetryableError(f"store update of {kind}/{key} contended: {exc}") from exc

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        snap = self._docs.document(_id(f"{kind}:{key}")).get()
        if not snap.exists:
            return None
        return dict(snap.to_dict().get("data") or {})

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        from google.cloud.firestore_v1.base_query import FieldFilter

        found = [
            snap.to_dict()
            for snap in self._docs.where(filter=FieldFilter("kind", "==", kind)).stream()
        ]
        return sorted((str(d["key"]), dict(d.get("data") or {})) for d in found)


def _doc(kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """The stored document; ``expires_at`` of the data also as the top-level TTL timestamp."""
    body: dict[str, Any] = {"kind": kind, "key": key, "data": data}
    expires = data.get("expires_at")
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        body["expires_at"] = _timestamp(float(expires))
    return body


def _timestamp(seconds: float) -> datetime:
    """A timezone-aware datetime: the client stores it as a Firestore Timestamp (TTL needs one)."""
    return datetime.fromtimestamp(seconds, UTC)


def _mark(data: dict[str, Any]) -> Watermark:
    sequence = data.get("sequence")
    return Watermark(
        float(data.get("occurred_at", 0.0)),
        int(sequence) if sequence is not None else None,
        str(data.get("event_id", "")),
    )
