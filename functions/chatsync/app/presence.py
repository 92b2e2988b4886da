"""Where each person was last seen: the managed spaces they are in, and the ones checked.

A person event must find the person in every space the rules would take them out of. Reading
every authoritative space for every event costs one membership read per space per event (300
spaces: 300 reads, a tenth of a minute's project quota, for one hire). Instead chatsync keeps,
per person, the spaces it last *checked* and those it *found* them in:

* the full reconcile writes it for everyone it read (every managed space checked);
* every per-person read and every applied change keeps it current.

A person event then reads only the spaces where the rules give them a role, plus the spaces
where they were last found or never checked. A manual add that no Chat event reported is
invisible to person events until the next full reconcile, which repairs it: that is the
documented trade (docs/architecture.md, "Presence").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatsync.app import records
from chatsync.app.executing import Outcome, Report
from chatsync.app.ports import StateStore
from chatsync.domain import planning
from chatsync.domain.model import Email, SpaceName

KIND = records.PRESENCE


@dataclass(frozen=True, slots=True)
class Presence:
    present: frozenset[SpaceName] = frozenset()
    checked: frozenset[SpaceName] = frozenset()

    def may_be_in(self, space: SpaceName) -> bool:
        """False only when the person was checked in ``space`` and not found there."""
        return space in self.present or space not in self.checked

    def observe(self, seen: Mapping[SpaceName, bool]) -> Presence:
        """After reading memberships: ``seen[space]`` is whether the person is there."""
        present = {s for s in self.present if s not in seen} | {
            s for s, here in seen.items() if here
        }
        return Presence(frozenset(present), self.checked | frozenset(seen))

    def after(self, operations: Iterable[planning.Operation]) -> Presence:
        """After applied operations: adds put the person in, removals take them out."""
        present, checked = set(self.present), set(self.checked)
        for op in operations:
            checked.add(op.space)
            if isinstance(op, planning.RemoveMember):
                present.discard(op.space)
            else:
                present.add(op.space)
        return Presence(frozenset(present), frozenset(checked))

    def to_dict(self) -> dict[str, Any]:
        return {"present": sorted(self.present), "checked": sorted(self.checked)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Presence:
        return cls(
            frozenset(SpaceName(s) for s in data.get("present") or ()),
            frozenset(SpaceName(s) for s in data.get("checked") or ()),
        )


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
    for result in report.results:
        landed = result.outcome is Outcome.APPLIED
        if landed or isinstance(result.op, planning.AddMember):
            done.setdefault(result.op.email, []).append(result.op)
    for email, ops in done.items():
        save(store, email, (load(store, email) or Presence()).after(ops))


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
        out[email] = {"present": sorted(known.present), "checked": checked}
    return out


def forget(store: StateStore, email: Email, space: SpaceName) -> None:
    """Something changed for ``email`` in ``space`` (a Chat event): read it next time."""
    known = load(store, email)
    if known is not None and space in known.checked:
        save(store, email, Presence(known.present - {space}, known.checked - {space}))


def from_rosters(
    people: Iterable[Email],
    current: Mapping[SpaceName, planning.SpaceState],
    applied: Iterable[planning.Operation],
) -> dict[Email, Presence]:
    """Everyone's presence after a full reconcile: each surveyed space was checked for all."""
    checked = frozenset(current)
    present: dict[Email, set[SpaceName]] = {email: set() for email in people}
    for space, state in current.items():
        for email in state.members:
            if email in present:
                present[email].add(space)
    out = {email: Presence(frozenset(spaces), checked) for email, spaces in present.items()}
    for op in applied:
        if op.email in out:
            out[op.email] = out[op.email].after([op])
    return out
