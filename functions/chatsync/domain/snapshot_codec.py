"""A snapshot: the facts and rosters a full plan reads, as one value and one versioned document.

``chatsync snapshot --out FILE`` writes one, the scheduled reconcile can publish one
(``CHATSYNC_SNAPSHOT_URI``), and ``chatsync plan --snapshot FILE`` plans from one offline through
read-only ports (``adapters.snapshot``), so the survey code of the full reconcile runs on it
exactly as on the tenant and CI needs no tenant credentials.

The document, version 1 (lists sorted, so two snapshots diff line by line)::

    {"format": "chatsync.snapshot", "version": 1,
     "taken_at": "2026-12-01T06:00:00Z",
     "source": "chatsync snapshot" | "reconcile <run id>",
     "rules": "rules.yaml",
     "people": [<a person as domain.person_codec writes it>, ...],
     "spaces": [{"name": "spaces/S", "type": "SPACE" | "GROUP_CHAT" | "DIRECT_MESSAGE",
                 "members": [{"name": "spaces/S/members/M", "user": "users/123",
                              "email": "a@example.com" | null,
                              "role": "owner" | "manager" | "member",
                              "invited": false}, ...] | null}]}

* ``rules``: the rules file the snapshot was taken under (its spaces are the ones read);
* ``people``: everyone as the full reconcile sees them: the latest HR snapshot merged with the
  Directory's facts, groups (nested included) and account state (``domain.facts``), so an HR
  termination or pre-hire already outranks an active account;
* ``spaces[].members``: human memberships only (chatsync lists ``member.type = "HUMAN"``), roles
  in chatsync's words; ``email`` null for someone the Directory does not know (they are keyed
  by ``user``); ``null`` instead of a list for a DM or group chat, which chatsync never reads.

``from_json`` checks every field and raises ``SnapshotError`` naming the file and the field path
(``spaces[2].members[5].role``); a version it does not know is refused, never half read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from chatsync.domain import person_codec
from chatsync.domain.errors import SnapshotError
from chatsync.domain.model import (
    ChatUserId,
    Email,
    Membership,
    Person,
    Role,
    SpaceName,
    SpaceType,
    email,
    space_name,
)

FORMAT = "chatsync.snapshot"
VERSION = 1


@dataclass(frozen=True, slots=True)
class SpaceRoster:
    """One space as read: its type and, for a named space, every human membership."""

    name: SpaceName
    space_type: SpaceType
    members: tuple[Membership, ...] | None = None
    """None: not a named space, so chatsync never read (and never touches) its members."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The facts and rosters of one moment, enough to plan a full reconcile offline."""

    taken_at: float
    """Seconds since the epoch."""
    source: str
    rules: str
    people: tuple[Person, ...]
    spaces: Mapping[SpaceName, SpaceRoster] = field(default_factory=dict)
    version: int = VERSION

    @property
    def taken_at_text(self) -> str:
        return datetime.fromtimestamp(self.taken_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(snapshot: Snapshot) -> dict[str, Any]:
    """The document above, sorted."""
    return {
        "format": FORMAT,
        "version": snapshot.version,
        "taken_at": snapshot.taken_at_text,
        "source": snapshot.source,
        "rules": snapshot.rules,
        "people": [person_codec.to_dict(p) for p in sorted(snapshot.people, key=lambda p: p.email)],
        "spaces": [_space_json(snapshot.spaces[name]) for name in sorted(snapshot.spaces)],
    }


def _space_json(roster: SpaceRoster) -> dict[str, Any]:
    members = None
    if roster.members is not None:
        members = [
            {
                "name": m.name,
                "user": m.user,
                # A users/{id} key stands in for someone the Directory does not know: not an email.
                "email": m.email if m.email and not m.email.startswith("users/") else None,
                "role": m.role.value,
                "invited": m.invited,
            }
            for m in sorted(roster.members, key=lambda m: m.name)
        ]
    return {
        "name": roster.name,
        "type": roster.space_type.value,
        "members": members,
    }


def from_json(document: object, *, file: str) -> Snapshot:
    """The snapshot in ``document`` (parsed JSON); ``SnapshotError`` names ``file`` and field."""
    reader = _Reader(file)
    body = reader.mapping(document, "")
    if body.get("format") != FORMAT:
        raise reader.fail("format", f"expected {FORMAT!r}, found {body.get('format')!r}")
    version = body.get("version")
    if version != VERSION:
        raise reader.fail(
            "version",
            f"version {version!r} is not one this chatsync reads (it reads {VERSION}); "
            "take a new snapshot with this chatsync",
        )
    taken = reader.text(body.get("taken_at"), "taken_at")
    try:
        when = datetime.fromisoformat(taken)
    except ValueError:
        raise reader.fail("taken_at", f"{taken!r} is not an ISO-8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    people = [
        reader.person(item, f"people[{i}]")
        for i, item in enumerate(reader.sequence(body.get("people"), "people"))
    ]
    spaces: dict[SpaceName, SpaceRoster] = {}
    for i, item in enumerate(reader.sequence(body.get("spaces"), "spaces")):
        roster = reader.space(item, f"spaces[{i}]")
        if roster.name in spaces:
            raise reader.fail(f"spaces[{i}].name", f"{roster.name} is listed twice")
        spaces[roster.name] = roster
    return Snapshot(
        taken_at=when.timestamp(),
        source=reader.text(body.get("source", ""), "source"),
        rules=reader.text(body.get("rules", ""), "rules"),
        people=tuple(people),
        spaces=spaces,
        version=VERSION,
    )


_TEXT_FIELDS = {f.name for f in fields(Person)} - {
    "email",
    "employment_status",
    "is_people_manager",
    "custom",
    "groups",
}


class _Reader:
    """Walks the document; every failure names the file and the field path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> SnapshotError:
        return SnapshotError(self.file, problem, field=where)

    def mapping(self, value: object, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected an object, found {type(value).__name__}")
        return value

    def sequence(self, value: object, where: str) -> Sequence[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, found {type(value).__name__}")
        return value

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, found {type(value).__name__}")
        return value

    def person(self, value: object, where: str) -> Person:
        data = self.mapping(value, where)
        try:
            address = email(self.text(data.get("email"), f"{where}.email"))
        except ValueError as exc:
            raise self.fail(f"{where}.email", str(exc)) from None
        for name in _TEXT_FIELDS:
            if data.get(name) is not None and not isinstance(data[name], str):
                raise self.fail(f"{where}.{name}", "expected a string or null")
        if not isinstance(data.get("is_people_manager", False), bool):
            raise self.fail(f"{where}.is_people_manager", "expected true or false")
        custom = self.mapping(data.get("custom") or {}, f"{where}.custom")
        if not all(isinstance(v, str) for v in custom.values()):
            raise self.fail(f"{where}.custom", "expected string values")
        groups = self.sequence(data.get("groups") or [], f"{where}.groups")
        for j, group in enumerate(groups):
            try:
                email(self.text(group, f"{where}.groups[{j}]"))
            except ValueError as exc:
                raise self.fail(f"{where}.groups[{j}]", str(exc)) from None
        try:
            return person_codec.from_dict({**data, "email": address})
        except (ValueError, TypeError) as exc:
            raise self.fail(where, str(exc)) from None

    def space(self, value: object, where: str) -> SpaceRoster:
        data = self.mapping(value, where)
        try:
            name = space_name(self.text(data.get("name"), f"{where}.name"))
        except ValueError as exc:
            raise self.fail(f"{where}.name", str(exc)) from None
        try:
            kind = SpaceType(data.get("type"))
        except ValueError:
            known = ", ".join(t.value for t in SpaceType)
            problem = f"{data.get('type')!r} is not one of {known}"
            raise self.fail(f"{where}.type", problem) from None
        raw = data.get("members")
        members = None
        if raw is not None:
            members = tuple(
                self.member(name, item, f"{where}.members[{j}]")
                for j, item in enumerate(self.sequence(raw, f"{where}.members"))
            )
        elif kind is SpaceType.SPACE:
            raise self.fail(f"{where}.members", "a named space needs its members (a list)")
        return SpaceRoster(name, kind, members)

    def member(self, space: SpaceName, value: object, where: str) -> Membership:
        data = self.mapping(value, where)
        name = self.text(data.get("name"), f"{where}.name")
        if not name.startswith(f"{space}/members/") or name == f"{space}/members/":
            raise self.fail(f"{where}.name", f"{name!r} is not a membership of {space}")
        user = self.text(data.get("user", ""), f"{where}.user")
        address: Email | None = None
        if data.get("email") is not None:
            try:
                address = email(self.text(data["email"], f"{where}.email"))
            except ValueError as exc:
                raise self.fail(f"{where}.email", str(exc)) from None
        elif not user.startswith("users/"):
            raise self.fail(f"{where}.user", "a member without an email needs 'users/<id>'")
        try:
            role = Role(data.get("role"))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            problem = f"{data.get('role')!r} is not one of {known}"
            raise self.fail(f"{where}.role", problem) from None
        invited = data.get("invited", False)
        if not isinstance(invited, bool):
            raise self.fail(f"{where}.invited", "expected true or false")
        return Membership(
            space=space,
            email=address,
            role=role,
            name=name,
            user=ChatUserId(user),
            invited=invited,
        )
