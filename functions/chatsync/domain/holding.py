"""Held plans: what ``safety.check`` stopped, kept in the store until someone approves it.

A held plan is one ``held_plans`` document keyed by its plan id::

    {"plan_id": "hold-3f2a...", "run_id": "<event id or run id>", "scope": "event" | "run",
     "status": "held" | "approved" | "applied", "reasons": [...], "created_at": 1700000000.0,
     "operations": [plan_codec.op_json(op), ...], "summary": {...},
     "watermarks": {"<email>": "<event id of the person's watermark when held>"},
     "window": true (held by the rolling window: approving it clears the window's trip),
     "approved_by": "...", "approved_at": ..., "result": {...}}

Approval (``Pipeline.approve``) re-reads every membership the plan touches and applies only the
operations whose premise still holds; the pipeline runs ``safety.guard`` on them again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chatsync.domain import errors, model, plan_codec, planning, rendering, safety

KIND = "held_plans"
"""The store document kind."""

HELD, APPROVED, APPLIED = "held", "approved", "applied"


def plan_id(run_id: str, operations: Sequence[planning.Operation]) -> str:
    """Deterministic: the same run holding the same operations gets the same id."""
    body = json.dumps([run_id, [plan_codec.op_json(op) for op in operations]], sort_keys=True)
    return "hold-" + hashlib.sha256(body.encode()).hexdigest()[:16]


def record(
    plan: planning.Plan,
    verdict: safety.Verdict,
    *,
    run_id: str,
    scope: safety.Scope,
    at: float,
    watermarks: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The document stored for a held plan."""
    body = rendering.plan_json(plan.operations, plan.skipped)
    return {
        "plan_id": plan_id(run_id, plan.operations),
        "run_id": run_id,
        "scope": scope,
        "status": HELD,
        "reasons": list(verdict.reasons),
        "losses": verdict.losses,
        "created_at": at,
        "operations": body["operations"],
        "summary": body["summary"],
        "watermarks": dict(watermarks or {}),
    }


def operations(doc: Mapping[str, Any]) -> tuple[planning.Operation, ...]:
    """The operations of a stored plan; ``PlanRefused`` if the document is not one we wrote."""
    raw = doc.get("operations")
    if not isinstance(raw, list):
        raise errors.PlanRefused(f"held plan {doc.get('plan_id')!r} has no operation list")
    return tuple(operation(item) for item in raw)


def operation(body: object) -> planning.Operation:
    """A stored operation (``plan_codec``); ``PlanRefused`` if it is not one we wrote."""
    try:
        return plan_codec.op_from_json(body)
    except ValueError as exc:
        raise errors.PlanRefused(f"held plan operation {body!r:.120}: {exc}") from None


def still_holds(op: planning.Operation, membership: model.Membership | None) -> str | None:
    """None if ``op`` can still be applied to ``membership`` as it is now, else why not."""
    if isinstance(op, planning.AddMember):
        return None if membership is None else "already a member"
    if membership is None:
        return "no longer a member"
    if membership.kind is not model.MemberKind.HUMAN:
        return "not a human membership"
    if membership.role is not op.old:
        return f"role is now {membership.role.value}, not {op.old.value}"
    return None


def refreshed(op: planning.Operation, membership: model.Membership) -> planning.Operation:
    """``op`` with the membership's current canonical name."""
    if isinstance(op, planning.ChangeRole):
        return planning.ChangeRole(op.space, op.email, membership.name, op.old, op.new, op.reasons)
    if isinstance(op, planning.RemoveMember):
        return planning.RemoveMember(op.space, op.email, membership.name, op.old, op.reasons)
    return op


def people(ops: Iterable[planning.Operation]) -> tuple[model.Email, ...]:
    return tuple(sorted({op.email for op in ops}))
