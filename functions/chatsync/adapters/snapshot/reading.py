"""The ports over a snapshot: every read answered from it, every write refused.

``SnapshotChat`` and ``SnapshotDirectory`` answer exactly what ``RestChatMembers`` and
``DirectoryClient`` would have answered when the snapshot was taken, so the full reconcile's
survey (``app.reconciling``) runs on them unchanged: that is how ``chatsync plan --snapshot``
plans offline. A membership write raises ``ReadOnlySnapshot``: nothing can reach Chat through
them, whatever a caller's options say.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from chatsync.app.ports import SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Person, Role, SpaceName
from chatsync.domain.snapshot_codec import Snapshot, SpaceRoster


class SnapshotChat:
    """``ChatMembers`` answered from a snapshot; writes raise ``ReadOnlySnapshot``."""

    def __init__(self, snapshot: Snapshot, *, origin: str) -> None:
        self.snapshot = snapshot
        self.origin = origin

    def _roster(self, space: SpaceName) -> SpaceRoster:
        roster = self.snapshot.spaces.get(space)
        if roster is None:
            raise errors.SnapshotError(
                self.origin,
                f"{space} is not in the snapshot (taken under {self.snapshot.rules or 'unknown'} "
                "rules); take one that covers it: chatsync snapshot --also-rules FILE",
                field="spaces",
            )
        return roster

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return SpaceInfo(name=space, space_type=self._roster(space).space_type)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        return next((m for m in self.list_members(space) if m.email == email), None)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        members = self._roster(space).members or ()
        return [m for m in members if not owners_only or m.role is Role.OWNER]

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        raise self._refused(f"add {email} to {space}")

    def set_role(self, membership: Membership, role: Role) -> Membership:
        raise self._refused(f"set {membership.name} to {role.value}")

    def remove_member(self, membership: Membership) -> None:
        raise self._refused(f"remove {membership.name}")

    def _refused(self, what: str) -> errors.ReadOnlySnapshot:
        return errors.ReadOnlySnapshot(
            f"{self.origin} is a snapshot and answers reads only: {what} was refused"
        )


class SnapshotDirectory:
    """``Directory`` answered from a snapshot's people (their groups include nested ones)."""

    def __init__(self, snapshot: Snapshot, *, origin: str) -> None:
        self.origin = origin
        self._people = {p.email: p for p in snapshot.people}
        self._ids = {p.google_user_id: p for p in snapshot.people if p.google_user_id}

    def get_person(self, key: str, *, groups: bool = True) -> Person:
        found = self._people.get(Email(key.lower())) or self._ids.get(key)
        if found is None:
            raise errors.PersonNotFound(f"{key}: not in the snapshot {self.origin}")
        return found

    def groups_of(self, member: str) -> frozenset[Email]:
        return self.get_person(member).groups

    def group_members(self, group: Email) -> frozenset[Email]:
        """Everyone whose groups name ``group``; a group with nobody in it is not known."""
        members = frozenset(e for e, p in self._people.items() if group in p.groups)
        if not members:
            raise errors.PersonNotFound(f"group {group}: nobody in the snapshot {self.origin}")
        return members

    def list_people(self, groups: Collection[Email] | None = None) -> list[Person]:
        """Everyone, with every group the snapshot recorded: groups no rule names decide
        nothing, so they need not be cut down to ``groups``."""
        return list(self._people.values())
