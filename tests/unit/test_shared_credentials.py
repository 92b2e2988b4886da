"""Threads that share a credential set exchange its token once, not once per thread."""

from __future__ import annotations

import threading
import time
from typing import Any

from chatsync.adapters.googleapi import SharedCredentials


class SlowToken:
    """A google-auth-like credentials object whose refresh takes a while and is counted."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.refreshes = 0

    @property
    def valid(self) -> bool:
        return self.token is not None

    def refresh(self, request: Any) -> None:
        time.sleep(0.05)
        self.refreshes += 1
        self.token = f"token-{self.refreshes}"

    def before_request(self, request: Any, method: str, url: str, headers: dict[str, str]) -> None:
        if not self.valid:
            self.refresh(request)
        headers["authorization"] = f"Bearer {self.token}"


def _together(count: int, call: Any) -> None:
    start = threading.Barrier(count)

    def run() -> None:
        start.wait()
        call()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_eight_threads_that_start_together_fetch_one_token() -> None:
    inner = SlowToken()
    shared = SharedCredentials(inner)
    sent: list[str] = []

    def call() -> None:
        headers: dict[str, str] = {}
        shared.before_request(None, "GET", "https://chat/", headers)
        sent.append(headers["authorization"])

    _together(8, call)

    assert inner.refreshes == 1
    assert set(sent) == {"Bearer token-1"}


def test_a_401_seen_by_every_thread_refreshes_once() -> None:
    inner = SlowToken()
    inner.token = "expired"
    shared = SharedCredentials(inner)

    _together(8, lambda: shared.refresh(None))

    assert inner.refreshes == 1
    assert shared.token == "token-1"
