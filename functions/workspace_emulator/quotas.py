"""Usage limits (reference §10) as token buckets on a scaled clock.

Per project: 300 membership writes a minute (create and delete, and patch too: patch is in no
documented bucket, so the strict reading counts it as a write), 3000 membership reads a minute
(get, list), 60 space writes a minute (spaces.create), 3000 space reads a minute (spaces.get,
list) and 3000 message writes a minute (messages.create). Per space: 15 reads a second (members
get/list, spaces.get) and 1 write a second (messages.create; spaces.patch/delete too, which the
emulator does not serve; membership writes are not in it).

``time_scale`` makes quota time run faster: with 60, a minute of quota refills in one second and a
``retryDelay`` is reported in real (scaled-down) seconds. ``Retry-After`` is whole seconds (at
least 1) at time scale 1, as HTTP defines it; only a faster clock gets decimals below a second.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from workspace_emulator import errors

MEMBER_WRITES = ("spaces.members.create", "spaces.members.delete", "spaces.members.patch")
MEMBER_READS = ("spaces.members.get", "spaces.members.list")


@dataclass(frozen=True, slots=True)
class Limit:
    """A bucket: *capacity* calls per *period* seconds (of emulated time)."""

    name: str
    capacity: float
    period: float
    per_space: bool = False


PROJECT_MEMBER_WRITES = Limit("membership writes per minute per project", 300, 60)
PROJECT_MEMBER_READS = Limit("membership reads per minute per project", 3000, 60)
PROJECT_SPACE_WRITES = Limit("space writes per minute per project", 60, 60)
PROJECT_SPACE_READS = Limit("space reads per minute per project", 3000, 60)
PROJECT_MESSAGE_WRITES = Limit("message writes per minute per project", 3000, 60)
SPACE_READS = Limit("reads per second per space", 15, 1, per_space=True)
SPACE_WRITES = Limit("writes per second per space", 1, 1, per_space=True)

LIMITS: dict[str, tuple[Limit, ...]] = {
    **{m: (PROJECT_MEMBER_WRITES,) for m in MEMBER_WRITES},
    **{m: (PROJECT_MEMBER_READS, SPACE_READS) for m in MEMBER_READS},
    "spaces.create": (PROJECT_SPACE_WRITES,),
    "spaces.get": (PROJECT_SPACE_READS, SPACE_READS),
    "spaces.list": (PROJECT_SPACE_READS,),
    "spaces.messages.create": (PROJECT_MESSAGE_WRITES, SPACE_WRITES),
}


class ScaledClock:
    """Monotonic time that runs *scale* times faster than the wall clock.

    :meth:`epoch` is the emulated wall clock (seconds since 1970) that subscription expiry,
    lifecycle events and ``spaceEvents`` use: the real time when the clock started plus the
    emulated seconds since, so it equals ``time.time()`` until the scale changes or
    :meth:`advance` jumps ahead.
    """

    def __init__(
        self,
        scale: float = 1.0,
        real: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._real = real
        self._wall = wall
        self._base_real = real()
        self._base_scaled = 0.0
        self._epoch_zero = wall()
        self.scale = scale

    def now(self) -> float:
        """Emulated seconds since the clock started."""
        return self._base_scaled + (self._real() - self._base_real) * self.scale

    def epoch(self) -> float:
        """Emulated wall-clock time, in seconds since the Unix epoch."""
        return self._epoch_zero + self.now()

    def advance(self, seconds: float) -> None:
        """Jump *seconds* of emulated time ahead (quota buckets refill accordingly)."""
        if seconds < 0:
            msg = f"time only moves forward; cannot advance by {seconds}"
            raise ValueError(msg)
        self._base_scaled += seconds

    def resync(self) -> None:
        """Make :meth:`epoch` equal the real wall clock again (reset does this)."""
        self._epoch_zero = self._wall() - self.now()

    def set_scale(self, scale: float) -> None:
        """Change the speed from now on, without jumping."""
        if scale <= 0:
            msg = f"time_scale must be positive, got {scale}"
            raise ValueError(msg)
        self._base_scaled, self._base_real = self.now(), self._real()
        self.scale = scale


class Quotas:
    """Token buckets per limit (and per space for per-space limits)."""

    def __init__(self, clock: ScaledClock, *, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Refill every bucket."""
        with self._lock:
            self._buckets.clear()

    def charge(self, method: str, space: str | None) -> None:
        """Take one token from each bucket *method* drains, or raise 429 RESOURCE_EXHAUSTED."""
        limits = LIMITS.get(method, ())
        if not self.enabled or not limits:
            return
        with self._lock:
            now = self.clock.now()
            levels = []
            for limit in limits:
                key = (limit.name, (space or "") if limit.per_space else "")
                tokens, last = self._buckets.get(key, (limit.capacity, now))
                rate = limit.capacity / limit.period
                tokens = min(limit.capacity, tokens + (now - last) * rate)
                if tokens < 1:
                    wait = (1 - tokens) / rate / self.clock.scale
                    raise exhausted(limit, wait, scale=self.clock.scale)
                levels.append((key, tokens))
            for key, tokens in levels:
                self._buckets[key] = (tokens - 1, now)


def exhausted(limit: Limit, wait: float, *, scale: float = 1.0) -> errors.ApiError:
    """429 with RetryInfo and Retry-After for a bucket that refills in *wait* real seconds."""
    delay = max(wait, 0.001)
    return errors.ApiError(
        "RESOURCE_EXHAUSTED",
        f"Quota exceeded: {limit.name} ({limit.capacity:g} per {limit.period:g}s).",
        reason="RATE_LIMIT_EXCEEDED",
        details=[{"@type": errors.RETRY_INFO, "retryDelay": f"{delay:.3f}s"}],
        headers={"Retry-After": retry_after_header(delay, scale=scale)},
    )


def retry_after_header(delay: float, *, scale: float = 1.0) -> str:
    """Whole seconds rounded up (at least 1); only with a faster clock (*scale* > 1) a delay
    below one second is a decimal like ``0.017``, so scaled tests need not wait whole seconds."""
    if delay >= 1 or scale <= 1:
        return str(max(1, math.ceil(delay)))
    return f"{delay:.3f}"
