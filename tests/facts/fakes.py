"""In-process fakes of the Chat and Directory ports, for properties that run thousands of events.

``FakeChat`` keeps rosters and a log of the (space, person) pairs it changed; ``FakeDirectory``
keeps users and the direct user members of each group. Both answer as the real adapters do
(``PersonNotFound`` for an unknown user or group, a membership named ``spaces/S/members/...``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from chatsync.app.ports import SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import (
    ChatUserId,
    Email,
    Membership,
    Person,
    Role,
    SpaceName,
    SpaceType,
)


@dataclass
class FakeChat:
    rosters: dict[SpaceName, dict[Email, Role]]
    changed: set[tuple[SpaceName, Email]] = field(default_factory=set)
    """Every (space, person) a write touched."""

    def _membership(self, space: SpaceName, email: Email, role: Role) -> Membership:
        return Membership(
            space, email, role, f"{space}/members/{email}", user=ChatUserId(f"users/{email}")
        )

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return SpaceInfo(space, SpaceType.SPACE)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        role = self.rosters[space].get(email)
        return None if role is None else self._membership(space, email, role)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        return [
            self._membership(space, email, role)
            for email, role in sorted(self.rosters[space].items())
            if not owners_only or role is Role.OWNER
        ]

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        self.rosters[space][email] = Role.MEMBER
        self.changed.add((space, email))
        return self._membership(space, email, Role.MEMBER)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        assert membership.email is not None
        self.rosters[membership.space][membership.email] = role
        self.changed.add((membership.space, membership.email))
        return replace(membership, role=role)

    def remove_member(self, membership: Membership) -> None:
        assert membership.email is not None
        del self.rosters[membership.space][membership.email]
        self.changed.add((membership.space, membership.email))


@dataclass
class FakeDirectory:
    users: dict[Email, Person]
    """Without groups: those come from ``groups``."""
    groups: dict[Email, set[Email]]
    """Group -> its direct user members."""
    calls: int = 0

    def _with_groups(self, person: Person) -> Person:
        mine = frozenset(g for g, members in self.groups.items() if person.email in members)
        return replace(person, groups=mine)

    def get_person(self, key: str, *, groups: bool = True) -> Person:
        self.calls += 1
        person = self.users.get(Email(key.lower()))
        if person is None:
            raise errors.PersonNotFound(f"users.get {key}: not in the Directory")
        return self._with_groups(person)

    def groups_of(self, member: str) -> frozenset[Email]:
        return self.get_person(member).groups

    def group_members(self, group: Email) -> frozenset[Email]:
        self.calls += 1
        if group not in self.groups:
            raise errors.PersonNotFound(f"members.list {group}: no such group")
        return frozenset(self.groups[group])

    def list_people(self, groups: Collection[Email] | None = None) -> list[Person]:
        """Everyone with every group (groups no rule names decide nothing)."""
        self.calls += 1
        return [self._with_groups(p) for _, p in sorted(self.users.items())]
