"""The one retry loop: bounded, jittered, and a server's own hint honoured in full."""

from __future__ import annotations

import random

import pytest

from chatsync.app.retrying import RetryPolicy, retry
from chatsync.domain import errors


def test_a_retry_after_longer_than_max_delay_is_honoured_in_full() -> None:
    """Chat says 60 s: waiting 20 s (the policy's own cap) would only earn another 429."""
    policy = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=20.0)
    assert policy.delay(1, 60.0, random.Random(1)) == 60.0


def test_without_a_hint_the_back_off_stays_under_max_delay() -> None:
    """Chosen back-off doubles with jitter and never exceeds the cap."""
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=5.0)
    rng = random.Random(7)
    delays = [policy.delay(n, None, rng) for n in range(1, 10)]
    assert all(0.5 <= d <= 5.0 for d in delays)
    assert max(delays) > 2.5


def test_retry_stops_after_max_attempts_and_raises_the_last_error() -> None:
    """Four attempts, three sleeps, then the RetryableError propagates."""
    calls: list[int] = []
    slept: list[float] = []

    def failing() -> None:
        calls.append(1)
        raise errors.ChatUnavailable("503", status=503, delay=2.0)

    with pytest.raises(errors.ChatUnavailable):
        retry(failing, policy=RetryPolicy(), sleep=slept.append, rng=random.Random(0))
    assert len(calls) == 4
    assert slept == [2.0, 2.0, 2.0]


def test_a_refused_token_is_not_retried_within_the_delivery() -> None:
    """CredentialsRefused is configuration: one attempt, no sleep, and it propagates (still a
    RetryableError, so Pub/Sub redelivers the message)."""
    calls: list[int] = []
    slept: list[float] = []

    def refused() -> None:
        calls.append(1)
        raise errors.CredentialsRefused("no token: unauthorized_client")

    with pytest.raises(errors.RetryableError):
        retry(refused, policy=RetryPolicy(), sleep=slept.append, rng=random.Random(0))
    assert (len(calls), slept) == (1, [])
