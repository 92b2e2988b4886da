"""A rules change, reviewed: the membership changes that switching from OLD rules to NEW causes.

The definition (docs/rules-review.md explains it with examples): from the same facts and rosters,
plan a full reconcile under OLD and one under NEW, each guarded as the reconcile guards it. The
changes the switch *causes* are the operations of NEW's plan that OLD's plan does not contain.
Drift that OLD would repair too (a leaver still in a space, a manual add nobody's rule covers) is
in both plans: the next reconcile makes it whichever rules are deployed, so it is not the
change's doing and is only counted (``unchanged``). Two operations are the same when they have
the same action, space, person and roles before and after; their reasons may differ.

Also reported: ``no_longer``, what OLD's plan would do and NEW's will not (a removal a widened
rule now prevents); and ``skipped``, what NEW's planner or guard holds back that OLD's did not.

Each caused operation keeps NEW's reasons and gains what OLD said about the same person and
space (``before (rules.yaml): rule 'x' matched: ...``): a removal reads as "no rule selects them
now" and "this rule selected them before", which is the rule change that causes it.

``verdict`` runs the safety limits (``safety.check``, scope ``run``) on the caused operations
alone, under NEW's ``safety:`` section and under OLD's: a change cannot loosen the gate it is
checked against. A managed space whose roster is unknown (not in the snapshot) holds the change
too: its removals could not be counted. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from chatsync.domain import planning, safety
from chatsync.domain.model import Email, Person, Role, SpaceName
from chatsync.domain.rules import Ruleset, evaluate

Identity = tuple[str, SpaceName, Email, Role | None, Role | None]


@dataclass(frozen=True, slots=True)
class RulesChange:
    """What switching rules causes, and what it does not."""

    operations: tuple[planning.Operation, ...] = ()
    """NEW's operations that OLD's plan does not make, in NEW's plan order, reasons enriched."""
    skipped: tuple[planning.Skipped, ...] = ()
    """NEW's skips that OLD's plan does not have."""
    no_longer: tuple[planning.Operation, ...] = ()
    """OLD's operations that NEW's plan does not make."""
    unchanged: int = 0
    """NEW's operations OLD's plan makes too: drift the next reconcile repairs either way."""

    @property
    def plan(self) -> planning.Plan:
        return planning.Plan(self.operations, self.skipped)


def identity(op: planning.Operation) -> Identity:
    """What makes two operations the same change (their reasons and membership names aside)."""
    return op.verb, op.space, op.email, op.before, op.after


def difference(
    old: planning.Plan,
    new: planning.Plan,
    *,
    before: Callable[[planning.Operation], tuple[str, ...]] = lambda op: (),
) -> RulesChange:
    """The change from ``old`` to ``new``; ``before(op)`` gives the lines added to its reasons."""
    in_old = {identity(op) for op in old.operations}
    in_new = {identity(op) for op in new.operations}
    caused = tuple(
        replace(op, reasons=(*op.reasons, *before(op)))
        for op in new.operations
        if identity(op) not in in_old
    )
    old_skips = set(old.skipped)
    return RulesChange(
        operations=caused,
        skipped=tuple(s for s in new.skipped if s not in old_skips),
        no_longer=tuple(op for op in old.operations if identity(op) not in in_new),
        unchanged=len(new.operations) - len(caused),
    )


def explain_before(
    old: Ruleset, new: Ruleset, people: Iterable[Person]
) -> Callable[[planning.Operation], tuple[str, ...]]:
    """``before(op)``: what OLD said about ``op``'s person in ``op``'s space, one line a reason."""
    known = {p.email: p for p in people}
    decided: dict[Email, dict[SpaceName, tuple[str, ...]]] = {}

    def before(op: planning.Operation) -> tuple[str, ...]:
        prefix = f"before ({old.source}): "
        then = old.space(op.space)
        if then is None:
            return (f"{prefix}{op.space} was not a managed space",)
        person = known.get(op.email)
        if person is None:
            return (f"{prefix}{op.email} is not in the Directory",)
        if op.email not in decided:
            decided[op.email] = {d.space: d.reasons for d in evaluate(old, person)}
        lines = [prefix + reason for reason in decided[op.email].get(op.space, ())]
        now = new.space(op.space)
        if safety.is_loss(op) and then.mode == "additive" and now and now.mode != "additive":
            lines.append(f"{prefix}{then.id} was additive: it never removed or demoted anyone")
        return tuple(lines)

    return before


def verdict(
    change: RulesChange,
    *,
    old: Ruleset,
    new: Ruleset,
    current: Mapping[SpaceName, planning.SpaceState],
    unknown: Sequence[SpaceName] = (),
) -> safety.Verdict:
    """Held if the caused operations exceed NEW's limits or OLD's, or a roster is unknown."""
    plan = planning.Plan(change.operations)
    reasons: list[str] = []
    losses = 0
    labelled = old.safety != new.safety
    for rules in (new, old):
        found = safety.check(plan, rules, current, scope="run")
        losses = max(losses, found.losses)
        for reason in found.reasons:
            text = f"{reason} (limits of {rules.source})" if labelled else reason
            if text not in reasons:
                reasons.append(text)
    reasons += [
        f"{space} is not in the snapshot: its roster is unknown, so the removals there "
        "cannot be counted"
        for space in unknown
    ]
    return safety.Verdict(held=bool(reasons), reasons=tuple(reasons), losses=losses)


def limits_text(rules: Ruleset) -> str:
    """The run-scope limits of ``rules`` in one line, for a reviewer."""
    limits = rules.safety
    parts = []
    if limits.max_removals_per_run is not None:
        parts.append(f"max_removals_per_run={limits.max_removals_per_run}")
    if limits.max_removal_percent is not None:
        floor = limits.min_space_size_for_percent or 0
        parts.append(
            f"max_removal_percent={limits.max_removal_percent:g} (spaces of {floor}+ members)"
        )
    return ", ".join(parts) or "no run limits"
