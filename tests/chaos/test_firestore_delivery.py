"""At-least-once delivery with the production state backend: two function instances, each with
its own Firestore client against one gcloud Firestore emulator database, share the dedup marks,
watermarks, presence records and person snapshots while several deliveries run at once.

The same scenario as ``test_delivery``: rosters equal the rules' oracle, nothing lost, no write
failed but for an injected fault, every person's stored watermark is their newest event, and
presence records never hide a member.

Across instances a per-person lease in the shared store (``chatsync.app.leasing``) serialises a
person's deliveries, so every person's applied events keep their order (``late_writes`` is 0) and
no change is made twice (accepted writes equal necessary writes): both are asserted.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chaos.test_delivery import run_chaos
from chatsync.adapters.store import StateStore

pytestmark = [pytest.mark.chaos, pytest.mark.firestore]

PROJECT = "chatsync-test"


def test_two_instances_sharing_firestore_converge_under_faults(
    emulator: Any, figures: Any, firestore_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 events, duplicated and reordered, 15% of Chat calls faulted, four deliveries at once
    over two instances: the shared Firestore state keeps them exact."""
    from chatsync.adapters.store.firestore import FirestoreStore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_host)
    prefix = f"chaos{uuid.uuid4().hex[:8]}"  # a fresh state per run on the shared emulator

    def store() -> StateStore:
        return FirestoreStore(project=PROJECT, prefix=prefix)

    run_chaos(
        emulator,
        figures,
        n=300,
        seed=3,
        fault_rate=0.15,
        latency=0.0002,
        threads=4,
        stores=store,
        instances=2,
    )
