"""The safety gate in front of every apply: guard the plan, hold it over a limit.

``gate`` runs before anything is applied: ``safety.guard`` removes what must never happen,
``safety.check`` decides whether the rest exceeds a ``safety:`` limit, and the rolling window
(``app.window``) counts losses across events. A held plan is logged at ERROR and stored
(``domain.holding``), posted to the admin space (``app.notifying``); the event that produced it
is acked.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatsync.app import notifying, window
from chatsync.app.deps import Deps
from chatsync.app.executing import Report
from chatsync.app.logs import Logger
from chatsync.domain import holding, planning, safety
from chatsync.domain.model import Role, SpaceName


def gate(
    deps: Deps,
    the_plan: planning.Plan,
    current: Mapping[SpaceName, planning.SpaceState] | None,
    *,
    scope: safety.Scope | None,
    run_id: str,
    log: Logger,
) -> tuple[planning.Plan, Report | None]:
    """The guarded plan, and a Report if it was held instead of being applied.

    ``current`` None: the caller did not keep the state it planned from; the owners of spaces
    where an owner would go are read again. ``scope`` None: an approved plan, no limits.
    """
    if current is None:
        current = owners_of(deps, the_plan)
    guarded = safety.guard(the_plan, deps.ruleset, current)
    if scope is None or not any(safety.is_loss(op) for op in guarded.operations):
        return guarded, None
    verdict = limits(deps, guarded, current, scope=scope)
    windowed: window.Admission | None = None
    if verdict.ok and scope == "event" and deps.ruleset.safety.max_removals_per_window is not None:
        windowed = window.check(
            deps.store,
            run_id=run_id,
            losses=verdict.losses,
            now=deps.clock(),
            limits=deps.ruleset.safety,
            record=not deps.options.dry_run,
        )
        if windowed.held:
            verdict = safety.Verdict(held=True, reasons=(windowed.reason,), losses=verdict.losses)
    if verdict.ok:
        return guarded, None
    marks: dict[str, str] = {}
    for email in holding.people(guarded.operations):
        mark = deps.store.get_watermark(email)
        marks[email] = mark.event_id if mark is not None else ""
    doc = holding.record(
        guarded, verdict, run_id=run_id, scope=scope, at=deps.clock(), watermarks=marks
    )
    extra: dict[str, object] = {}
    if windowed is not None:
        doc["window"] = True
        extra = {
            "window_count": windowed.count,
            "window_minutes": deps.ruleset.safety.window_minutes,
            "max_removals_per_window": deps.ruleset.safety.max_removals_per_window,
        }
    if deps.options.dry_run:
        log.error("plan would be held: " + "; ".join(verdict.reasons), plan_id=doc["plan_id"])
        return guarded, Report(skipped=guarded.skipped, held=doc["plan_id"])
    existing = deps.store.get_doc(holding.KIND, doc["plan_id"])
    if existing is None:
        deps.store.put_doc(holding.KIND, doc["plan_id"], doc)
    log.error(
        "plan held: it exceeds a safety limit and waits for approval "
        f"(chatsync approve {doc['plan_id']}): " + "; ".join(verdict.reasons),
        plan_id=doc["plan_id"],
        run_id=run_id,
        scope=scope,
        held_operations=len(guarded.operations),
        losses=verdict.losses,
        summary=doc["summary"],
        **extra,
    )
    # Once per plan id, a redelivery included (app.notifying); never fails the event.
    notifying.held_plan(deps, existing or doc, log=log)
    return guarded, Report(skipped=guarded.skipped, held=doc["plan_id"])


def limits(
    deps: Deps,
    guarded: planning.Plan,
    current: Mapping[SpaceName, planning.SpaceState],
    *,
    scope: safety.Scope,
) -> safety.Verdict:
    """``safety.check`` with the space sizes it needs read from Chat (nothing stored)."""
    sizes: dict[SpaceName, int] = {}
    for space in safety.sizes_needed(guarded, deps.ruleset, current):
        sizes[space] = len(deps.chat.list_members(space))
    return safety.check(guarded, deps.ruleset, current, scope=scope, sizes=sizes)


def owners_of(deps: Deps, the_plan: planning.Plan) -> dict[SpaceName, planning.SpaceState]:
    """The owners of each space where ``the_plan`` removes or demotes an owner (read live)."""
    spaces = sorted(
        {
            op.space
            for op in the_plan.operations
            if not isinstance(op, planning.AddMember)
            and safety.is_loss(op)
            and op.old is Role.OWNER
        }
    )
    # Chat may list owners by users/{id} only; the plan's own memberships say whose they are.
    known = {
        op.name: op.email for op in the_plan.operations if not isinstance(op, planning.AddMember)
    }
    current: dict[SpaceName, planning.SpaceState] = {}
    for space in spaces:
        owners = frozenset(m.key(known) for m in deps.chat.list_members(space, owners_only=True))
        current[space] = planning.SpaceState(space, {}, owners, False)
    return current
