"""Injected faults: scripted (the next N calls of a method) and random (a rate).

A fault either answers with an error status (nothing changes in the store) or only delays the
call (status 0), which then runs normally. ``"*"`` matches every API method.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from workspace_emulator import errors, quotas


@dataclass(frozen=True, slots=True)
class Fault:
    """What happens to one call: wait *delay* seconds, then fail with *status* unless it is 0."""

    status: int
    delay: float = 0.0
    retry_after: float | None = None

    def error(self, method: str, *, scale: float = 1.0) -> errors.ApiError | None:
        """The error to answer with, or None for a delay-only fault (*scale*: time scale)."""
        if self.status == 0:
            return None
        error = errors.from_status(self.status, f"Injected fault for {method}.")
        if self.retry_after is not None:
            error.headers["Retry-After"] = quotas.retry_after_header(self.retry_after, scale=scale)
            error.details.append(
                {"@type": errors.RETRY_INFO, "retryDelay": f"{self.retry_after:.3f}s"}
            )
        return error


@dataclass(frozen=True, slots=True)
class Scripted:
    """The next *remaining* calls of *method* get *fault*."""

    method: str
    remaining: int
    fault: Fault


@dataclass(frozen=True, slots=True)
class RandomFaults:
    """Each matching call fails with probability *rate*; every matching call waits *latency*."""

    rate: float
    statuses: tuple[int, ...]
    latency: float
    methods: tuple[str, ...]


class Faults:
    """The fault plan, consulted once per API call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[Scripted] = []
        self._random: RandomFaults | None = None
        self._rng = random.Random()

    def fail_next(
        self,
        method: str,
        n: int = 1,
        *,
        status: int = 503,
        delay: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        """Script a fault for the next *n* calls of *method* (queued after earlier scripts)."""
        if n < 1:
            msg = f"n must be at least 1, got {n}"
            raise ValueError(msg)
        if status != 0 and not 400 <= status <= 599:
            msg = f"status must be 0 (delay only) or an HTTP error status, got {status}"
            raise ValueError(msg)
        with self._lock:
            self._scripted.append(Scripted(method, n, Fault(status, delay, retry_after)))

    def set_random(
        self,
        rate: float,
        *,
        statuses: Sequence[int] = (429, 500, 503),
        latency: float = 0.0,
        methods: Sequence[str] = ("*",),
        seed: int | None = None,
    ) -> None:
        """Fail a fraction *rate* of matching calls with a status drawn from *statuses*."""
        if not 0.0 <= rate <= 1.0:
            msg = f"rate must be within [0, 1], got {rate}"
            raise ValueError(msg)
        with self._lock:
            self._random = RandomFaults(rate, tuple(statuses), latency, tuple(methods))
            self._rng = random.Random(seed)

    def clear(self) -> None:
        """Forget every scripted and random fault."""
        with self._lock:
            self._scripted.clear()
            self._random = None

    def take(self, method: str) -> Fault | None:
        """The fault for this call of *method*, consuming one scripted use."""
        with self._lock:
            for i, script in enumerate(self._scripted):
                if script.method in ("*", method):
                    if script.remaining <= 1:
                        del self._scripted[i]
                    else:
                        self._scripted[i] = replace(script, remaining=script.remaining - 1)
                    return script.fault
            chance = self._random
            if chance is None or not ({"*", method} & set(chance.methods)):
                return None
            if self._rng.random() < chance.rate:
                return Fault(self._rng.choice(chance.statuses), chance.latency)
            return Fault(0, chance.latency) if chance.latency > 0 else None

    def describe(self) -> dict[str, object]:
        """The current plan, for the control API."""
        with self._lock:
            return {
                "scripted": [
                    {
                        "method": s.method,
                        "remaining": s.remaining,
                        "status": s.fault.status,
                        "delay": s.fault.delay,
                    }
                    for s in self._scripted
                ],
                "random": None
                if self._random is None
                else {
                    "rate": self._random.rate,
                    "statuses": list(self._random.statuses),
                    "latency": self._random.latency,
                    "methods": list(self._random.methods),
                },
            }
