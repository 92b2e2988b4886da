"""Reviewed plans on disk: ``chatsync reconcile --out PLAN.json`` writes one, ``chatsync apply``
applies exactly it, or refuses.

A saved plan holds its operations (with their reasons) and its *premises*: every touched
membership as it was read when the plan was made (role and state, or absent), and the owners
of each space where the plan demotes or removes an owner (the last-owner rail relied on them).
Before applying, every premise is read again; if any moved, ``errors.PlanRefused`` names each
one and nothing is written. Plan again, review again.

    {"format": "chatsync.plan/v1", "plan_id": "...", "created_at": 1700000000.0,
     "rules": "rules.yaml", "operations": [{"action": "add", "space": "spaces/A",
     "person": "x@example.com", "role_after": "member", "reasons": [...],
     "premise": {"role": null, "state": null, "membership": null}}, ...],
     "owners": {"spaces/A": ["y@example.com"]}, "skipped": [...], "summary": {...}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatsync.app.ports import ChatMembers
from chatsync.domain import errors, plan_codec, planning, rendering
from chatsync.domain.model import Email, Membership, Role, SpaceName, space_name

FORMAT = "chatsync.plan/v1"


@dataclass(frozen=True, slots=True)
class Premise:
    """One membership as read when the plan was made (``role`` None: not a member)."""

    space: SpaceName
    person: Email
    role: Role | None
    state: str | None
    membership: str | None

    def describe(self) -> str:
        if self.role is None:
            return "not a member"
        return f"{self.role.value} ({self.state})"


@dataclass(frozen=True, slots=True)
class SavedPlan:
    plan_id: str
    created_at: float
    plan: planning.Plan
    premises: tuple[Premise, ...]
    owners: Mapping[SpaceName, Mapping[str, str]]
    """Per space where an owner is demoted or removed: its owners when planned, by Chat user
    (``users/{id}``) -> email (for messages)."""
    rules: str = ""


def premise_of(space: SpaceName, person: Email, member: Membership | None) -> Premise:
    if member is None:
        return Premise(space, person, None, None, None)
    return Premise(space, person, member.role, _state(member), member.name)


def _state(member: Membership) -> str:
    return "INVITED" if member.invited else "JOINED"


def build(
    the_plan: planning.Plan,
    current: Mapping[SpaceName, planning.SpaceState],
    *,
    plan_id: str,
    created_at: float,
    rules: str = "",
) -> SavedPlan:
    """Attach the premises (read from ``current``) to a plan."""
    premises = []
    owners: dict[SpaceName, dict[str, str]] = {}
    for op in the_plan.operations:
        state = current.get(op.space)
        member = state.members.get(op.email) if state is not None else None
        premises.append(premise_of(op.space, op.email, member))
        losing_owner = isinstance(op, planning.ChangeRole | planning.RemoveMember) and (
            op.old is Role.OWNER
        )
        if losing_owner and state is not None:
            owners[op.space] = {
                (state.members[e].user if e in state.members else e) or e: e for e in state.owners
            }
    return SavedPlan(plan_id, created_at, the_plan, tuple(premises), owners, rules)


def to_json(saved: SavedPlan) -> dict[str, Any]:
    body = rendering.plan_json(saved.plan.operations, saved.plan.skipped)
    for op, premise in zip(body["operations"], saved.premises, strict=True):
        op["premise"] = {
            "role": premise.role.value if premise.role else None,
            "state": premise.state,
            "membership": premise.membership,
        }
    return {
        "format": FORMAT,
        "plan_id": saved.plan_id,
        "created_at": saved.created_at,
        "rules": saved.rules,
        **body,
        "owners": {space: dict(sorted(o.items())) for space, o in sorted(saved.owners.items())},
    }


def write(saved: SavedPlan, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_json(saved), indent=2) + "\n", encoding="utf-8")


def read(path: str | Path) -> SavedPlan:
    """Load a saved plan; a file that is not one raises ``PlanRefused`` naming the field."""
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise errors.PlanRefused(f"{where}: not a readable plan file: {exc}") from exc
    return from_json(data, where=where)


def from_json(data: Any, *, where: str = "<plan>") -> SavedPlan:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise errors.PlanRefused(f"{where}: format: expected {FORMAT!r}")
    operations: list[planning.Operation] = []
    premises: list[Premise] = []
    for i, item in enumerate(data.get("operations") or ()):
        path = f"{where}: operations[{i}]"
        try:
            op = plan_codec.op_from_json(item)
            raw = item.get("premise") or {}
            role = raw.get("role")
            premises.append(
                Premise(
                    op.space,
                    op.email,
                    Role(role) if role else None,
                    raw.get("state"),
                    raw.get("membership"),
                )
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise errors.PlanRefused(f"{path}: {exc!r}") from exc
        operations.append(op)
    skipped = tuple(
        planning.Skipped(SpaceName(s["space"]), Email(s["person"]), str(s["why"]))
        for s in data.get("skipped") or ()
    )
    owners = {
        space_name(space): {str(k): str(v) for k, v in dict(people).items()}
        for space, people in (data.get("owners") or {}).items()
    }
    return SavedPlan(
        plan_id=str(data.get("plan_id", "")),
        created_at=float(data.get("created_at", 0.0)),
        plan=planning.Plan(tuple(operations), skipped),
        premises=tuple(premises),
        owners=owners,
        rules=str(data.get("rules", "")),
    )


def moved(saved: SavedPlan, chat: ChatMembers) -> list[str]:
    """Re-read every premise; one line per premise that no longer holds."""
    lines = []
    seen: set[tuple[SpaceName, Email]] = set()
    for premise in saved.premises:
        key = (premise.space, premise.person)
        if key in seen:
            continue
        seen.add(key)
        # A member the Directory did not know is keyed users/{id}; Chat takes the bare id.
        alias = Email(premise.person.removeprefix("users/"))
        now = premise_of(premise.space, premise.person, chat.get_member(premise.space, alias))
        if (now.role, now.state) != (premise.role, premise.state):
            lines.append(
                f"{premise.person} in {premise.space}: was {premise.describe()} when planned, "
                f"now {now.describe()}"
            )
    for space, owners in sorted(saved.owners.items()):
        live = {m.user or m.email or m.name for m in chat.list_members(space, owners_only=True)}
        if live != set(owners):
            was = [owners[u] for u in owners]
            is_now = [owners.get(u, u) for u in live]
            lines.append(
                f"owners of {space}: were {_people(was)} when planned, now {_people(is_now)}"
            )
    return lines


def refuse_if_moved(saved: SavedPlan, chat: ChatMembers, *, where: str = "the plan") -> None:
    """Raise ``PlanRefused`` naming every premise that moved since the plan was made."""
    changes = moved(saved, chat)
    if changes:
        raise errors.PlanRefused(
            f"{where} ({saved.plan_id}) no longer matches Chat; nothing was applied. "
            f"{len(changes)} change(s) since it was made: "
            + "; ".join(changes)
            + ". Make a new plan and review it."
        )


def _people(people: Sequence[str]) -> str:
    return ", ".join(sorted(people)) or "nobody"
