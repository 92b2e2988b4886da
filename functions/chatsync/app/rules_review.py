"""Review a rules change: plan a full reconcile under OLD and under NEW from the same facts, and
keep what NEW causes (``domain.reviewing`` holds the definition).

The two ``Deps`` share their ports and differ only in the ruleset; the caller points the ports at
a snapshot (``adapters.snapshot``, built by ``runtime.build_offline``), so both plans come from
one reading, whether that reading was just taken from the tenant or loaded from a file. The
survey is the full reconcile's own (``reconciling.survey``), guarded as ``app.gate`` guards it;
nothing is applied or stored.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from chatsync.app import reconciling
from chatsync.app.deps import Deps
from chatsync.app.logs import Logger
from chatsync.domain import reviewing, safety
from chatsync.domain.model import SpaceName


@dataclass(frozen=True, slots=True)
class Review:
    """What switching from ``old_rules`` to ``new_rules`` would do, and whether it is held."""

    old_rules: str
    new_rules: str
    change: reviewing.RulesChange
    verdict: safety.Verdict
    unknown: tuple[SpaceName, ...] = ()
    """Spaces NEW manages whose rosters were not read (not in the snapshot)."""

    @property
    def held(self) -> bool:
        return self.verdict.held


def review(old: Deps, new: Deps, *, known: Collection[SpaceName], log: Logger) -> Review:
    """Plan under ``old.ruleset`` and ``new.ruleset``; ``known``: spaces the ports can read."""
    before = reconciling.survey(old, log=log, spaces=[s for s in old.ruleset.managed if s in known])
    after = reconciling.survey(new, log=log, spaces=[s for s in new.ruleset.managed if s in known])
    old_plan = safety.guard(before.plan, old.ruleset, before.current)
    new_plan = safety.guard(after.plan, new.ruleset, after.current)
    change = reviewing.difference(
        old_plan,
        new_plan,
        before=reviewing.explain_before(old.ruleset, new.ruleset, after.people),
    )
    unknown = tuple(sorted(new.ruleset.managed - set(known)))
    verdict = reviewing.verdict(
        change, old=old.ruleset, new=new.ruleset, current=after.current, unknown=unknown
    )
    log.info(
        "rules change reviewed",
        old_rules=old.ruleset.source,
        new_rules=new.ruleset.source,
        held=verdict.held,
        unchanged=change.unchanged,
        **change.plan.summary(),
    )
    return Review(
        old_rules=old.ruleset.source,
        new_rules=new.ruleset.source,
        change=change,
        verdict=verdict,
        unknown=unknown,
    )
