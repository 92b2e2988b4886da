"""Reads retried within a delivery, like the executor retries writes.

Planning one person reads a membership in every managed space; without retries one 503 among
those reads sends the whole message back to Pub/Sub. Reads are safe to repeat, so they get the
same bounded, jittered back-off (``RetryPolicy``) as writes. Writes pass through untouched: the
executor retries them and reports each outcome.

``RetryingDirectory`` does the same for Directory reads (``errors.DirectoryUnavailable``): an
HR event reads the person's groups, a group event the group's members, a reconcile everyone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from chatsync.app.executing import RetryPolicy
from chatsync.app.ports import ChatMembers, SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Person, Role, SpaceName

T = TypeVar("T")


class _Retrier(Protocol):
    policy: RetryPolicy
    sleep: Callable[[float], None]
    rng: random.Random
    retries: int


def retried(call: Callable[[], T], by: _Retrier) -> T:
    """``call()``, again after a jittered back-off on ``RetryableError``, up to
    ``by.policy.max_attempts`` in all; ``by.retries`` counts the retries."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except errors.RetryableError as exc:
            if attempt >= by.policy.max_attempts:
                raise
            by.retries += 1
            by.sleep(by.policy.delay(attempt, exc.delay, by.rng))


class _Retrying:
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

    def _read(self, call: Callable[[], T]) -> T:
        return retried(call, self)


class RetryingReads(_Retrying):
    """A ``ChatMembers`` whose get/list calls are retried on ``RetryableError``."""

    def __init__(self, inner: ChatMembers, **backoff: Any) -> None:
        super().__init__(**backoff)
        self.inner = inner

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


class DirectoryReads(Protocol):
    def get_person(self, key: str) -> Person: ...

    def groups_of(self, member: str) -> frozenset[Email]: ...

    def group_members(self, group: Email) -> frozenset[Email]: ...

    def list_people(self) -> list[Person]: ...


class RetryingDirectory(_Retrying):
    """A Directory client whose reads are retried on ``RetryableError`` (not ``PersonNotFound``)."""

    def __init__(self, inner: DirectoryReads, **backoff: Any) -> None:
        super().__init__(**backoff)
        self.inner = inner

    @property
    def calls(self) -> int:
        """The inner client's request count (retries included)."""
        return int(getattr(self.inner, "calls", 0))

    def get_person(self, key: str) -> Person:
        return self._read(lambda: self.inner.get_person(key))

    def groups_of(self, member: str) -> frozenset[Email]:
        return self._read(lambda: self.inner.groups_of(member))

    def group_members(self, group: Email) -> frozenset[Email]:
        return self._read(lambda: self.inner.group_members(group))

    def list_people(self) -> list[Person]:
        return self._read(self.inner.list_people)
