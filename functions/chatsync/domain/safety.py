"""Safety rails on a plan, decided before anything is applied (pure: no clock, no I/O).

Two kinds of rail:

* ``guard(plan, ruleset, current)`` drops what chatsync must *never* do, whatever the rules say:
  remove or demote a protected person, leave a space without an owner, touch an unmanaged space,
  touch an app's (or a group's) membership. The planner already refuses all of these; the guard
  runs again on every plan the pipeline executes (held plans released later included), so a
  planner bug or a stale saved plan cannot get past it. Dropped operations become ``Skipped``.
* ``check(plan, ruleset, current, scope=...)`` compares the plan's losses (removals and
  demotions) with the ``safety:`` limits of the rules file and says whether to *hold* it:
  more losses than ``max_removals_per_event`` (an event) or ``max_removals_per_run`` (a
  reconcile run), or, in any space with at least ``min_space_size_for_percent`` members, more
  than ``max_removal_percent`` percent of that space. A held plan waits for an explicit approval
  (``chatsync approve PLAN_ID`` or ``{"kind": "approve", "plan_id": ...}`` on the reconcile topic).

The pipeline calls ``guard`` then ``check`` in ``Pipeline.execute``; see docs/safety.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from chatsync.domain import model, planning
from chatsync.domain.rules.schema import Ruleset

Scope = Literal["event", "run"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a plan may be applied now, and if not, every limit it exceeds."""

    held: bool
    reasons: tuple[str, ...] = ()
    losses: int = 0
    """Removals plus demotions in the plan."""

    @property
    def ok(self) -> bool:
        return not self.held


def is_loss(op: planning.Operation) -> bool:
    """A removal or a demotion: the changes a limit counts."""
    if isinstance(op, planning.RemoveMember):
        return True
    return isinstance(op, planning.ChangeRole) and not op.promotion


def losses_by_space(plan: planning.Plan) -> dict[model.SpaceName, int]:
    counts: dict[model.SpaceName, int] = {}
    for op in plan.operations:
        if is_loss(op):
            counts[op.space] = counts.get(op.space, 0) + 1
    return counts


def space_size(
    space: model.SpaceName,
    current: Mapping[model.SpaceName, planning.SpaceState],
    sizes: Mapping[model.SpaceName, int] | None = None,
) -> int | None:
    """Human members of ``space``: from ``sizes`` if given, else a complete roster, else None."""
    if sizes is not None and space in sizes:
        return sizes[space]
    state = current.get(space)
    if state is not None and state.complete:
        return sum(1 for m in state.members.values() if m.kind is model.MemberKind.HUMAN)
    return None


def sizes_needed(
    plan: planning.Plan,
    ruleset: Ruleset,
    current: Mapping[model.SpaceName, planning.SpaceState],
) -> tuple[model.SpaceName, ...]:
    """Spaces whose size ``check`` needs but ``current`` does not give (an incomplete roster).

    Only spaces where the percentage could be exceeded at all: with ``n`` losses, a floor ``f``
    and a limit ``p``, no space of ``f`` or more members can exceed ``p`` percent when
    ``100 * n <= p * f`` (smaller spaces are exempt), so a single termination never costs a read.
    """
    limits = ruleset.safety
    if limits.max_removal_percent is None:
        return ()
    floor = max(1, limits.min_space_size_for_percent or 0)
    return tuple(
        space
        for space, n in sorted(losses_by_space(plan).items())
        if space_size(space, current) is None and 100 * n > limits.max_removal_percent * floor
    )


def check(
    plan: planning.Plan,
    ruleset: Ruleset,
    current: Mapping[model.SpaceName, planning.SpaceState],
    *,
    scope: Scope,
    sizes: Mapping[model.SpaceName, int] | None = None,
) -> Verdict:
    """Hold ``plan`` if its removals and demotions exceed a ``safety:`` limit for ``scope``."""
    limits = ruleset.safety
    per_space = losses_by_space(plan)
    total = sum(per_space.values())
    reasons: list[str] = []
    limit = limits.max_removals_per_event if scope == "event" else limits.max_removals_per_run
    key = "max_removals_per_event" if scope == "event" else "max_removals_per_run"
    if limit is not None and total > limit:
        reasons.append(f"{total} removals/demotions in one {scope} exceed {key}={limit}")
    if limits.max_removal_percent is not None:
        floor = limits.min_space_size_for_percent or 0
        for space, n in sorted(per_space.items()):
            size = space_size(space, current, sizes)
            if size is None:
                # Unknown size: count the space as no bigger than its losses (the strict reading).
                size = n
            if size < floor or size == 0:
                continue
            percent = 100.0 * n / size
            if percent > limits.max_removal_percent:
                reasons.append(
                    f"{n} of {size} members of {space} ({percent:.0f}%) exceed "
                    f"max_removal_percent={limits.max_removal_percent:g}"
                )
    return Verdict(held=bool(reasons), reasons=tuple(reasons), losses=total)


def guard(
    plan: planning.Plan,
    ruleset: Ruleset,
    current: Mapping[model.SpaceName, planning.SpaceState],
) -> planning.Plan:
    """``plan`` without any operation chatsync must never make (each becomes a ``Skipped``)."""
    kept: list[planning.Operation] = []
    skipped = list(plan.skipped)
    owners_left = {name: set(state.owners) for name, state in current.items()}
    owner_gained = {
        op.space
        for op in plan.operations
        if (isinstance(op, planning.AddMember) and op.role is model.Role.OWNER)
        or (isinstance(op, planning.ChangeRole) and op.new is model.Role.OWNER)
    }
    for op in plan.operations:
        why = _forbidden(op, ruleset, current)
        if why is None and is_loss(op) and _old(op) is model.Role.OWNER:
            left = owners_left.setdefault(op.space, set())
            if op.space not in owner_gained and not (left - {op.email}):
                why = f"would leave {op.space} without an owner"
            else:
                left.discard(op.email)
        if why is None:
            kept.append(op)
        else:
            skipped.append(planning.Skipped(op.space, op.email, f"refused by safety guard: {why}"))
    if len(kept) == len(plan.operations):
        return plan
    return planning.Plan(tuple(kept), tuple(skipped), plan.unreachable)


def _forbidden(
    op: planning.Operation,
    ruleset: Ruleset,
    current: Mapping[model.SpaceName, planning.SpaceState],
) -> str | None:
    if _managed(ruleset, op) is None:
        return f"{op.space} is not a managed space"
    if is_loss(op) and op.email in ruleset.protected:
        return f"{op.email} is protected"
    state = current.get(op.space)
    member = state.members.get(op.email) if state is not None else None
    if member is not None and member.kind is not model.MemberKind.HUMAN:
        return f"{member.kind.value.lower()} memberships are never touched"
    if not isinstance(op, planning.AddMember) and not _is_member_name(op.name, op.space):
        return f"{op.name!r} is not a membership of {op.space}"
    return None


def _managed(ruleset: Ruleset, op: planning.Operation) -> object:
    """The managed space by its resource name only (a rules handle is not a space name)."""
    return next((s for s in ruleset.spaces if s.name == op.space), None)


def _is_member_name(name: str, space: model.SpaceName) -> bool:
    return name.startswith(f"{space}/members/") and len(name) > len(space) + 9


def _old(op: planning.Operation) -> model.Role | None:
    if isinstance(op, planning.AddMember):
        return None
    return op.old
