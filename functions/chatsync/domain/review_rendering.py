"""A reviewed rules change as text (the reconcile plan's layout, plus the verdict) and as JSON.

The operations render exactly as ``domain.rendering`` renders a reconcile plan (grouped by
space, each with its reasons, which here include what the old rules said), so a reviewer reads
one format everywhere; the JSON keeps the reconcile plan's keys (``operations[]`` with
``action``, ``space``, ``person``) and adds the review's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatsync.domain import reviewing, safety
from chatsync.domain.model import SpaceName
from chatsync.domain.plan_codec import op_json
from chatsync.domain.rendering import plan_json, plan_text


def review_text(
    change: reviewing.RulesChange,
    verdict: safety.Verdict,
    *,
    old: str,
    new: str,
    facts: str,
    limits: str,
    unknown: Sequence[SpaceName] = (),
    space_names: Mapping[str, str] | None = None,
) -> str:
    lines = [f"Rules change: {old} -> {new}", f"Facts: {facts}", ""]
    if change.operations or change.skipped:
        body = plan_text(change.operations, change.skipped, space_names)
    else:
        body = f"No membership changes: switching to {new} changes nobody's membership.\n"
    lines.append(body.rstrip("\n"))
    if change.unchanged:
        lines += [
            "",
            f"Not caused by this change: {change.unchanged} change(s) the next reconcile makes "
            "under either rules (see chatsync reconcile --dry-run).",
        ]
    if change.no_longer:
        lines += ["", f"No longer planned under {new} (the old rules would make these):"]
        lines += [f"  {op.describe()}" for op in change.no_longer]
    for space in unknown:
        lines += ["", f"! {space}: not in the snapshot, so its changes are not shown."]
    lines += ["", f"Safety (a reconcile run; {limits}):"]
    if verdict.held:
        lines.append("  HELD: this change exceeds a safety limit and would wait for approval:")
        lines += [f"    - {reason}" for reason in verdict.reasons]
    else:
        lines.append(f"  within the limits ({verdict.losses} removals/demotions).")
    return "\n".join(lines) + "\n"


def review_json(
    change: reviewing.RulesChange,
    verdict: safety.Verdict,
    *,
    old: str,
    new: str,
    facts: Mapping[str, Any],
    unknown: Sequence[SpaceName] = (),
) -> dict[str, Any]:
    return {
        "mode": "rules",
        "old_rules": old,
        "new_rules": new,
        "facts": dict(facts),
        **plan_json(change.operations, change.skipped),
        "no_longer": [op_json(op) for op in change.no_longer],
        "unchanged": change.unchanged,
        "unknown_spaces": list(unknown),
        "held": verdict.held,
        "held_reasons": list(verdict.reasons),
        "losses": verdict.losses,
    }
