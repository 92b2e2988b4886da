"""Short-lived documents carry ``expires_at`` as a top-level Firestore timestamp: the field of
the TTL policy Terraform puts on the store's collections. Long-lived documents never do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from chatsync.app import leasing, records
from chatsync.domain.model import Email

pytestmark = [pytest.mark.reconcile, pytest.mark.firestore]

NOW = 1_800_000_000.0


@pytest.fixture
def store(firestore_host: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from chatsync.adapters.store.firestore import FirestoreStore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_host)
    return FirestoreStore(project="chatsync-test", prefix=f"t{uuid.uuid4().hex[:8]}")


def raw(store: Any, collection: str, doc_id: str) -> dict[str, Any]:
    """The stored document as Firestore holds it (ids percent-encoded as the store does)."""
    snap = getattr(store, collection).document(quote(doc_id, safe="@+-_")).get()
    assert snap.exists, doc_id
    return dict(snap.to_dict())


def test_processed_event_ids_expire_after_pubsub_can_no_longer_redeliver(store: Any) -> None:
    """A processed id's expires_at is a timestamp PROCESSED_TTL (8 days) after it was marked."""
    store.mark_processed("hr-1", NOW)

    doc = raw(store, "_processed", "hr-1")

    assert isinstance(doc["expires_at"], datetime)
    assert doc["expires_at"] == datetime.fromtimestamp(NOW + records.PROCESSED_TTL, UTC)
    assert store.is_processed("hr-1")


def test_a_lease_expires_as_a_top_level_timestamp(store: Any) -> None:
    """A lease document carries the TTL timestamp beside its data (a day after it was taken)."""
    assert leasing.acquire(store, Email("ana@example.com"), "i1:e1", now=NOW)

    doc = raw(store, "_docs", f"{records.LEASE}:ana@example.com")

    assert doc["expires_at"] == datetime.fromtimestamp(NOW + records.TTL[records.LEASE], UTC)
    assert doc["data"]["holder"] == "i1:e1"


def test_long_lived_documents_have_no_expiry(store: Any) -> None:
    """Presence and broken-space records are kept until the code replaces them."""
    store.put_doc(records.PRESENCE, "ana@example.com", {"present": [], "checked": []})
    store.put_doc(records.BROKEN_SPACES, "spaces/S", {"space": "spaces/S", "status": 404})

    assert "expires_at" not in raw(store, "_docs", f"{records.PRESENCE}:ana@example.com")
    assert "expires_at" not in raw(store, "_docs", f"{records.BROKEN_SPACES}:spaces/S")
