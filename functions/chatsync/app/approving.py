"""Release a held plan on approval.

``approve`` is what ``chatsync approve PLAN_ID`` and ``{"kind": "approve", "plan_id": ...}`` on
the reconcile topic run: it re-reads each membership the plan touches, drops the operations
whose premise moved (someone was re-added, removed, re-roled by hand, or a newer event for the
person was applied since), guards the rest again (``app.gate``) and applies them without the
limits.
"""

from __future__ import annotations

from chatsync.app import applying, window
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Report
from chatsync.app.logs import Logger
from chatsync.app.spaces import is_named_space
from chatsync.domain import errors, holding, planning
from chatsync.domain.model import Role, SpaceName


def approve(deps: Deps, plan_id: str, *, log: Logger, approved_by: str = "") -> Report:
    """Apply a held plan's operations that still hold. ``PlanRefused`` if there is no such plan."""
    log = log.bind(plan_id=plan_id)
    doc = deps.store.get_doc(holding.KIND, plan_id)
    if doc is None:
        raise errors.PlanRefused(
            f"no held plan {plan_id!r}; list the held plans: chatsync approve --list"
        )
    if doc.get("status") == holding.APPLIED:
        log.info("held plan already applied: nothing to do", approved_by=doc.get("approved_by"))
        return Report(note=Note.ALREADY_APPLIED)
    marks = doc.get("watermarks") or {}
    ops: list[planning.Operation] = []
    skipped: list[planning.Skipped] = []
    current: dict[SpaceName, planning.SpaceState] = {}
    fetched: set[SpaceName] = set()
    for stored in holding.operations(doc):
        op = stored
        mark = deps.store.get_watermark(op.email)
        if op.email in marks and (mark.event_id if mark else "") != marks[op.email]:
            skipped.append(planning.Skipped(op.space, op.email, "superseded by a newer event"))
            continue
        if not is_named_space(deps, op.space, log):
            skipped.append(planning.Skipped(op.space, op.email, "not a named space"))
            continue
        membership = deps.chat.get_member(op.space, op.email)
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
                owners |= {m.key() for m in deps.chat.list_members(op.space, owners_only=True)}
        current[op.space] = planning.SpaceState(op.space, members, frozenset(owners), False)
        ops.append(op)
    for skip in skipped:
        log.info(f"held plan: skip {skip.email} in {skip.space}: {skip.why}", space=skip.space)
    released = planning.Plan(tuple(ops), tuple(skipped))
    report = applying.execute(deps, released, run_id=plan_id, log=log, current=current, scope=None)
    done = not report.retryable_failures
    if doc.get("window"):
        # An admin looked at what the rolling window held: it is no longer tripped.
        window.clear_trip(deps.store, now=deps.clock(), by=approved_by or plan_id)
    deps.store.put_doc(
        holding.KIND,
        plan_id,
        {
            **doc,
            "status": holding.APPLIED if done else holding.APPROVED,
            "approved_by": approved_by,
            "approved_at": deps.clock(),
            "result": report.summary(),
        },
    )
    log.info(
        "held plan approved and applied" if done else "held plan approved; some changes wait",
        approved_by=approved_by,
        **report.summary(),
    )
    return report
