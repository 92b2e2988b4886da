"""The rolling window on the Firestore emulator: the count is admitted in a transaction, so
instances racing for the last slots never take more than the limit between them."""

from __future__ import annotations

import threading
import uuid

import pytest

from chatsync.app import window
from chatsync.domain.rules.schema import Safety

pytestmark = [pytest.mark.reconcile, pytest.mark.firestore]


def test_firestore_admits_exactly_the_window_across_racing_clients(
    firestore_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three clients (as three instances) ask for 3 losses each, 3 times: a window of 13
    admits exactly 4 plans (12 losses), trips, and keeps one entry per admitted event."""
    from chatsync.adapters.store.firestore import FirestoreStore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_host)
    prefix = f"w{uuid.uuid4().hex[:8]}"
    stores = [FirestoreStore(project="chatsync-test", prefix=prefix) for _ in range(3)]
    limits = Safety(max_removals_per_window=13, window_minutes=60)
    admitted: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        for i in range(3):
            run_id = f"spaces/S/spaceEvents/{n}.{i}"  # event ids carry '/' and '.'
            answer = window.check(
                stores[n], run_id=run_id, losses=3, now=1_800_000_000.0, limits=limits, record=True
            )
            if not answer.held:
                with lock:
                    admitted.append(run_id)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    doc = stores[0].get_doc(window.KIND, window.KEY)
    assert len(admitted) == 4
    assert doc is not None and sorted(doc["entries"]) == sorted(admitted)
    assert doc["tripped_at"] == 1_800_000_000.0
    window.clear_trip(stores[1], now=1_800_000_100.0, by="alice")
    cleared = stores[2].get_doc(window.KIND, window.KEY)
    assert cleared is not None and cleared["tripped_at"] is None and cleared["reset_by"] == "alice"
