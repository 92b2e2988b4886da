"""The Chat port: what chatsync needs from the Chat memberships API, nothing more.

The REST adapter (``chat.rest``) implements it over google-api-python-client; tests may swap in
any object of the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chatsync.domain.model import Email, Membership, Role, SpaceName, SpaceType


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    name: SpaceName
    space_type: SpaceType
    display_name: str = ""


class ChatMembers(Protocol):
    def get_space(self, space: SpaceName) -> SpaceInfo: ...

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        """The person's membership (joined or invited) or None."""

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        """Every human membership (joined and invited), paged through; owners only if asked."""

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        """Create a membership (always ROLE_MEMBER: a role is set by patch after create)."""

    def set_role(self, membership: Membership, role: Role) -> Membership: ...

    def remove_member(self, membership: Membership) -> None: ...
