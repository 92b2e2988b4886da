"""Desired roles + current memberships -> a deterministic, safely ordered plan.

    plan(ruleset, decisions, current) -> Plan

Guarantees:

* only managed spaces are touched; app (BOT) and group memberships never are;
* protected people are never touched (a change they would get becomes a ``Skipped``);
* additive spaces only add and promote, except that inactive people lose their membership;
* authoritative spaces converge; with a ``complete`` roster, members no rule selects are removed;
* per space: adds, then promotions (highest target first), then demotions, then removals;
  spaces by name, people by email;
* a space never loses its last owner: an owner is demoted or removed only if another owner
  remains or one is added or promoted in the same plan; otherwise the change is ``Skipped``;
* pure and idempotent: applying the plan and planning again gives no operations.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from chatsync.domain import model
from chatsync.domain.rules.schema import Ruleset


@dataclass(frozen=True, slots=True)
class AddMember:
    """Create a membership; a role above member means the executor creates, then patches."""

    space: model.SpaceName
    email: model.Email
    role: model.Role
    reasons: tuple[str, ...] = ()

    verb = "add"

    @property
    def before(self) -> model.Role | None:
        return None

    @property
    def after(self) -> model.Role | None:
        return self.role

    @property
    def phase(self) -> tuple[str, int, int]:
        """Per space: adds, promotions (highest first), demotions, removals."""
        return self.space, 0, 0

    def describe(self) -> str:
        return f"add {self.email} to {self.space} as {self.role.value}"


@dataclass(frozen=True, slots=True)
class ChangeRole:
    space: model.SpaceName
    email: model.Email
    name: str
    """Canonical membership name ``spaces/S/members/M`` (patch needs it)."""
    old: model.Role
    new: model.Role
    reasons: tuple[str, ...] = ()

    @property
    def promotion(self) -> bool:
        return self.new > self.old

    @property
    def verb(self) -> str:
        return "promote" if self.promotion else "demote"

    @property
    def before(self) -> model.Role | None:
        return self.old

    @property
    def after(self) -> model.Role | None:
        return self.new

    @property
    def phase(self) -> tuple[str, int, int]:
        return (self.space, 1, -self.new.rank) if self.promotion else (self.space, 2, 0)

    def describe(self) -> str:
        return f"{self.verb} {self.email} in {self.space}: {self.old.value} -> {self.new.value}"


@dataclass(frozen=True, slots=True)
class RemoveMember:
    space: model.SpaceName
    email: model.Email
    name: str
    old: model.Role
    reasons: tuple[str, ...] = ()

    verb = "remove"

    @property
    def before(self) -> model.Role | None:
        return self.old

    @property
    def after(self) -> model.Role | None:
        return None

    @property
    def phase(self) -> tuple[str, int, int]:
        return self.space, 3, 0

    def describe(self) -> str:
        return f"remove {self.email} from {self.space} (was {self.old.value})"


Operation = AddMember | ChangeRole | RemoveMember


@dataclass(frozen=True, slots=True)
class Skipped:
    """A change the rules asked for that chatsync will not make, and why."""

    space: model.SpaceName
    email: model.Email
    why: str


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A managed space Chat answered 403 or 404 for: left out of the plan, the rest goes on.

    The people whose changes there must wait are named, so the reconcile can be told what is
    pending; nothing about the space is guessed.
    """

    space: model.SpaceName
    status: int
    """403 (not allowed) or 404 (missing, or the Chat app is not in it)."""
    detail: str
    people: tuple[model.Email, ...] = ()


@dataclass(frozen=True, slots=True)
class SpaceState:
    """What a space looks like now."""

    space: model.SpaceName
    members: Mapping[model.Email, model.Membership]
    owners: frozenset[model.Email]
    """Every current owner of the space, whether or not ``members`` lists them all."""
    complete: bool
    """True: ``members`` is the whole roster; False: only the people being reconciled."""


@dataclass(frozen=True, slots=True)
class Plan:
    operations: tuple[Operation, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unreachable: tuple[Unreachable, ...] = ()
    """Spaces that could not be read while planning (nothing planned there this time)."""

    @property
    def is_empty(self) -> bool:
        """No operations (skips do not count: there is nothing to execute)."""
        return not self.operations

    def summary(self) -> dict[str, int]:
        counts = {"add": 0, "promote": 0, "demote": 0, "remove": 0, "skipped": len(self.skipped)}
        for op in self.operations:
            counts[_verb(op)] += 1
        return counts


def plan(
    ruleset: Ruleset,
    decisions: Iterable[model.Decision],
    current: Mapping[model.SpaceName, SpaceState],
    *,
    known: Collection[model.Email] | None = None,
) -> Plan:
    """The operations that turn *current* into what *decisions* want, safely ordered.

    ``known``: everyone the Directory knows (the full reconcile passes it). A member outside it
    (another organization's user, a deleted account) in a space whose ``outsiders`` is ``keep``
    is left as they are; None: nobody is told apart (person events read one person)."""
    wanted: dict[model.SpaceName, dict[model.Email, model.Decision]] = {}
    skipped: list[Skipped] = []
    managed = {space.name: space for space in ruleset.spaces}
    for decision in decisions:
        if decision.space not in managed:
            skipped.append(
                Skipped(decision.space, decision.email, f"{decision.space} is not a managed space")
            )
            continue
        wanted.setdefault(decision.space, {})[decision.email] = decision
    operations: list[Operation] = []
    for name in sorted(managed):
        state = current.get(name)
        space_wanted = wanted.get(name, {})
        if state is None:
            skipped += [
                Skipped(name, email, f"current membership of {name} is unknown")
                for email, d in sorted(space_wanted.items())
                if d.role is not None and not d.protected
            ]
            continue
        space = managed[name]
        keep = None if known is None or space.outsiders != "keep" else known
        ops, skips = _plan_space(ruleset, space.mode == "additive", space_wanted, state, keep)
        operations += ops
        skipped += skips
    return Plan(tuple(operations), tuple(sorted(skipped, key=lambda s: (s.space, s.email, s.why))))


def _plan_space(
    ruleset: Ruleset,
    additive: bool,
    wanted: Mapping[model.Email, model.Decision],
    state: SpaceState,
    insiders: Collection[model.Email] | None = None,
) -> tuple[list[Operation], list[Skipped]]:
    """``insiders``: when given, members outside it are kept (the space keeps outsiders)."""
    space = state.space
    people = set(wanted) | (set(state.members) if state.complete else set())
    adds: list[AddMember] = []
    promotions: list[ChangeRole] = []
    demotions: list[ChangeRole] = []
    removals: list[RemoveMember] = []
    skipped: list[Skipped] = []
    for email in sorted(people):
        decision = wanted.get(email)
        member = state.members.get(email)
        target = decision.role if decision is not None else None
        reasons = (
            decision.reasons if decision is not None else (f"no rule selects {email} in {space}",)
        )
        current = member.role if member is not None else None
        if member is not None and member.kind is not model.MemberKind.HUMAN:
            if target != current:
                skipped.append(
                    Skipped(space, email, f"{member.kind.value.lower()} membership: never touched")
                )
            continue
        if target == current:
            continue
        if decision is None and insiders is not None and email not in insiders:
            skipped.append(
                Skipped(
                    space,
                    email,
                    f"not in the Directory (another organization's user or a deleted account): "
                    f"kept, the space keeps outsiders; would have {_change(current, target)}",
                )
            )
            continue
        if (decision is not None and decision.protected) or email in ruleset.protected:
            skipped.append(
                Skipped(space, email, f"protected: would have {_change(current, target)}")
            )
            continue
        losing = current is not None and (target is None or target < current)
        if additive and losing and not (decision is not None and decision.inactive):
            skipped.append(
                Skipped(
                    space,
                    email,
                    f"additive space never removes or demotes: would have "
                    f"{_change(current, target)}",
                )
            )
            continue
        if member is None:
            assert target is not None
            adds.append(AddMember(space, email, target, reasons))
        elif target is None:
            removals.append(RemoveMember(space, email, member.name, member.role, reasons))
        elif target > member.role:
            promotions.append(ChangeRole(space, email, member.name, member.role, target, reasons))
        else:
            demotions.append(ChangeRole(space, email, member.name, member.role, target, reasons))
    gained = any(op.role is model.Role.OWNER for op in adds) or any(
        op.new is model.Role.OWNER for op in promotions
    )
    demotions, removals = _keep_an_owner(
        state, [*demotions, *removals], gained=gained, skipped=skipped
    )
    promotions.sort(key=lambda op: (-op.new.rank, op.email))
    return [*adds, *promotions, *demotions, *removals], skipped


def _keep_an_owner(
    state: SpaceState,
    losing: list[ChangeRole | RemoveMember],
    *,
    gained: bool,
    skipped: list[Skipped],
) -> tuple[list[ChangeRole], list[RemoveMember]]:
    """Drop owner demotions/removals that would leave the space with no owner."""
    remaining = set(state.owners)
    demotions: list[ChangeRole] = []
    removals: list[RemoveMember] = []
    for op in sorted(losing, key=lambda op: op.email):
        if op.old is model.Role.OWNER and not gained and not (remaining - {op.email}):
            change = _change(op.old, _target(op))
            why = f"would leave {state.space} without an owner: would have {change}"
            skipped.append(Skipped(state.space, op.email, why))
            continue
        remaining.discard(op.email)
        if isinstance(op, ChangeRole):
            demotions.append(op)
        else:
            removals.append(op)
    return demotions, removals


def _target(op: ChangeRole | RemoveMember) -> model.Role | None:
    return op.new if isinstance(op, ChangeRole) else None


def _change(old: model.Role | None, new: model.Role | None) -> str:
    if old is None:
        return f"added as {new.value if new else 'nothing'}"
    if new is None:
        return f"removed ({old.value})"
    return f"{'promoted' if new > old else 'demoted'} {old.value} -> {new.value}"


def _verb(op: Operation) -> str:
    return op.verb
