"""Plans rendered for people (like ``terraform plan``) and for machines (JSON)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatsync.domain import planning
from chatsync.domain.plan_codec import op_json

_SYMBOL = {"add": "+", "promote": "~", "demote": "~", "remove": "-"}


def action(op: planning.Operation) -> str:
    return op.verb


def plan_json(
    operations: Sequence[planning.Operation], skipped: Sequence[planning.Skipped] = ()
) -> dict[str, Any]:
    counts = {"add": 0, "promote": 0, "demote": 0, "remove": 0}
    for op in operations:
        counts[action(op)] += 1
    return {
        "operations": [op_json(op) for op in operations],
        "skipped": [{"space": s.space, "person": s.email, "why": s.why} for s in skipped],
        "summary": {**counts, "skipped": len(skipped)},
    }


def plan_text(
    operations: Sequence[planning.Operation],
    skipped: Sequence[planning.Skipped] = (),
    space_names: Mapping[str, str] | None = None,
) -> str:
    names = space_names or {}
    if not operations and not skipped:
        return "No changes. Chat spaces match the rules.\n"
    lines = ["chatsync will perform the following actions:", ""]
    for space in sorted({op.space for op in operations} | {s.space for s in skipped}):
        title = f"  # {space}" + (f" ({names[space]})" if space in names else "")
        lines.append(title)
        for op in (o for o in operations if o.space == space):
            kind = action(op)
            roles = _roles(op)
            lines.append(f"  {_SYMBOL[kind]} {kind:<8} {op.email:<34} {roles}")
            for reason in op.reasons:
                lines.append(f"        {reason}")
        for skip in (s for s in skipped if s.space == space):
            lines.append(f"  ! skip     {skip.email:<34} {skip.why}")
        lines.append("")
    counts = plan_json(operations, skipped)["summary"]
    lines.append(
        f"Plan: {counts['add']} to add, {counts['promote']} to promote, "
        f"{counts['demote']} to demote, {counts['remove']} to remove, "
        f"{counts['skipped']} left alone."
    )
    return "\n".join(lines) + "\n"


def _roles(op: planning.Operation) -> str:
    if isinstance(op, planning.AddMember):
        return f"as {op.role.value} ({op.role.api})"
    if isinstance(op, planning.ChangeRole):
        return f"{op.old.value} -> {op.new.value} ({op.new.api})"
    return f"was {op.old.value}"
