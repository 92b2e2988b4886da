"""One log line per failed Chat answer: what the 429 and 401/403 metrics count.

``ObservedChat`` wraps the Chat adapter itself (``runtime`` puts it innermost, under the read
retries and the rate limiter), so it sees every answer Chat gave, including the 429s and 503s a
retry later overcame, which no other line reports. Each failure is one WARNING line::

    {"message": "chat api call failed", "http_status": 429, "space": "spaces/S",
     "method": "spaces.members.create", "api_status": "RESOURCE_EXHAUSTED",
     "retry_after": 1.0, "retryable": true, "error_type": "ChatRateLimited", "error": "..."}

``http_status`` 0 means no answer (timeout, connection refused). Answers the adapter turns into
results are not failures and are not logged: 404 on a get (not a member), 404 on a delete
(already gone), 409 on a create (already a member). The error is raised on unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from chatsync.app.logs import Logger
from chatsync.app.ports import ChatMembers, SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Role, SpaceName

T = TypeVar("T")

FAILED = "chat api call failed"
"""The message of every line this module writes (the log-based metrics match it)."""


class ObservedChat:
    """A ``ChatMembers`` that logs each failed call, then raises the error unchanged."""

    def __init__(self, inner: ChatMembers, log: Logger) -> None:
        self.inner = inner
        self.log = log

    def _call(self, method: str, space: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except errors.ChatApiError as exc:
            self.log.warning(
                FAILED,
                http_status=exc.status,
                space=exc.space or space,
                method=method,
                api_status=exc.reason,
                retry_after=getattr(exc, "delay", None),
                retryable=isinstance(exc, errors.RetryableError),
                error_type=type(exc).__name__,
                error=str(exc),
            )
            raise

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return self._call("spaces.get", space, lambda: self.inner.get_space(space))

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        return self._call("spaces.members.get", space, lambda: self.inner.get_member(space, email))

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        return self._call(
            "spaces.members.list",
            space,
            lambda: self.inner.list_members(space, owners_only=owners_only),
        )

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        return self._call(
            "spaces.members.create", space, lambda: self.inner.add_member(space, email)
        )

    def set_role(self, membership: Membership, role: Role) -> Membership:
        return self._call(
            "spaces.members.patch", membership.space, lambda: self.inner.set_role(membership, role)
        )

    def remove_member(self, membership: Membership) -> None:
        self._call(
            "spaces.members.delete", membership.space, lambda: self.inner.remove_member(membership)
        )
