"""Broken spaces: a managed space Chat answers 403 or 404 for never takes the others down.

A space can be deleted, the Chat app removed from it, or the deployment not allowed to change
it (app authentication outside spaces the app created). Such a space is skipped for the event
or run that met it: one ERROR line names it and the fix, a ``broken_spaces`` record keeps it
(with whose changes wait there) for the reconcile and ``chatsync doctor``, the report counts
it, and every other space applies. The event is then acked: what it could not do is recorded,
not lost, and the next full reconcile, which reads every space again, applies it once the admin
has fixed the space (and clears the record); until then the reconcile exits non-zero naming it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from chatsync.app import notifying, records
from chatsync.app.deps import Deps
from chatsync.app.logs import Logger
from chatsync.app.ports import StateStore
from chatsync.domain import errors, notices, planning
from chatsync.domain.model import Email, SpaceName

KIND = records.BROKEN_SPACES
KEEP_PEOPLE = 200
KEEP_RUNS = 20


def found(
    exc: errors.SpaceUnreachable, space: SpaceName, people: Iterable[Email] = ()
) -> planning.Unreachable:
    """The plan's note of a space that answered ``exc``."""
    return planning.Unreachable(
        space=space, status=exc.status, detail=str(exc)[:300], people=tuple(people)
    )


def fix(status: int, auth_mode: str) -> str:
    """What the admin does about a space that answers ``status`` in ``auth_mode``."""
    if status == 404 and auth_mode == "app":
        return (
            "the space does not exist or the Chat app is not a member of it: check the name in "
            "the rules file (CHATSYNC_RULES_FILE), or add the Chat app to the space (in Chat: "
            "the space > Apps & integrations > Add apps), or use auth_mode=admin (Terraform "
            "variable auth_mode); then run chatsync doctor"
        )
    if status == 404:
        return (
            "the space does not exist: check the name in the rules file (CHATSYNC_RULES_FILE; "
            "a space's name is in its URL, chat.google.com/room/<id> -> spaces/<id>); then run "
            "chatsync doctor"
        )
    if auth_mode == "app":
        return (
            "the Chat app may not do this here: with app authentication it changes roles only "
            "in spaces it created and removes managers only as their creator, and an admin must "
            "approve chat.app.memberships; use auth_mode=admin (Terraform variable auth_mode, "
            "the default) to manage existing spaces; then run chatsync doctor"
        )
    return (
        "admin access was refused: allow the delegated scopes of chatsync/scopes.json for the "
        "runtime account's client id (Admin console > Security > Access and data control > API "
        "controls > Domain-wide delegation) and give CHATSYNC_ADMIN_SUBJECT the Chat admin "
        "privilege; then run chatsync doctor"
    )


def note(
    deps: Deps, spaces: Iterable[planning.Unreachable], *, run_id: str, log: Logger
) -> tuple[SpaceName, ...]:
    """Log each unreachable space at ERROR with its fix and keep it in the store; their names."""
    merged: dict[SpaceName, planning.Unreachable] = {}
    for item in spaces:
        seen = merged.get(item.space)
        people = (*seen.people, *item.people) if seen is not None else item.people
        merged[item.space] = planning.Unreachable(
            item.space, item.status, item.detail, tuple(dict.fromkeys(people))
        )
    now = deps.clock()
    for space, item in sorted(merged.items()):
        advice = fix(item.status, deps.options.auth_mode)
        log.error(
            f"space skipped: Chat answered {item.status} for {space}; the other spaces were "
            f"applied, and this one waits for the reconcile. Fix: {advice}",
            space=space,
            status=item.status,
            run_id=run_id,
            pending=list(item.people),
            error=item.detail,
            fix=advice,
        )
        if deps.options.dry_run:
            continue
        deps.store.update_doc(
            KIND,
            space,
            functools.partial(_merged, item=item, advice=advice, run_id=run_id, now=now),
        )
    if merged and not deps.options.dry_run:
        # The admin space hears of it once a day per space (app.notifying dedupes by key).
        notifying.spaces_unmanageable(
            deps,
            [notices.Unmanageable(s, i.status, i.detail, "") for s, i in sorted(merged.items())],
            log=log,
        )
    return tuple(sorted(merged))


def _merged(
    doc: dict[str, Any] | None,
    *,
    item: planning.Unreachable,
    advice: str,
    run_id: str,
    now: float,
) -> dict[str, Any]:
    old = doc if doc is not None and not doc.get("healed_at") else {}
    pending = [*old.get("pending", []), *item.people]
    runs = [*old.get("runs", []), run_id]
    return {
        "space": item.space,
        "status": item.status,
        "error": item.detail,
        "fix": advice,
        "first_seen": float(old.get("first_seen", now)),
        "last_seen": now,
        "count": int(old.get("count", 0)) + 1,
        "pending": list(dict.fromkeys(pending))[-KEEP_PEOPLE:],
        "runs": list(dict.fromkeys(runs))[-KEEP_RUNS:],
    }


def listed(store: StateStore) -> list[tuple[str, dict[str, Any]]]:
    """The spaces still recorded as broken, by name."""
    return [(k, d) for k, d in store.list_docs(KIND) if not d.get("healed_at")]


def heal(
    deps: Deps,
    spaces: Iterable[str],
    *,
    run_id: str,
    log: Logger,
    why: str = "the reconcile applied it",
) -> None:
    """A reconcile applied these spaces (or the rules dropped them): close their records (kept,
    marked healed)."""
    if deps.options.dry_run:
        return
    now = deps.clock()
    for space in spaces:
        doc = deps.store.get_doc(KIND, space)
        if doc is None or doc.get("healed_at"):
            continue
        deps.store.put_doc(
            KIND, space, {**doc, "healed_at": now, "healed_by": run_id, "healed_why": why}
        )
        log.info(
            f"space no longer broken: {why}",
            space=space,
            run_id=run_id,
            pending=doc.get("pending", []),
        )
