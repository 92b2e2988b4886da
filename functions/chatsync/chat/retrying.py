"""Reads retried within a delivery, like the executor retries writes.

Planning one person reads a membership in every managed space; without retries one 503 among
those reads sends the whole message back to Pub/Sub. Reads are safe to repeat, so they get the
same bounded, jittered back-off (``RetryPolicy``) as writes. Writes pass through untouched: the
executor retries them and reports each outcome.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from chatsync import errors
from chatsync.chat.port import ChatMembers, SpaceInfo
from chatsync.executing import RetryPolicy
from chatsync.model import Email, Membership, Role, SpaceName

T = TypeVar("T")


class RetryingReads:
    """A ``ChatMembers`` whose get/list calls are retried on ``RetryableError``."""

    def __init__(
        self,
        inner: ChatMembers,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.retries = 0

    def _read(self, call: Callable[[], T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except errors.RetryableError as exc:
                if attempt >= self.policy.max_attempts:
                    raise
                self.retries += 1
                self.sleep(self.policy.delay(attempt, exc.delay, self.rng))

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return self._read(lambda: self.inner.get_space(space))

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        return self._read(lambda: self.inner.get_member(space, email))

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        return self._read(lambda: self.inner.list_members(space, owners_only=owners_only))

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        return self.inner.add_member(space, email)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        return self.inner.set_role(membership, role)

    def remove_member(self, membership: Membership) -> None:
        self.inner.remove_member(membership)
