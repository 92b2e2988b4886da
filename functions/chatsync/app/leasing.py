"""A per-person lease in the shared store: one delivery per person at a time across instances.

Pub/Sub ordering keys serialize a person's HR events, but drift, group and redelivered events
arrive on other subscriptions and may run beside them in another instance. Without a lease an
older event that claimed the person's watermark can still be writing when a newer one writes, so
for a moment the older facts win. The lease makes the second delivery wait (it is redelivered),
so a person's writes follow their events' order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chatsync.app import records
from chatsync.app.ports import StateStore
from chatsync.domain import errors
from chatsync.domain.model import Email

KIND = records.LEASE
TTL = 120.0
"""Seconds a lease lasts if its holder dies: past any function timeout we configure plus slack."""


def acquire(store: StateStore, email: Email, holder: str, *, now: float, ttl: float = TTL) -> bool:
    """Take the lease for ``email`` unless someone else holds an unexpired one."""
    won = [False]

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if (
            doc is not None
            and doc.get("holder") not in ("", holder)
            and float(doc.get("until", 0.0)) > now
        ):
            won[0] = False
            return None
        won[0] = True
        return records.expiring(KIND, {"holder": holder, "until": now + ttl}, now=now)

    store.update_doc(KIND, email, change)
    return won[0]


def release(store: StateStore, email: Email, holder: str, *, now: float | None = None) -> None:
    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is not None and doc.get("holder") == holder:
            released = {"holder": "", "until": 0.0}
            return released if now is None else records.expiring(KIND, released, now=now)
        return None

    store.update_doc(KIND, email, change)


@contextmanager
def held(store: StateStore, email: Email, holder: str, *, now: float) -> Iterator[None]:
    """Hold the lease for the block, or raise ``RetryableError`` so Pub/Sub delivers later."""
    if not acquire(store, email, holder, now=now):
        raise errors.RetryableError(
            f"{email} is being reconciled by another delivery; this one will be redelivered",
            delay=1.0,
        )
    try:
        yield
    finally:
        release(store, email, holder, now=now)
