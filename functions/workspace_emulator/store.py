"""The emulator's world: directory people and groups, spaces and their memberships.

Values are frozen dataclasses; a :class:`Space` is the one mutable container (its memberships
change under the store lock). API modules read and write through :class:`Store`; seeds are turned
into a store by :mod:`workspace_emulator.seeding`.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from workspace_emulator import tenant as tn

MemberKind = Literal["HUMAN", "BOT", "GROUP"]
Role = Literal[
    "ROLE_MEMBER", "ROLE_MANAGER", "ROLE_ASSISTANT_MANAGER", "MEMBERSHIP_ROLE_UNSPECIFIED"
]
State = Literal["JOINED", "INVITED"]
SpaceType = Literal["SPACE", "GROUP_CHAT", "DIRECT_MESSAGE"]
Audience = Literal["owners", "managers", "members"]
"""Who a space setting allows: Owners only, Owners and Managers, or everyone."""

ROLES: tuple[str, ...] = ("ROLE_MEMBER", "ROLE_MANAGER", "ROLE_ASSISTANT_MANAGER")
MANAGER_ROLES: tuple[str, ...] = ("ROLE_MANAGER", "ROLE_ASSISTANT_MANAGER")
AUDIENCE_ROLES: dict[str, tuple[str, ...]] = {
    "owners": ("ROLE_MANAGER",),
    "managers": MANAGER_ROLES,
    "members": (*MANAGER_ROLES, "ROLE_MEMBER"),
}
"""The roles each :data:`Audience` lets in."""


def now_rfc3339() -> str:
    """The current UTC time as Google formats timestamps."""
    stamp = datetime.datetime.now(datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def derived_id(email: str, *, prefix: str = "1") -> str:
    """A stable 15-digit numeric id for an email that has none in the seed."""
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return prefix + str(int(digest[:16], 16) % 10**14).zfill(14)


@dataclass(frozen=True, slots=True)
class Person:
    """A human: a directory user of the customer, or an outsider known only by email."""

    id: str
    email: str
    name: str
    external: bool = False
    admin: bool = False
    suspended: bool = False
    archived: bool = False
    auto_accept: bool = True
    org_unit_path: str = "/"
    title: str | None = None
    department: str | None = None
    cost_center: str | None = None
    location: str | None = None
    manager: str | None = None
    custom: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupMember:
    """One direct member of a directory group."""

    email: str
    role: Literal["OWNER", "MANAGER", "MEMBER"] = "MEMBER"
    type: Literal["USER", "GROUP"] = "USER"
    status: str = "ACTIVE"


@dataclass(frozen=True, slots=True)
class Group:
    """A directory group (Google Group) with its direct members."""

    id: str
    email: str
    name: str
    members: tuple[GroupMember, ...] = ()


@dataclass(frozen=True, slots=True)
class App:
    """A Chat app. ``calling`` marks the one the emulator's ``app`` token acts as."""

    id: str
    display_name: str
    calling: bool = False


@dataclass(frozen=True, slots=True)
class Membership:
    """A direct membership of a human, an app or a group in a space."""

    member_id: str
    kind: MemberKind
    role: Role
    state: State
    create_time: str


@dataclass(frozen=True, slots=True)
class Message:
    """A message posted to a space with ``spaces.messages.create``, as sent."""

    name: str  # spaces/S/messages/M
    sender: str  # users/{id} of the app or the person
    sender_type: Literal["BOT", "HUMAN"]
    text: str | None
    cards: tuple[Mapping[str, Any], ...]  # cardsV2 entries
    thread: str  # spaces/S/threads/T
    thread_key: str | None
    create_time: str
    request_key: str | None  # "<caller label>:<requestId>" for idempotent retries


@dataclass(slots=True)
class Space:
    """A Chat space; mutable because its memberships change (always under the store lock)."""

    name: str
    space_type: SpaceType
    display_name: str
    created_by: str  # "app" or a user email
    create_time: str
    external_user_allowed: bool = True
    manage_members: Literal["managers", "members"] = "managers"
    view_members: Audience = "members"  # permissionSettings.viewSpaceMembership
    memberships: dict[str, Membership] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)

    @property
    def space_id(self) -> str:
        """The ``{space}`` part of ``spaces/{space}``."""
        return self.name.split("/", 1)[1]

    def joined_owners(self) -> list[Membership]:
        """Joined humans holding ROLE_MANAGER (UI: Owner)."""
        return [
            m
            for m in self.memberships.values()
            if m.kind == "HUMAN" and m.state == "JOINED" and m.role == "ROLE_MANAGER"
        ]

    def membership_count(self) -> dict[str, int]:
        """``space.membershipCount`` computed from the memberships."""
        joined = [m for m in self.memberships.values() if m.state == "JOINED"]
        return {
            "joinedDirectHumanUserCount": sum(1 for m in joined if m.kind == "HUMAN"),
            "joinedGroupCount": sum(1 for m in joined if m.kind == "GROUP"),
        }


@dataclass(slots=True)
class Store:
    """Everything the emulator knows; guard every read-modify-write with :attr:`lock`."""

    customer: str
    domains: tuple[str, ...]
    app: App
    people: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    spaces: dict[str, Space] = field(default_factory=dict)
    request_ids: dict[str, str] = field(default_factory=dict)
    tenant: tn.Tenant = field(default_factory=tn.Tenant)
    order_seed: int = 0
    """Orders list results Google leaves unordered (:mod:`~workspace_emulator.paging`)."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    emails: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Lower-cased email -> person id: a lookup aid rebuilt from ``people`` whenever it misses
    or is out of date, so a 100,000-person store answers a lookup without a scan."""

    # -- people -------------------------------------------------------------------------------

    def person_by_email(self, email: str) -> Person | None:
        """A known person by email (case-insensitive: UNCONFIRMED, the lenient-but-safe reading)."""
        wanted = email.lower()
        found = self.people.get(self.emails.get(wanted, ""))
        if found is not None and found.email.lower() == wanted:
            return found
        # A miss or a stale entry: ``people`` is the truth; read it again (as a scan would).
        self.emails = {p.email.lower(): p.id for p in reversed(list(self.people.values()))}
        found = self.people.get(self.emails.get(wanted, ""))
        return found if found is not None and found.email.lower() == wanted else None

    def is_internal_email(self, email: str) -> bool:
        """Whether the email's domain belongs to the customer."""
        return email.rsplit("@", 1)[-1].lower() in self.domains

    def person_for_email(self, email: str) -> Person | None:
        """A known person, or a new outsider for a foreign email; None for unknown in-domain."""
        known = self.person_by_email(email)
        if known is not None:
            return known
        if self.is_internal_email(email):
            return None
        outsider = Person(id=derived_id(email, prefix="3"), email=email, name=email, external=True)
        self.people[outsider.id] = outsider
        return outsider

    def directory_users(self) -> list[Person]:
        """The customer's own users, as the Directory API lists them."""
        return [p for p in self.people.values() if not p.external]

    # -- groups -------------------------------------------------------------------------------

    def group_by_key(self, key: str) -> Group | None:
        """A group by id or email."""
        if key in self.groups:
            return self.groups[key]
        wanted = key.lower()
        return next((g for g in self.groups.values() if g.email.lower() == wanted), None)

    def flattened_members(self, group: Group, seen: frozenset[str] = frozenset()) -> Iterator[str]:
        """Emails of every user in *group*, nested groups expanded (cycles are cut)."""
        for member in group.members:
            if member.type == "USER":
                yield member.email.lower()
                continue
            inner = self.group_by_key(member.email)
            if inner is not None and inner.id not in seen:
                yield from self.flattened_members(inner, seen | {group.id})

    def groups_of(self, email: str) -> list[Group]:
        """Groups that list *email* as a direct member."""
        wanted = email.lower()
        return [
            g for g in self.groups.values() if any(m.email.lower() == wanted for m in g.members)
        ]

    # -- spaces -------------------------------------------------------------------------------

    def covering_group(self, space: Space, email: str) -> Group | None:
        """A group membership of *space* that already brings *email* in."""
        for membership in space.memberships.values():
            if membership.kind != "GROUP" or membership.state != "JOINED":
                continue
            group = self.groups.get(membership.member_id)
            if group is not None and email.lower() in set(self.flattened_members(group)):
                return group
        return None

    def is_member(self, space: Space, person: Person) -> bool:
        """Whether *person* is a joined member, directly or through a group."""
        direct = space.memberships.get(person.id)
        if direct is not None and direct.state == "JOINED":
            return True
        return self.covering_group(space, person.email) is not None

    def app_is_member(self, space: Space) -> bool:
        """Whether the calling app is a joined member of *space*."""
        return self.app.id in space.memberships
