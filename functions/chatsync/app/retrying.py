"""The one retry loop: bounded attempts with jittered exponential back-off on RetryableError.

The executor retries each write with it, and the read wrappers below (``RetryingReads``,
``RetryingDirectory``) retry Chat and Directory reads with it, so one
503 among many calls does not send a whole message back to Pub/Sub. Writes pass through the read
wrappers untouched: the executor retries them and reports each outcome.

A ``Retry-After`` / ``RetryInfo`` hint from the server is honoured in full, even when it is
longer than ``max_delay``: the server knows when it will answer again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from chatsync.app.ports import ChatMembers, Directory, SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Person, Role, SpaceName

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    """Seconds before the second attempt; doubles each time, with full jitter."""
    max_delay: float = 20.0
    """Cap of the back-off chatsync chooses; a server's own hint is not cut to it."""

    def delay(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        jittered = rng.uniform(backoff / 2, backoff)
        if hint is not None and hint > jittered:
            return hint
        return min(self.max_delay, jittered)


def retry(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: random.Random,
    on_attempt: Callable[[int], None] | None = None,
    stopped: Callable[[], bool] | None = None,
) -> T:
    """``call()``, again after a back-off on ``RetryableError``, up to ``policy.max_attempts``
    in all; the last RetryableError propagates. ``on_attempt(n)`` is told of each attempt;
    once ``stopped()`` is true no further attempt is made (the run is being interrupted).

    ``CredentialsRefused`` propagates at once: a refused token is configuration that another
    try seconds later will not change (google-auth already retries a token endpoint that is
    briefly down); the delivery goes back to Pub/Sub instead.
    """
    attempt = 0
    while True:
        attempt += 1
        if on_attempt is not None:
            on_attempt(attempt)
        try:
            return call()
        except errors.CredentialsRefused:
            raise
        except errors.RetryableError as exc:
            if attempt >= policy.max_attempts or (stopped is not None and stopped()):
                raise
            sleep(policy.delay(attempt, exc.delay, rng))
            if stopped is not None and stopped():
                raise


class Retrying:
    """The back-off state both wrappers share; ``_read`` retries one call."""

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.retries = 0

    def read(self, call: Callable[[], T]) -> T:
        def counted(attempt: int) -> None:
            if attempt > 1:
                self.retries += 1

        return retry(call, policy=self.policy, sleep=self.sleep, rng=self.rng, on_attempt=counted)


class RetryingReads(Retrying):
    """A ``ChatMembers`` whose get/list calls are retried on ``RetryableError``."""

    def __init__(self, inner: ChatMembers, **backoff: Any) -> None:
        super().__init__(**backoff)
        self.inner = inner

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return self.read(lambda: self.inner.get_space(space))

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        return self.read(lambda: self.inner.get_member(space, email))

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        return self.read(lambda: self.inner.list_members(space, owners_only=owners_only))

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        return self.inner.add_member(space, email)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        return self.inner.set_role(membership, role)

    def remove_member(self, membership: Membership) -> None:
        self.inner.remove_member(membership)


class RetryingDirectory(Retrying):
    """A Directory client whose reads are retried on ``RetryableError`` (not ``PersonNotFound``)."""

    def __init__(self, inner: Directory, **backoff: Any) -> None:
        super().__init__(**backoff)
        self.inner = inner
        # An adapter that pages (adapters.directory) retries each page with this loop.
        self.pages_retried = hasattr(inner, "page_retry")
        if self.pages_retried:
            inner.page_retry = self.read  # type: ignore[attr-defined]

    @property
    def calls(self) -> int:
        """The inner client's request count (retries included)."""
        return int(getattr(self.inner, "calls", 0))

    def get_person(self, key: str, *, groups: bool = True) -> Person:
        return self.read(lambda: self.inner.get_person(key, groups=groups))

    def groups_of(self, member: str) -> frozenset[Email]:
        return self.read(lambda: self.inner.groups_of(member))

    def group_members(self, group: Email) -> frozenset[Email]:
        return self.read(lambda: self.inner.group_members(group))

    def list_people(self, groups: Collection[Email] | None = None) -> list[Person]:
        """Retried page by page where the adapter pages (``page_retry``), so a failure late in
        a long listing does not read it all again; as one call otherwise."""
        if self.pages_retried:
            return self.inner.list_people(groups)
        return self.read(lambda: self.inner.list_people(groups))
