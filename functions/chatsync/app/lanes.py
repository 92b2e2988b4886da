"""Threads kept for an instance's life, so independent Chat calls run side by side.

With Chat's latency (tens of milliseconds a call) an HR event that reads five spaces and writes
three costs eight round trips one after another; side by side it costs two or three. A thread
pool per event would pay for its threads, and each new thread builds its own HTTP client
(``adapters.googleapi.PerThreadService``): these threads are built once, on first use, and kept.
The rate limiter, not the number of threads, bounds the call rate.

Threads only pay while calls wait on the network. A call that returns in a few milliseconds (a
local emulator) gains nothing from another thread and costs a handoff between threads, so
``map`` runs the calls one after another while the typical call is faster than ``quick_s``, and
side by side otherwise. The typical call is measured on calls run alone (the first call of the
first ``map`` and of one ``map`` in ``PROBE_EVERY``, and every call while they run one after
another): timed side by side, calls that only compete for the interpreter would look slow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

QUICK_S = 0.02
"""A typical call faster than this runs in the caller's thread: Chat answers in tens to hundreds
of milliseconds; a local emulator in one to five (a lane of two writes and its store records)."""
PROBE_EVERY = 20
"""While side by side, every this many ``map`` calls run one after another, to measure again."""


class Lanes:
    """``map(fn, items)`` on up to ``workers`` kept threads (in order; the first error raises).

    Never call ``map`` from inside a function it runs: the pool could wait on itself."""

    def __init__(self, workers: int = 8, *, quick_s: float = QUICK_S) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.quick_s = quick_s
        self.typical: float | None = None
        """Moving average of the seconds one ``fn`` call takes, run alone; None before any."""
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._maps = 0

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, always: bool = False) -> list[R]:
        """``always``: side by side however quick the calls (when each call may wait on a
        rate limiter of its own, such as a space's read bucket)."""
        if len(items) <= 1 or self.workers <= 1:
            return [self._measured(fn, item) for item in items]
        with self._lock:
            self._maps += 1
            probe = not always and (self.typical is None or self._maps % PROBE_EVERY == 0)
        done: list[R] = []
        rest = items
        if probe:  # the first call alone, to measure; the rest as it says
            done.append(self._measured(fn, items[0]))
            rest = items[1:]
        if not always and self.typical is not None and self.typical < self.quick_s:
            return done + [self._measured(fn, item) for item in rest]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="chatsync-lane")
            pool = self._pool
        return done + list(pool.map(fn, rest))

    def _measured(self, fn: Callable[[T], R], item: T) -> R:
        began = time.perf_counter()
        try:
            return fn(item)
        finally:
            took = time.perf_counter() - began
            known = self.typical
            self.typical = took if known is None else 0.8 * known + 0.2 * took
