"""Token buckets with an injected clock, and a Chat port wrapper that spends them.

Chat's quotas (per project: 300 membership writes and 3000 membership reads a minute; per space:
15 reads a second) are the hard limit of this job; a call that would exceed them is delayed here
rather than answered with 429 there.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from chatsync.app.ports import ChatMembers, SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Role, SpaceName

SPACE_READS_PER_SECOND = 15.0


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` banked. ``acquire`` blocks until granted."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _reserve(self, tokens: float) -> float:
        """Take ``tokens`` now (possibly going into debt) and return how long to wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= tokens
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self, tokens: float = 1.0) -> None:
        wait = self._reserve(tokens)
        if wait > 0:
            self.waited += wait
            self._sleep(wait)

    def hold(self, seconds: float) -> None:
        """Grant nothing for ``seconds``: Chat answered 429 with Retry-After, so every thread
        sharing this bucket waits, not only the one that was refused."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens = min(self._tokens, -seconds * self.rate)


class Limits:
    """The project-wide write and read buckets and one read bucket per space."""

    def __init__(
        self,
        *,
        writes_per_minute: float,
        reads_per_minute: float,
        space_reads_per_second: float = SPACE_READS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        burst_seconds: float = 1.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._space_rate = space_reads_per_second
        # Small bursts only: a full minute of tokens at once would trip Chat's own windows.
        self.writes = TokenBucket(
            writes_per_minute / 60,
            max(1.0, writes_per_minute / 60 * burst_seconds),
            clock=clock,
            sleep=sleep,
        )
        self.reads = TokenBucket(
            reads_per_minute / 60,
            max(1.0, reads_per_minute / 60 * burst_seconds),
            clock=clock,
            sleep=sleep,
        )
        self._spaces: dict[SpaceName, TokenBucket] = {}
        self._lock = threading.Lock()

    def space(self, space: SpaceName) -> TokenBucket:
        with self._lock:
            bucket = self._spaces.get(space)
            if bucket is None:
                bucket = TokenBucket(
                    self._space_rate, self._space_rate, clock=self._clock, sleep=self._sleep
                )
                self._spaces[space] = bucket
            return bucket

    def read(self, space: SpaceName) -> None:
        self.reads.acquire()
        self.space(space).acquire()

    def write(self) -> None:
        self.writes.acquire()


class RateLimitedChat:
    """A ``ChatMembers`` that waits for quota before every call it forwards.

    A 429 that still gets through (another client in the project, or Chat's own windows) holds
    the bucket that was spent for the Retry-After delay, then propagates for the executor to retry.
    """

    def __init__(self, inner: ChatMembers, limits: Limits) -> None:
        self.inner = inner
        self.limits = limits
        # The adapter that pages (chat.rest) waits here before each further page of a list.
        self.pages_gated = False
        layer: object = inner
        while layer is not None:
            if hasattr(layer, "page_gate"):
                layer.page_gate = self._next_page
                self.pages_gated = True
                break
            layer = getattr(layer, "inner", None)

    def _next_page(self, space: SpaceName) -> None:
        self.limits.read(space)

    def get_space(self, space: SpaceName) -> SpaceInfo:
        self.limits.space(space).acquire()
        return self.inner.get_space(space)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        self.limits.read(space)
        with self._holding(self.limits.space(space)):
            return self.inner.get_member(space, email)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        self.limits.read(space)  # the first page; the adapter waits before each further one
        with self._holding(self.limits.space(space)):
            members = self.inner.list_members(space, owners_only=owners_only)
        if not self.pages_gated:  # an adapter that cannot say: charge the pages afterwards
            for _ in range(len(members) // 1000):
                self.limits.read(space)
        return members

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        self.limits.write()
        with self._holding(self.limits.writes):
            return self.inner.add_member(space, email)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        self.limits.write()
        with self._holding(self.limits.writes):
            return self.inner.set_role(membership, role)

    def remove_member(self, membership: Membership) -> None:
        self.limits.write()
        with self._holding(self.limits.writes):
            self.inner.remove_member(membership)

    @staticmethod
    @contextlib.contextmanager
    def _holding(bucket: TokenBucket) -> Iterator[None]:
        try:
            yield
        except errors.ChatRateLimited as exc:
            bucket.hold(exc.delay if exc.delay is not None else 1.0 / bucket.rate)
            raise
