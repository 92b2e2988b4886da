"""A Chat port that remembers planned changes, so messages planned in a row build on each other.

``chatsync plan`` writes nothing, yet the second of two messages about one person must be
planned against the state the first would leave (a hire adds as member, the promotion that
follows promotes: it does not add again), and a duplicate must find its change already made.
``WhatIf`` answers reads from the live port, overlaid with every change ``remember``-ed so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chatsync.app.ports import ChatMembers, SpaceInfo
from chatsync.domain import planning
from chatsync.domain.model import Email, Membership, Role, SpaceName


class WhatIf:
    """Live reads, overlaid with planned changes; writes are refused (a plan never writes)."""

    def __init__(self, live: ChatMembers) -> None:
        self.live = live
        self.overlay: dict[tuple[SpaceName, Email], Membership | None] = {}

    def remember(self, operations: Iterable[planning.Operation]) -> None:
        """The memberships as they would be after ``operations``."""
        for op in operations:
            key = (op.space, op.email)
            if isinstance(op, planning.AddMember):
                name = f"{op.space}/members/{op.email}"
                self.overlay[key] = Membership(op.space, op.email, op.role, name)
            elif isinstance(op, planning.ChangeRole):
                self.overlay[key] = Membership(op.space, op.email, op.new, op.name)
            else:
                self.overlay[key] = None

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return self.live.get_space(space)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        if (space, email) in self.overlay:
            return self.overlay[(space, email)]
        return self.live.get_member(space, email)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        changed = {email: m for (s, email), m in self.overlay.items() if s == space}
        kept = [m for m in self.live.list_members(space) if m.email not in changed]
        members = kept + [m for m in changed.values() if m is not None]
        return [m for m in members if m.role is Role.OWNER] if owners_only else members

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        raise AssertionError("a plan never writes")

    def set_role(self, membership: Membership, role: Role) -> Membership:
        raise AssertionError("a plan never writes")

    def remove_member(self, membership: Membership) -> None:
        raise AssertionError("a plan never writes")
