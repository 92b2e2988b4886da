"""Threads kept for an instance's life, so independent Chat calls run side by side.

With Chat's latency (tens of milliseconds a call) an HR event that reads five spaces and writes
three costs eight round trips one after another; side by side it costs two or three. A thread
pool per event would pay for its threads, and each new thread builds its own HTTP client
(``adapters.googleapi.PerThreadService``): these threads are built once, on first use, and kept.
The rate limiter, not the number of threads, bounds the call rate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Lanes:
    """``map(fn, items)`` on up to ``workers`` kept threads (in order; the first error raises).

    Never call ``map`` from inside a function it runs: the pool could wait on itself."""

    def __init__(self, workers: int = 8) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1 or self.workers <= 1:
            return [fn(item) for item in items]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="chatsync-lane")
            pool = self._pool
        return list(pool.map(fn, items))
