"""Per-person leases: one delivery per person at a time across instances."""

from __future__ import annotations

import pytest

from chatsync.adapters.store import MemoryStore
from chatsync.app import leasing
from chatsync.domain import errors
from chatsync.domain.model import Email

ANA = Email("ana@example.com")


def test_a_second_holder_waits_until_the_first_releases():
    """While one delivery holds the lease, another is refused; after release it may take it."""
    store = MemoryStore()
    assert leasing.acquire(store, ANA, "a:1", now=0.0)
    assert not leasing.acquire(store, ANA, "b:2", now=1.0)
    leasing.release(store, ANA, "a:1")
    assert leasing.acquire(store, ANA, "b:2", now=2.0)


def test_an_abandoned_lease_expires():
    """A holder that died does not block the person past the TTL."""
    store = MemoryStore()
    assert leasing.acquire(store, ANA, "a:1", now=0.0, ttl=10.0)
    assert not leasing.acquire(store, ANA, "b:2", now=9.0)
    assert leasing.acquire(store, ANA, "b:2", now=11.0)


def test_a_busy_person_makes_the_delivery_retryable():
    """The refused delivery raises RetryableError: Pub/Sub brings it back later."""
    store = MemoryStore()
    leasing.acquire(store, ANA, "a:1", now=0.0)
    with pytest.raises(errors.RetryableError), leasing.held(store, ANA, "b:2", now=1.0):
        pass


def test_only_the_holder_releases():
    """Another delivery's release does not free someone else's lease."""
    store = MemoryStore()
    leasing.acquire(store, ANA, "a:1", now=0.0)
    leasing.release(store, ANA, "b:2")
    assert not leasing.acquire(store, ANA, "b:2", now=1.0)
