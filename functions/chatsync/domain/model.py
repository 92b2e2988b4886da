"""Frozen domain values shared by the pure core and the edges.

People are keyed by their lower-cased primary email (``Email``) inside the core. The Chat edge
maps that to ``users/{email}`` (an alias Chat accepts for create, get and delete) and keeps the
canonical membership name (``spaces/S/members/123``) it learns from the API for patch.

Roles carry chatsync's own names, because the API names are a trap:

    chatsync   Chat UI label   API enum
    owner      Owner           ROLE_MANAGER
    manager    Manager         ROLE_ASSISTANT_MANAGER
    member     Member          ROLE_MEMBER
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import NewType

SpaceName = NewType("SpaceName", str)
"""``spaces/<id>``: a validated Chat space resource name."""

Email = NewType("Email", str)
"""A person's lower-cased primary email: the core's key for a person."""
ChatUserId = NewType("ChatUserId", str)
"""A Chat user resource name, ``users/{id}`` (or ``groups/{id}``): not an email."""

SPACE_NAME = re.compile(r"^spaces/[A-Za-z0-9_-]{1,128}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")


def space_name(value: str) -> SpaceName:
    """Validate ``spaces/<id>``; raise ``ValueError`` naming the expected form."""
    if not isinstance(value, str) or not SPACE_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a space name (expected 'spaces/<id>')")
    return SpaceName(value)


def email(value: str) -> Email:
    """Validate and lower-case an email; raise ``ValueError`` naming the expected form."""
    if not isinstance(value, str) or len(value) > 254 or not EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return Email(value.lower())


class Role(Enum):
    """A role in a named space, ordered: owner > manager > member."""

    MEMBER = "member"
    MANAGER = "manager"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def api(self) -> str:
        """The Chat API enum value for this role."""
        return _TO_API[self]

    @property
    def ui_label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def from_api(cls, value: str) -> Role:
        """``ROLE_MANAGER`` -> OWNER etc. Unknown values raise ``ValueError``."""
        try:
            return _FROM_API[value]
        except KeyError:
            raise ValueError(f"unknown Chat role {value!r}") from None

    def __lt__(self, other: Role) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Role) -> bool:
        return self.rank <= other.rank

    def __gt__(self, other: Role) -> bool:
        return self.rank > other.rank

    def __ge__(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.MEMBER: 1, Role.MANAGER: 2, Role.OWNER: 3}
_TO_API = {
    Role.MEMBER: "ROLE_MEMBER",
    Role.MANAGER: "ROLE_ASSISTANT_MANAGER",
    Role.OWNER: "ROLE_MANAGER",
}
_FROM_API = {v: k for k, v in _TO_API.items()}


class EmploymentStatus(Enum):
    ACTIVE = "active"
    LEAVE = "leave"
    TERMINATED = "terminated"
    PRE_HIRE = "pre_hire"
    SUSPENDED = "suspended"  # from the Directory: a suspended account


INACTIVE = frozenset(
    {EmploymentStatus.TERMINATED, EmploymentStatus.SUSPENDED, EmploymentStatus.PRE_HIRE}
)
"""People in these states hold no role in any managed space."""


class Account(Enum):
    """The state of a person's Directory account (``users.get``: ``suspended``, ``archived``;
    a 404 is ``deleted``). Only ``active`` may hold a role, whatever HR says."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"
    DELETED = "deleted"
    """Not in the Directory: deleted, or not created yet."""


@dataclass(frozen=True, slots=True)
class Person:
    """Everything the rules may look at about one person."""

    email: Email
    employment_status: EmploymentStatus = EmploymentStatus.ACTIVE
    person_id: str | None = None
    google_user_id: str | None = None
    title: str | None = None
    job_level: str | None = None
    department: str | None = None
    division: str | None = None
    cost_center: str | None = None
    location: str | None = None
    org_unit_path: str | None = None
    is_people_manager: bool = False
    manager_email: Email | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    groups: frozenset[Email] = frozenset()
    """Email addresses of every group the person belongs to, nested groups included."""
    account: Account = Account.ACTIVE
    """The Directory account's state (``domain.facts``: only an active account holds a role)."""

    @property
    def active(self) -> bool:
        return self.employment_status not in INACTIVE and self.account is Account.ACTIVE

    def attribute(self, name: str) -> str | bool | None:
        """The value of a selectable attribute by its rules-file name (``custom.x`` for custom)."""
        if name.startswith("custom."):
            return self.custom.get(name.removeprefix("custom."))
        if name == "employment_status":
            return self.employment_status.value
        value = getattr(self, name, None)
        return value


class SpaceType(Enum):
    SPACE = "SPACE"
    GROUP_CHAT = "GROUP_CHAT"
    DIRECT_MESSAGE = "DIRECT_MESSAGE"


class MemberKind(Enum):
    HUMAN = "HUMAN"
    BOT = "BOT"
    GROUP = "GROUP"


@dataclass(frozen=True, slots=True)
class Membership:
    """One current membership as read from Chat."""

    space: SpaceName
    email: Email | None
    """Lower-cased email of a human member, when known; None for apps, groups and unresolved ids."""
    role: Role
    name: str
    """Canonical resource name ``spaces/S/members/M`` (patch needs it)."""
    kind: MemberKind = MemberKind.HUMAN
    user: ChatUserId = ChatUserId("")
    """``users/{id}`` for humans and apps, ``groups/{id}`` for groups."""
    invited: bool = False

    def key(self, *known: Mapping[str, Email]) -> Email:
        """Whose membership this is, as plans key people: the email Chat gave; else the first
        of ``known`` (maps by ``users/{id}`` or membership name) that names it; else the
        ``users/{id}`` itself, standing in for someone the Directory does not know."""
        if self.email is not None:
            return self.email
        for names in known:
            found = names.get(self.user) or names.get(self.name)
            if found is not None:
                return found
        return Email(self.user)


@dataclass(frozen=True, slots=True)
class Decision:
    """The role one person should hold in one space, and why."""

    space: SpaceName
    email: Email
    role: Role | None
    """None: no rule selects them (or they are inactive): they should not be a member."""
    reasons: tuple[str, ...] = ()
    """Human-readable reasons, e.g. ``rule 'eng-leads' matched: department == 'Engineering'``."""
    rule_ids: tuple[str, ...] = ()
    """Ids of the rules that produced ``role`` (empty when role is None)."""
    protected: bool = False
    """The person is listed under ``protected``: the planner never touches them in any space."""
    inactive: bool = False
    """The person is inactive (``INACTIVE``): they lose their role even in an additive space."""
