"""The pipeline's side of the safety rails: hold a plan over a limit, release it on approval.

``gate`` runs in ``Pipeline.execute`` before anything is applied: ``safety.guard`` removes what
must never happen, ``safety.check`` decides whether the rest exceeds a ``safety:`` limit. A held
plan is logged at ERROR and stored (``holding``); the event that produced it is acked.

``approve`` is what ``chatsync approve PLAN_ID`` and ``{"kind": "approve", "plan_id": ...}`` on
the reconcile topic run: it re-reads each membership the plan touches, drops the operations
whose premise moved (someone was re-added, removed, re-roled by hand, or a newer event for the
person was applied since), guards the rest again and applies them without the limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chatsync.app import window
from chatsync.app.executing import Report
from chatsync.app.logs import Logger
from chatsync.domain import errors, holding, planning, safety
from chatsync.domain.model import Email, Role, SpaceName

if TYPE_CHECKING:
    from chatsync.app.pipeline import Pipeline


def gate(
    pipeline: Pipeline,
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
        current = owners_of(pipeline, the_plan)
    guarded = safety.guard(the_plan, pipeline.ruleset, current)
    if scope is None or not any(safety.is_loss(op) for op in guarded.operations):
        return guarded, None
    verdict = limits(pipeline, guarded, current, scope=scope)
    windowed: window.Admission | None = None
    if (
        verdict.ok
        and scope == "event"
        and pipeline.ruleset.safety.max_removals_per_window is not None
    ):
        windowed = window.check(
            pipeline.store,
            run_id=run_id,
            losses=verdict.losses,
            now=pipeline.clock(),
            limits=pipeline.ruleset.safety,
            record=not pipeline.dry_run,
        )
        if windowed.held:
            verdict = safety.Verdict(held=True, reasons=(windowed.reason,), losses=verdict.losses)
    if verdict.ok:
        return guarded, None
    marks: dict[str, str] = {}
    for email in holding.people(guarded.operations):
        mark = pipeline.store.get_watermark(email)
        marks[email] = mark.event_id if mark is not None else ""
    doc = holding.record(
        guarded, verdict, run_id=run_id, scope=scope, at=pipeline.clock(), watermarks=marks
    )
    extra: dict[str, object] = {}
    if windowed is not None:
        doc["window"] = True
        extra = {
            "window_count": windowed.count,
            "window_minutes": pipeline.ruleset.safety.window_minutes,
            "max_removals_per_window": pipeline.ruleset.safety.max_removals_per_window,
        }
    if pipeline.dry_run:
        log.error("plan would be held: " + "; ".join(verdict.reasons), plan_id=doc["plan_id"])
        return guarded, Report(skipped=guarded.skipped, extra={"held": doc["plan_id"]})
    existing = pipeline.store.get_doc(holding.KIND, doc["plan_id"])
    if existing is None:
        pipeline.store.put_doc(holding.KIND, doc["plan_id"], doc)
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
    return guarded, Report(skipped=guarded.skipped, extra={"held": doc["plan_id"]})


def limits(
    pipeline: Pipeline,
    guarded: planning.Plan,
    current: Mapping[SpaceName, planning.SpaceState],
    *,
    scope: safety.Scope,
) -> safety.Verdict:
    """``safety.check`` with the space sizes it needs read from Chat (nothing stored)."""
    sizes: dict[SpaceName, int] = {}
    for space in safety.sizes_needed(guarded, pipeline.ruleset, current):
        sizes[space] = len(pipeline.chat.list_members(space))
    return safety.check(guarded, pipeline.ruleset, current, scope=scope, sizes=sizes)


def owners_of(pipeline: Pipeline, the_plan: planning.Plan) -> dict[SpaceName, planning.SpaceState]:
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
        owners = frozenset(
            m.email or known.get(m.name) or Email(m.user)
            for m in pipeline.chat.list_members(space, owners_only=True)
        )
        current[space] = planning.SpaceState(space, {}, owners, False)
    return current


def approve(pipeline: Pipeline, plan_id: str, *, log: Logger, approved_by: str = "") -> Report:
    """Apply a held plan's operations that still hold. ``PlanRefused`` if there is no such plan."""
    log = log.bind(plan_id=plan_id)
    doc = pipeline.store.get_doc(holding.KIND, plan_id)
    if doc is None:
        raise errors.PlanRefused(f"no held plan {plan_id!r} (see the held_plans records)")
    if doc.get("status") == holding.APPLIED:
        log.info("held plan already applied: nothing to do", approved_by=doc.get("approved_by"))
        return Report(extra={"already_applied": True})
    marks = doc.get("watermarks") or {}
    ops: list[planning.Operation] = []
    skipped: list[planning.Skipped] = []
    current: dict[SpaceName, planning.SpaceState] = {}
    fetched: set[SpaceName] = set()
    for stored in holding.operations(doc):
        op = stored
        mark = pipeline.store.get_watermark(op.email)
        if op.email in marks and (mark.event_id if mark else "") != marks[op.email]:
            skipped.append(planning.Skipped(op.space, op.email, "superseded by a newer event"))
            continue
        if not pipeline._is_named_space(op.space, log):
            skipped.append(planning.Skipped(op.space, op.email, "not a named space"))
            continue
        membership = pipeline.chat.get_member(op.space, op.email)
        why = holding.still_holds(op, membership)
        if why is not None:
            skipped.append(planning.Skipped(op.space, op.email, f"premise moved: {why}"))
            continue
        state = current.get(op.space)
        members = dict(state.members) if state is not None else {}
        owners = set(state.owners) if state is not None else set()
        if membership is not None:
            members[op.email] = membership
            op = holding.refreshed(op, membership)
            if membership.role is Role.OWNER and op.space not in fetched:
                fetched.add(op.space)
                owners |= {
                    m.email or Email(m.user)
                    for m in pipeline.chat.list_members(op.space, owners_only=True)
                }
        current[op.space] = planning.SpaceState(op.space, members, frozenset(owners), False)
        ops.append(op)
    for skip in skipped:
        log.info(f"held plan: skip {skip.email} in {skip.space}: {skip.why}", space=skip.space)
    released = planning.Plan(tuple(ops), tuple(skipped))
    report = pipeline.execute(released, run_id=plan_id, log=log, current=current, scope=None)
    done = not report.retryable_failures
    if doc.get("window"):
        # An admin looked at what the rolling window held: it is no longer tripped.
        window.clear_trip(pipeline.store, now=pipeline.clock(), by=approved_by or plan_id)
    pipeline.store.put_doc(
        holding.KIND,
        plan_id,
        {
            **doc,
            "status": holding.APPLIED if done else holding.APPROVED,
            "approved_by": approved_by,
            "approved_at": pipeline.clock(),
            "result": report.summary(),
        },
    )
    log.info(
        "held plan approved and applied" if done else "held plan approved; some changes wait",
        approved_by=approved_by,
        **report.summary(),
    )
    return report
