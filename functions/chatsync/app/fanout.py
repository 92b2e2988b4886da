"""Fan-out: a large change set becomes work items on the work topic, tracked by a run document.

A full reconcile plans in one invocation (it has read every roster) and publishes its operations
as ``ops`` items; a group event with many members publishes its people as ``people`` items
(``domain.work_items`` says why the two differ). ``on_work_item`` applies them
(``app.work_items``), each within the invocation budget.

The run document (``records.WORK_RUNS``) is written before anything is published, so every item
finds its run; it counts items total and done, and ``updated_at`` moves with each item's
progress. ``check_runs`` (each scheduler tick, ``chatsync reconcile --status``) reports a run
without progress for ``stall_minutes`` as stalled, at ERROR (the line the ``work_runs_stalled``
metric counts), and posts it to the admin space once per run (``app.notifying``; a failed post
never fails the tick). A new full reconcile does not start
while another is still running (two runs would plan the same changes twice); it supersedes a
stalled one, whose remaining items are then acked unapplied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from chatsync.app import notifying, records, runs
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Report
from chatsync.app.logs import Logger
from chatsync.app.ports import StateStore
from chatsync.domain import errors, planning, work_runs
from chatsync.domain.model import Email
from chatsync.domain.work_items import (
    WorkItem,
    WorkMessage,
    chunk_people,
    slice_operations,
)

PEOPLE_PER_ITEM = 25
"""People per ``people`` item: each costs a few reads and a write or two (about a minute of a
work instance's rates for 25), so a group of 10,000 spreads over 400 items."""
GROUP_INLINE_MAX = 10
"""A group event naming at most this many people applies them itself: ten people at about four
reads and two writes each fit the group function's budget at its 10 writes a minute."""


def start_ops_run(
    deps: Deps,
    the_plan: planning.Plan,
    *,
    run_id: str,
    origin: str,
    log: Logger,
    started: float | None = None,
) -> Report:
    """Publish ``the_plan``'s operations as work items of run ``run_id``."""
    items = slice_operations(the_plan.operations, max_ops=deps.options.work_item_size)
    run_id = _fresh(deps, run_id)
    messages = []
    for index, ops in enumerate(items):
        marks: dict[str, str] = {}
        for email in sorted({op.email for op in ops}):
            mark = deps.store.get_watermark(email)
            marks[email] = mark.event_id if mark is not None else ""
        item = WorkItem(run_id, index, "ops", ops=ops, watermarks=marks)
        messages.append(WorkMessage(item))
    _publish(deps, messages, run_id=run_id, origin=origin, log=log, started=started)
    return Report(skipped=the_plan.skipped, note=Note.FANNED_OUT)


def start_people_run(
    deps: Deps, people: Iterable[Email], *, run_id: str, origin: str, log: Logger
) -> Report:
    """Publish ``people`` (each planned and applied by a work item, as an HR event would be)."""
    chunks = chunk_people(people, size=PEOPLE_PER_ITEM)
    run_id = _fresh(deps, run_id)
    messages = [
        WorkMessage(WorkItem(run_id, index, "people", people=chunk))
        for index, chunk in enumerate(chunks)
    ]
    _publish(deps, messages, run_id=run_id, origin=origin, log=log)
    return Report(note=Note.FANNED_OUT)


def _fresh(deps: Deps, run_id: str) -> str:
    """``run_id``, or a new one if a run of that id exists: the delivery that started it failed
    while publishing, and is redelivered. That run is superseded (its items stop); this one
    plans again from what is there now."""
    candidate, attempt = run_id, 1
    while (found := deps.store.get_doc(records.WORK_RUNS, candidate)) is not None:
        if found.get("status") not in ("done", "superseded"):
            supersede(deps, candidate, by=f"{run_id}.{attempt + 1}")
        attempt += 1
        candidate = f"{run_id}.{attempt}"
    return candidate


def _publish(
    deps: Deps,
    messages: Sequence[WorkMessage],
    *,
    run_id: str,
    origin: str,
    log: Logger,
    started: float | None = None,
) -> None:
    if deps.work is None:
        raise errors.ConfigError("no work queue: CHATSYNC_WORK_TOPIC is not set")
    now = deps.clock()
    doc: records.WorkRun = {
        "run_id": run_id,
        "origin": origin,
        "status": "publishing",
        "started_at": now if started is None else started,
        "created_at": now,
        "updated_at": now,
        "items_total": len(messages),
        "steps_total": sum(m.item.size for m in messages),
        "done": {},
    }
    deps.store.put_doc(
        records.WORK_RUNS, run_id, records.expiring(records.WORK_RUNS, dict(doc), now=now)
    )
    _open(deps, run_id, add=True)
    log.info(
        "work run started",
        run_id=run_id,
        origin=origin,
        items=len(messages),
        steps=doc["steps_total"],
    )
    if not messages:
        mark_done(deps, run_id, log=log)
        return
    deps.work.publish(messages)

    def running(found: dict[str, Any] | None) -> dict[str, Any] | None:
        if found is None or found.get("status") != "publishing":
            return None  # an in-process queue may have finished it already
        return {**found, "status": "running"}

    deps.store.update_doc(records.WORK_RUNS, run_id, running)


def mark_done(deps: Deps, run_id: str, *, log: Logger) -> None:
    finished = [False]

    def change(found: dict[str, Any] | None) -> dict[str, Any] | None:
        finished[0] = False
        if found is None or found.get("status") in ("done", "superseded"):
            return None
        finished[0] = True
        now = deps.clock()
        return {**found, "status": "done", "finished_at": now, "updated_at": now}

    deps.store.update_doc(records.WORK_RUNS, run_id, change)
    _open(deps, run_id, add=False)
    if finished[0]:
        doc = deps.store.get_doc(records.WORK_RUNS, run_id) or {}
        summary = work_runs.status(doc, now=deps.clock(), stall_after_s=stall_after(deps))
        log.info(
            "work run finished",
            run_id=run_id,
            origin=summary.origin,
            items=summary.items_total,
            items_failed=summary.items_failed,
            applied=summary.applied,
            failed=summary.failed,
            skipped=summary.skipped,
            seconds=round(deps.clock() - summary.created_at, 1),
        )
        if summary.origin in ("reconcile", "reconcile_spaces"):
            runs.reconcile_finished(
                deps.store,
                run_id=run_id,
                started=float(doc.get("started_at", summary.created_at)),
                now=deps.clock(),
                counts={
                    "applied": summary.applied,
                    "failed": summary.failed,
                    "skipped": summary.skipped,
                    "items": summary.items_total,
                },
                held=None,
                full=summary.origin == "reconcile",
                dry_run=False,
                log=log,
            )


def supersede(deps: Deps, run_id: str, *, by: str) -> None:
    def change(found: dict[str, Any] | None) -> dict[str, Any] | None:
        if found is None or found.get("status") in ("done", "superseded"):
            return None
        return {**found, "status": "superseded", "superseded_by": by}

    deps.store.update_doc(records.WORK_RUNS, run_id, change)
    _open(deps, run_id, add=False)


def _open(deps: Deps, run_id: str, *, add: bool) -> None:
    """Keep ``run_id`` in (or out of) the list of open runs."""

    def change(found: dict[str, Any] | None) -> dict[str, Any] | None:
        runs = list((found or {}).get("runs") or [])
        if (run_id in runs) == add:
            return None
        runs = [*runs, run_id] if add else [r for r in runs if r != run_id]
        return records.expiring(records.WORK_OPEN, {"runs": runs}, now=deps.clock())

    deps.store.update_doc(records.WORK_OPEN, "runs", change)


def stall_after(deps: Deps) -> float:
    return deps.options.stall_minutes * 60.0


def run_status(deps: Deps, run_id: str) -> work_runs.RunStatus:
    """The status of run ``run_id``; ``UnknownRun`` if the store has no such run."""
    return status_in(deps.store, run_id, now=deps.clock(), stall_after_s=stall_after(deps))


def status_in(
    store: StateStore, run_id: str, *, now: float, stall_after_s: float
) -> work_runs.RunStatus:
    """``run_status`` from the store alone (``chatsync reconcile --status`` needs no
    credentials): reads, reports nothing."""
    doc = store.get_doc(records.WORK_RUNS, run_id)
    if doc is None:
        known = [key for key, _ in store.list_docs(records.WORK_RUNS)][-5:]
        hint = f" (latest: {', '.join(known)})" if known else " (no fanned-out run is recorded)"
        raise errors.UnknownRun(f"no run {run_id!r} in the store{hint}")
    return work_runs.status(doc, now=now, stall_after_s=stall_after_s)


def check_runs(deps: Deps, *, log: Logger, origin: str | None = None) -> list[work_runs.RunStatus]:
    """Every unfinished run (of ``origin``, if given); each stalled one logged at ERROR at every
    tick and posted to the admin space once (``notifying.work_run_stalled``)."""
    now = deps.clock()
    found = []
    listed = deps.store.get_doc(records.WORK_OPEN, "runs") or {}
    for run_id in listed.get("runs") or []:
        doc = deps.store.get_doc(records.WORK_RUNS, str(run_id))
        if doc is None or doc.get("status") in ("done", "superseded"):
            _open(deps, str(run_id), add=False)
            continue
        if origin is not None and doc.get("origin") != origin:
            continue
        state = work_runs.status(doc, now=now, stall_after_s=stall_after(deps))
        if state.state == "done":
            continue
        if state.state == "stalled":
            log.error(
                "work run stalled: no progress, items are left",
                run_id=state.run_id,
                origin=state.origin,
                items_total=state.items_total,
                items_done=state.items_done,
                idle_minutes=round(state.idle_s / 60, 1),
                stall_minutes=deps.options.stall_minutes,
            )
            deps.store.update_doc(
                records.WORK_RUNS,
                state.run_id,
                lambda d: {**d, "stall_reported_at": now} if d is not None else None,
            )
            notifying.work_run_stalled(deps, state, log=log)
        found.append(state)
    return found
