"""Undo a run: the plan that puts back every membership a run changed, from the audit trail.

For each (space, person) the run touched, the audit entries say the role before the run's first
change to it (``before``; None = not a member) and after its last one (``after``). The revert
wants ``before`` back. It is planned like any other change, by the same planner, so the same
rails hold: protected people are never touched, no space loses its last owner, unmanaged spaces
(taken out of the rules since) and apps are left alone. Additive spaces are no exception here:
what chatsync added by mistake, the revert may remove.

A membership that moved again after the run (someone changed it by hand, or a later run did)
is not clobbered: it is skipped with what it is now, unless ``force``. One that is already back
as it was before the run (reverted already) is ``undone``, not skipped: there is nothing to do.

An interrupted run may have sent a write it never heard back about (``unconfirmed`` in the
trail): the live membership says whether it landed; if it did it is reverted like the rest,
if not there is nothing to undo.

The revert plan is shown for review and applied only on request (``chatsync revert RUN
--apply``); it goes through ``Pipeline.execute``, so it is itself audited under its own run id.
The change thresholds do not hold it unless ``force``: every removal or demotion in it takes
back an add or a promotion the run made, to a membership still exactly as the run left it, so
it restores the roster from before the run rather than losing anyone who was there. With
``force`` it may overwrite later changes, and the per-run limits apply again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from chatsync.app.ports import AuditEntry, ChatMembers
from chatsync.domain import errors, planning, safety
from chatsync.domain.model import Decision, Email, Membership, Role, SpaceName
from chatsync.domain.rules import Ruleset

UNDOABLE = ("applied", "unconfirmed")
"""Audit outcomes that changed something, or may have (a dry run changed nothing)."""


@dataclass(frozen=True, slots=True)
class Touched:
    """What a run did to one membership."""

    space: SpaceName
    person: Email
    before: Role | None
    after: Role | None
    actions: tuple[str, ...]
    at: float
    confirmed: bool = True
    """False when the run's last write to it was never answered (interrupted)."""


@dataclass(frozen=True, slots=True)
class RevertPlan:
    run_id: str
    touched: tuple[Touched, ...]
    plan: planning.Plan
    current: dict[SpaceName, planning.SpaceState]
    undone: tuple[Touched, ...] = ()
    """Memberships already as they were before the run (nothing to revert)."""
    force: bool = False

    @property
    def scope(self) -> safety.Scope | None:
        """The safety scope to apply it with: no limits unless forced (module docstring)."""
        return "run" if self.force else None


def touched(entries: Sequence[AuditEntry]) -> list[Touched]:
    """Per (space, person): the role before the first change and after the last, in order."""
    first: dict[tuple[str, str], AuditEntry] = {}
    last: dict[tuple[str, str], AuditEntry] = {}
    actions: dict[tuple[str, str], list[str]] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.outcome not in UNDOABLE:
            continue
        key = (entry.space, entry.email)
        first.setdefault(key, entry)
        last[key] = entry
        actions.setdefault(key, []).append(entry.action)
    return [
        Touched(
            SpaceName(space),
            Email(person),
            _role(first[(space, person)].before),
            _role(last[(space, person)].after),
            tuple(actions[(space, person)]),
            first[(space, person)].at,
            last[(space, person)].outcome == "applied",
        )
        for space, person in sorted(first)
    ]


def _role(value: str | None) -> Role | None:
    return Role(value) if value else None


def build(
    run_id: str,
    entries: Sequence[AuditEntry],
    *,
    ruleset: Ruleset,
    chat: ChatMembers,
    force: bool = False,
) -> RevertPlan:
    """The plan that restores what ``run_id`` changed. Reads each touched membership live."""
    if not entries:
        raise errors.PlanRefused(
            f"run {run_id!r} has no audit entries: nothing to revert "
            "(check the id with `chatsync audit`)"
        )
    changes = touched(entries)
    # The same rails as any plan, but every space converges: a revert may undo an add in an
    # additive space.
    rails = replace(ruleset, spaces=tuple(replace(s, mode="authoritative") for s in ruleset.spaces))
    live: dict[tuple[SpaceName, Email], Membership | None] = {}
    decisions: list[Decision] = []
    skipped: list[planning.Skipped] = []
    undone: list[Touched] = []
    for change in changes:
        if ruleset.space(change.space) is None:
            skipped.append(
                planning.Skipped(
                    change.space, change.person, f"{change.space} is no longer a managed space"
                )
            )
            continue
        member = chat.get_member(change.space, change.person)
        now = member.role if member is not None else None
        if now == change.before and (now != change.after or not change.confirmed):
            undone.append(change)  # already as before the run (or its write never landed)
            continue
        if now != change.after and not force:
            skipped.append(
                planning.Skipped(
                    change.space,
                    change.person,
                    f"changed since run {run_id}: the run left {_name(change.after)}, "
                    f"now {_name(now)} (--force reverts anyway)",
                )
            )
            continue
        live[(change.space, change.person)] = member
        when = datetime.fromtimestamp(change.at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        decisions.append(
            Decision(
                change.space,
                change.person,
                change.before,
                (
                    f"revert run {run_id}: it did {', '.join(change.actions)} at {when}; "
                    f"restoring {_name(change.before)}",
                ),
            )
        )
    current: dict[SpaceName, planning.SpaceState] = {}
    for space in sorted({space for space, _ in live}):
        members = {p: m for (s, p), m in live.items() if s == space and m is not None}
        by_user = {m.user: p for p, m in members.items() if m.user}
        owners = frozenset(
            by_user.get(m.user) or m.key() for m in chat.list_members(space, owners_only=True)
        )
        current[space] = planning.SpaceState(space, members, owners, complete=False)
    the_plan = planning.plan(rails, decisions, current)
    the_plan = planning.Plan(
        the_plan.operations,
        tuple(sorted((*the_plan.skipped, *skipped), key=lambda s: (s.space, s.email, s.why))),
    )
    return RevertPlan(run_id, tuple(changes), the_plan, current, tuple(undone), force)


def _name(role: Role | None) -> str:
    return role.value if role is not None else "not a member"
