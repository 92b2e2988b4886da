"""Where each person was last seen: the managed spaces they are in, and the ones checked.

A person event must find the person in every space the rules would take them out of. Reading
every authoritative space for every event costs one membership read per space per event (300
spaces: 300 reads, a tenth of a minute's project quota, for one hire). Instead chatsync keeps,
per person, the spaces it last *checked* and those it *found* them in:

* the full reconcile writes it for everyone it read (every managed space checked);
* every per-person read and every applied change keeps it current.

and, for the spaces they were found in, the role they held there. A person event then reads
only the spaces where the rules may change something: where they were last found or never
checked (a removal may be due), and where the rules give them a role they were not last seen
holding. A space where they were last seen with exactly the role the rules give needs no read:
there is nothing to write. A manual add, or a role changed by hand, that no Chat event
reported is invisible to person events until the next full reconcile, which repairs it: that is
the documented trade (docs/architecture.md, "Presence"). A Chat membership event for the person
and space (``forget``) makes the next event read it again.

Stored form: ``present`` and ``checked`` (lists of space names) and ``roles``, the spaces of
``present`` where the role is above member (``{"spaces/A": "owner"}``); a record without
``roles`` (written before roles were kept) knows no role, so every space with a role is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatsync.app import records
from chatsync.app.executing import Outcome, Report
from chatsync.app.ports import StateStore
from chatsync.domain import planning
from chatsync.domain.model import Email, Role, SpaceName

KIND = records.PRESENCE


@dataclass(frozen=True, slots=True)
class Presence:
    present: frozenset[SpaceName] = frozenset()
    checked: frozenset[SpaceName] = frozenset()
    above_member: Mapping[SpaceName, Role] | None = field(default_factory=dict)
    """The spaces of ``present`` where the person's role is above member (the others: member).
    None: the record does not know roles (written before they were kept)."""

    def may_be_in(self, space: SpaceName) -> bool:
        """False only when the person was checked in ``space`` and not found there."""
        return space in self.present or space not in self.checked

    def role_in(self, space: SpaceName) -> Role | None:
        """The role the person was last seen holding in ``space``; None when not known (not
        found there, never checked, or a record without roles)."""
        if self.above_member is None or space not in self.present or space not in self.checked:
            return None
        return self.above_member.get(space, Role.MEMBER)

    def observe(self, seen: Mapping[SpaceName, Role | None]) -> Presence:
        """After reading memberships: ``seen[space]`` is the person's role there, None when
        they are not there."""
        present = {s for s in self.present if s not in seen} | {
            s for s, role in seen.items() if role is not None
        }
        roles = _with_roles(self.above_member, seen)
        return Presence(frozenset(present), self.checked | frozenset(seen), roles)

    def after(self, operations: Iterable[planning.Operation]) -> Presence:
        """After applied operations: adds put the person in with their role, role changes
        change it, removals take them out."""
        present, checked = set(self.present), set(self.checked)
        seen: dict[SpaceName, Role | None] = {}
        for op in operations:
            checked.add(op.space)
            if isinstance(op, planning.RemoveMember):
                present.discard(op.space)
                seen[op.space] = None
            else:
                present.add(op.space)
                seen[op.space] = op.new if isinstance(op, planning.ChangeRole) else op.role
        roles = _with_roles(self.above_member, seen)
        return Presence(frozenset(present), frozenset(checked), roles)

    def unsure(self, spaces: Iterable[SpaceName]) -> Presence:
        """After adds that failed: each may have landed (a create that succeeded before its
        patch failed, a lost response), with a role nobody saw. Present but not checked: the
        next event reads the space, whatever role the rules give."""
        spaces = frozenset(spaces)
        roles = _with_roles(self.above_member, dict.fromkeys(spaces))
        return Presence(self.present | spaces, self.checked - spaces, roles)

    def to_dict(self, *, checked: list[str] | None = None) -> dict[str, Any]:
        """The stored form; ``checked``: that list already sorted (``documents`` shares one)."""
        listed = sorted(self.checked) if checked is None else checked
        out: dict[str, Any] = {"present": sorted(self.present), "checked": listed}
        if self.above_member is not None:
            out["roles"] = {s: r.value for s, r in sorted(self.above_member.items())}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Presence:
        roles = data.get("roles")
        return cls(
            frozenset(SpaceName(s) for s in data.get("present") or ()),
            frozenset(SpaceName(s) for s in data.get("checked") or ()),
            {SpaceName(s): Role(r) for s, r in roles.items()} if isinstance(roles, dict) else None,
        )


def _with_roles(
    known: Mapping[SpaceName, Role] | None, seen: Mapping[SpaceName, Role | None]
) -> dict[SpaceName, Role] | None:
    """``known`` with each seen space's role (above member kept, member or absent dropped)."""
    if known is None:
        return None
    roles = {s: r for s, r in known.items() if s not in seen}
    roles.update({s: r for s, r in seen.items() if r is not None and r is not Role.MEMBER})
    return roles


def load(store: StateStore, email: Email) -> Presence | None:
    doc = store.get_doc(KIND, email)
    return Presence.from_dict(doc) if doc is not None else None


def save(store: StateStore, email: Email, presence: Presence) -> None:
    store.put_doc(KIND, email, presence.to_dict())


def track(store: StateStore, report: Report) -> None:
    """Keep each changed person's record in step with what was applied. A failed add may still
    have landed (a create that succeeded before its patch failed, a lost response): count the
    person as there, so the next event reads that space."""
    done: dict[Email, list[planning.Operation]] = {}
    unsure: dict[Email, list[SpaceName]] = {}
    for result in report.results:
        if result.outcome is Outcome.APPLIED:
            done.setdefault(result.op.email, []).append(result.op)
        elif isinstance(result.op, planning.AddMember):
            unsure.setdefault(result.op.email, []).append(result.op.space)
    for email in sorted(done.keys() | unsure.keys()):
        known = load(store, email) or Presence()
        save(store, email, known.after(done.get(email, ())).unsure(unsure.get(email, ())))


def documents(seen: Mapping[Email, Presence]) -> dict[str, dict[str, Any]]:
    """``to_dict`` of each, the equal ``checked`` lists shared: after a full reconcile everyone
    was checked in every managed space, and 100,000 copies of a 1,000-space list would take
    most of a gigabyte in memory."""
    lists: dict[frozenset[SpaceName], list[str]] = {}
    out: dict[str, dict[str, Any]] = {}
    for email, known in seen.items():
        checked = lists.get(known.checked)
        if checked is None:
            checked = lists[known.checked] = sorted(known.checked)
        out[email] = known.to_dict(checked=checked)
    return out


def forget(store: StateStore, email: Email, space: SpaceName) -> None:
    """Something changed for ``email`` in ``space`` (a Chat event): read it next time."""
    known = load(store, email)
    if known is not None and space in known.checked:
        roles = _with_roles(known.above_member, {space: None})
        save(store, email, Presence(known.present - {space}, known.checked - {space}, roles))


def from_rosters(
    people: Iterable[Email],
    current: Mapping[SpaceName, planning.SpaceState],
    applied: Iterable[planning.Operation],
) -> dict[Email, Presence]:
    """Everyone's presence after a full reconcile: each surveyed space was checked for all."""
    checked = frozenset(current)
    present: dict[Email, set[SpaceName]] = {email: set() for email in people}
    above: dict[Email, dict[SpaceName, Role]] = {}
    for space, state in current.items():
        for email, membership in state.members.items():
            if email in present:
                present[email].add(space)
                if membership.role is not Role.MEMBER:
                    above.setdefault(email, {})[space] = membership.role
    out = {
        email: Presence(frozenset(spaces), checked, above.get(email, {}))
        for email, spaces in present.items()
    }
    for op in applied:
        if op.email in out:
            out[op.email] = out[op.email].after([op])
    return out
