"""One truth about a person: the latest HR snapshot and the Directory, merged per attribute.

Every path that needs a person's facts (HR events, group and Directory user events, drift, the
full reconcile, explain, plan, the demo) gets them from ``merge``, through ``app.facts``, so no
two paths can disagree about a person and undo each other (docs/rules.md, "Where facts come
from").

Two sources:

    hr         the latest HR event applied for the person: its full snapshot, as of the
               event's ``occurred_at`` (``app.hr_snapshots`` keeps it, in sequence order)
    directory  the Directory user as read now: account state, org unit, groups, organization
               and custom schema fields (``adapters.directory``); plus the group changes
               chatsync received that a Directory read may not show yet (``app.group_changes``)

The merge, in this order:

1. A suspended or archived account holds no role (``employment_status`` becomes
   ``suspended``); a person not in the Directory (deleted, or not created yet) holds none either
   (``terminated``). Nothing overrides this: Chat cannot seat an account that cannot sign in.
2. Every attribute of ``OWNABLE`` comes from its owner (``Policy.owners``; ``DEFAULT_OWNERS``: HR
   owns employment status and job attributes, the Directory the org unit). When the owner has no
   value (no record of the person yet, or the field is not set), the other source's value is
   used, so an HR feed that never sends ``location`` does not blank it. Hence, by default, an
   HR ``terminated`` or ``pre_hire`` outranks an account that is still active, and an HR
   ``active`` cannot bring back a suspended account (rule 1).
3. ``custom.<key>``: per key, like any attribute (the owner of ``custom`` owns every key unless
   ``custom.<key>`` names another).
4. ``groups`` are the Directory's, with each pending group change on top: one chatsync received
   less than ``Policy.group_changes_hours`` ago (the latest per group; ``app.group_changes``
   drops older ones). ``account`` and ``google_user_id`` are the Directory's, ``person_id`` HR's.

Pure: no I/O; ``now`` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import Enum
from types import MappingProxyType

from chatsync.domain.model import Account, Email, EmploymentStatus, Person


class Source(Enum):
    """Where a fact comes from."""

    HR = "hr"
    DIRECTORY = "directory"

    @property
    def other(self) -> Source:
        return Source.DIRECTORY if self is Source.HR else Source.HR


OWNABLE = (
    "employment_status",
    "title",
    "job_level",
    "department",
    "division",
    "cost_center",
    "location",
    "org_unit_path",
    "is_people_manager",
    "manager_email",
    "custom",
)
"""Attributes a rules file may give to either source (``facts: owners:``)."""

DIRECTORY_ONLY = ("account", "groups", "google_user_id")
"""Facts only the Directory has (an HR event carries no groups and no account state)."""

DEFAULT_OWNERS: Mapping[str, Source] = MappingProxyType(
    {**dict.fromkeys(OWNABLE, Source.HR), "org_unit_path": Source.DIRECTORY}
)
"""HR owns employment and job attributes; the Directory owns the org unit (and, always, the
account state and groups)."""

DEFAULT_GROUP_CHANGES_HOURS = 24.0
"""A group change outranks a Directory read that does not show it for this long after chatsync
received it: Directory reads are eventually consistent, and a Google Group fed from the HR
system by GCDS (hourly) lags its HR-bridge event."""

_EMPTY: Mapping[str, Source] = MappingProxyType({})
_PERSON_DEFAULTS = {f.name: f.default for f in fields(Person)}


@dataclass(frozen=True, slots=True)
class Policy:
    """Which source owns which attribute: the rules file's ``facts`` section."""

    owners: Mapping[str, Source] = field(default_factory=lambda: DEFAULT_OWNERS)
    """Attribute -> owner, for every name of ``OWNABLE``."""
    custom_owners: Mapping[str, Source] = field(default_factory=lambda: _EMPTY)
    """Custom key -> owner, overriding ``owners['custom']`` for that key."""
    group_changes_hours: float = DEFAULT_GROUP_CHANGES_HOURS

    def owner(self, attribute: str) -> Source:
        """The source that owns ``attribute`` (``custom.<key>`` for one custom key)."""
        if attribute.startswith("custom."):
            key = attribute.removeprefix("custom.")
            return self.custom_owners.get(key, self.owners["custom"])
        return self.owners[attribute]


@dataclass(frozen=True, slots=True)
class HrSnapshot:
    """The latest HR event applied for a person: its full snapshot and when it happened."""

    person: Person
    event_id: str
    occurred_at: float
    """Seconds since the epoch."""
    sequence: int | None = None

    @property
    def via(self) -> str:
        tail = "" if self.sequence is None else f", sequence {self.sequence}"
        return f"HR event {self.event_id}{tail}"


@dataclass(frozen=True, slots=True)
class DirectoryRead:
    """A Directory user as read at ``read_at``; ``person`` None: not in the Directory."""

    person: Person | None
    read_at: float


@dataclass(frozen=True, slots=True)
class GroupChange:
    """A member joined or left a group (an audit log or HR-bridge group event)."""

    group: Email
    member: Email
    added: bool
    occurred_at: float
    """When it happened: the per (group, member) order."""
    event_id: str
    received_at: float
    """When chatsync received it: pending for ``Policy.group_changes_hours`` from here."""

    def pending(self, now: float, hours: float) -> bool:
        """Whether it still outranks a Directory read that does not show it."""
        return now - self.received_at < hours * 3600


@dataclass(frozen=True, slots=True)
class Fact:
    """Where one fact came from, and as of when."""

    source: Source
    as_of: float | None
    """Seconds since the epoch: the HR event's ``occurred_at``, or the Directory read's time."""
    via: str

    def describe(self) -> str:
        when = "" if self.as_of is None else f" as of {timestamp(self.as_of)}"
        return f"from {self.source.value}{when} ({self.via})"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "source": self.source.value,
            "as_of": None if self.as_of is None else timestamp(self.as_of),
            "via": self.via,
        }


@dataclass(frozen=True, slots=True)
class Facts:
    """A person as the rules see them, and where each fact came from."""

    person: Person
    sources: Mapping[str, Fact]
    """By the rules file's attribute names (``custom.<key>`` for custom ones), plus
    ``groups`` and ``account``."""


def timestamp(seconds: float) -> str:
    """``2026-11-05T09:00:00Z``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(
    email: Email,
    hr: HrSnapshot | None,
    directory: DirectoryRead,
    policy: Policy | None = None,
    changes: Iterable[GroupChange] = (),
    *,
    now: float,
) -> Facts:
    """The person at ``email`` from both sources (see the module docstring for the order)."""
    policy = policy or Policy()
    listed = directory.person
    people = {Source.HR: hr.person if hr else None, Source.DIRECTORY: listed}
    stamps: dict[Source, tuple[float | None, str]] = {
        Source.HR: (hr.occurred_at, hr.via) if hr else (None, "no HR event yet"),
        Source.DIRECTORY: (
            directory.read_at,
            "Directory user" if listed is not None else "not in the Directory",
        ),
    }

    def fact(source: Source, via: str | None) -> Fact:
        as_of, default = stamps[source]
        return Fact(source, as_of, via or default)

    values: dict[str, object] = {}
    sources: dict[str, Fact] = {}
    for name in OWNABLE:
        if name in ("employment_status", "custom"):
            continue
        owner = policy.owner(name)
        chosen, value = owner, None
        for source in (owner, owner.other):
            someone = people[source]
            if someone is not None and getattr(someone, name) is not None:
                chosen, value = source, getattr(someone, name)
                break
        values[name] = _PERSON_DEFAULTS[name] if value is None else value
        sources[name] = fact(chosen, None)

    account = listed.account if listed is not None else Account.DELETED
    status, sources["employment_status"] = _status(account, policy, people, fact)
    sources["account"] = fact(Source.DIRECTORY, f"account {account.value}")

    custom: dict[str, str] = {}
    keys = {key for someone in people.values() if someone is not None for key in someone.custom}
    for key in sorted(keys):
        owner = policy.owner(f"custom.{key}")
        for source in (owner, owner.other):
            someone = people[source]
            if someone is not None and key in someone.custom:
                custom[key] = someone.custom[key]
                sources[f"custom.{key}"] = fact(source, None)
                break

    groups, applied = _groups(listed, changes, policy, now)
    notes = [
        f"{'+' if c.added else '-'}{c.group} by group event {c.event_id} of "
        f"{timestamp(c.occurred_at)}, not in the Directory read yet"
        for c in applied
    ]
    sources["groups"] = fact(Source.DIRECTORY, "; ".join(["Directory groups", *notes]))

    hr_person = hr.person if hr else None
    person = Person(
        email=listed.email if listed is not None else email,
        employment_status=status,
        person_id=(hr_person.person_id if hr_person else None)
        or (listed.person_id if listed else None),
        google_user_id=(listed.google_user_id if listed else None)
        or (hr_person.google_user_id if hr_person else None),
        custom=custom,
        groups=groups,
        account=account,
        **values,  # type: ignore[arg-type]
    )
    return Facts(person, MappingProxyType(sources))


def _status(
    account: Account,
    policy: Policy,
    people: Mapping[Source, Person | None],
    fact: Callable[[Source, str | None], Fact],
) -> tuple[EmploymentStatus, Fact]:
    if account is Account.DELETED:
        return EmploymentStatus.TERMINATED, fact(Source.DIRECTORY, "not in the Directory")
    if account is not Account.ACTIVE:
        return EmploymentStatus.SUSPENDED, fact(Source.DIRECTORY, f"account {account.value}")
    owner = policy.owner("employment_status")
    source = owner if people[owner] is not None else owner.other
    someone = people[source]
    assert someone is not None  # the account is active, so the Directory has the person
    return someone.employment_status, fact(source, None)


def _groups(
    listed: Person | None, changes: Iterable[GroupChange], policy: Policy, now: float
) -> tuple[frozenset[Email], list[GroupChange]]:
    """The Directory's groups with the pending changes on top, and the changes that mattered."""
    groups = set(listed.groups) if listed is not None else set()
    applied = []
    for change in sorted(changes, key=lambda c: c.occurred_at):
        if not change.pending(now, policy.group_changes_hours):
            continue
        if change.added != (change.group in groups):
            applied.append(change)
        if change.added:
            groups.add(change.group)
        else:
            groups.discard(change.group)
    return frozenset(groups), applied
