"""One operation as JSON and back: the one codec for plans that leave the process.

Saved plans (``chatsync reconcile --out``, ``app.plan_files``), held plans (``domain.holding``),
drift reports and ``--json`` output all write operations with ``op_json`` and read them with
``op_from_json``::

    {"action": "add" | "promote" | "demote" | "remove", "space": "spaces/S",
     "person": "<email>" | "users/<id>", "reasons": [...],
     "role_before": "owner" | "manager" | "member" | null, "role_after": ... | null,
     "api_role": "ROLE_MANAGER" | ..., "membership": "spaces/S/members/M"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatsync.domain import model, planning


def op_json(op: planning.Operation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": op.verb,
        "space": op.space,
        "person": op.email,
        "reasons": list(op.reasons),
    }
    if isinstance(op, planning.AddMember):
        body.update(role_before=None, role_after=op.role.value, api_role=op.role.api)
    elif isinstance(op, planning.ChangeRole):
        body.update(
            role_before=op.old.value,
            role_after=op.new.value,
            api_role=op.new.api,
            membership=op.name,
        )
    else:
        body.update(role_before=op.old.value, role_after=None, membership=op.name)
    return body


def op_from_json(body: object) -> planning.Operation:
    """The inverse of ``op_json``; every name is validated again. ``ValueError`` names what is
    wrong (callers add where the operation came from)."""
    if not isinstance(body, Mapping):
        raise ValueError("not an object")
    try:
        action = body["action"]
        space = model.space_name(str(body["space"]))
        who = str(body["person"])
        # A member the Directory does not know is keyed by their Chat user id.
        person = model.Email(who) if who.startswith("users/") else model.email(who)
        reasons = tuple(str(r) for r in body.get("reasons") or ())
        if action == "add":
            return planning.AddMember(space, person, model.Role(body["role_after"]), reasons)
        name = str(body["membership"])
        if not name.startswith(f"{space}/members/"):
            raise ValueError(f"membership {name!r} is not in {space}")
        old = model.Role(body["role_before"])
        if action in ("promote", "demote"):
            return planning.ChangeRole(
                space, person, name, old, model.Role(body["role_after"]), reasons
            )
        if action == "remove":
            return planning.RemoveMember(space, person, name, old, reasons)
    except KeyError as exc:
        raise ValueError(f"missing field {exc}") from None
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    raise ValueError(f"unknown action {action!r}")
