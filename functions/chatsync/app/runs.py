"""The life of a CLI run in the store: started, then done, interrupted or failed.

The audit trail says what a run changed, change by change, as it happened; this record (the
``runs`` document a full reconcile also writes, ``app.reconciling.finished``) says whether the
run got to its end. ``chatsync audit`` and ``chatsync status`` list a run as interrupted when it
was stopped (Ctrl-C) or when it is still ``running`` but its process is gone (killed, crashed).
Events handled by the functions are not runs in this sense and keep no record here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from chatsync.app import records
from chatsync.app.logs import Logger
from chatsync.app.ports import StateStore

KIND = records.RUNS
RUNNING, DONE, INTERRUPTED, FAILED = "running", "done", "interrupted", "failed"


def started(
    store: StateStore, run_id: str, *, command: str, at: float, pid: int, host: str, operations: int
) -> None:
    """Recorded before the run's first write."""
    record: records.RunRecord = {
        "kind": command,
        "status": RUNNING,
        "started_at": at,
        "dry_run": False,
        "pid": pid,
        "host": host,
        "operations": operations,
    }
    store.put_doc(KIND, run_id, dict(record))


def ended(
    store: StateStore, run_id: str, *, status: str, at: float, summary: Mapping[str, int]
) -> None:
    """Recorded when the run stops, however it stops."""

    def change(doc: dict[str, Any] | None) -> dict[str, Any]:
        return {**(doc or {}), "status": status, "finished_at": at, "counts": dict(summary)}

    store.update_doc(KIND, run_id, change)


def get(store: StateStore, run_id: str) -> records.RunRecord | None:
    doc = store.get_doc(KIND, run_id)
    return cast(records.RunRecord, doc) if doc is not None else None


def reconcile_finished(
    store: StateStore,
    *,
    run_id: str,
    started: float,
    now: float,
    counts: Mapping[str, int],
    held: str | None,
    full: bool,
    dry_run: bool,
    log: Logger,
) -> None:
    """The line the "no completed full reconcile" alert counts, and the record ``chatsync
    status`` lists: when a reconcile applied its plan in place, or when the last work item of a
    fanned-out one is done (``app.fanout``)."""
    log.info(
        "full reconcile completed" if full else "reconcile of some spaces completed",
        run_id=run_id,
        full=full,
        held=held,
        **counts,
    )
    if dry_run:
        return
    record: records.RunRecord = {
        "kind": "reconcile" if full else "reconcile_spaces",
        "started_at": started,
        "finished_at": now,
        "dry_run": False,
        "held": held,
        "counts": dict(counts),
    }
    # Merged into what ``started`` wrote when a CLI run started (its process, its status).
    store.update_doc(KIND, run_id, lambda doc: {**(doc or {}), **record})
