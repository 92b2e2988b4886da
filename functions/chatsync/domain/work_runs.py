"""A fanned-out run as a person reads it: items total / done / failed, and whether it stalled.

Pure: computed from the run document (``app.records.WorkRun``) and the time now. A run
*stalls* when items are left and nothing progressed for ``stall_after_s``: an item finished,
continued or failed a delivery (each moves ``updated_at``). A dead-lettered item, a work function
that cannot start, or a topic without a push subscription all look like that from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["publishing", "running", "stalled", "done", "superseded"]


@dataclass(frozen=True, slots=True)
class RunStatus:
    run_id: str
    origin: str
    state: State
    items_total: int
    items_done: int
    items_failed: int
    """Finished items with at least one failed step (the next full reconcile retries them)."""
    steps_total: int
    applied: int
    failed: int
    skipped: int
    created_at: float
    updated_at: float
    idle_s: float
    """Seconds since the last progress."""

    @property
    def items_left(self) -> int:
        return self.items_total - self.items_done

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "origin": self.origin,
            "state": self.state,
            "items_total": self.items_total,
            "items_done": self.items_done,
            "items_failed": self.items_failed,
            "items_left": self.items_left,
            "steps_total": self.steps_total,
            "applied": self.applied,
            "failed": self.failed,
            "skipped": self.skipped,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "idle_s": round(self.idle_s, 1),
        }

    def describe(self) -> str:
        """One line: ``run R (reconcile): running, 12/40 items done, 1 failed, idle 30 s``."""
        text = (
            f"run {self.run_id} ({self.origin}): {self.state}, "
            f"{self.items_done}/{self.items_total} items done, {self.items_failed} failed; "
            f"{self.applied} applied, {self.failed} failed, {self.skipped} skipped "
            f"of {self.steps_total} steps"
        )
        if self.state in ("running", "stalled", "publishing"):
            text += f"; no progress for {self.idle_s:.0f} s"
        return text


def status(doc: Mapping[str, Any], *, now: float, stall_after_s: float) -> RunStatus:
    """The run's status now. ``stall_after_s``: how long without progress counts as stalled."""
    done: Mapping[str, Mapping[str, int]] = doc.get("done") or {}
    total = int(doc.get("items_total", 0))
    updated = float(doc.get("updated_at", doc.get("created_at", now)))
    state: State = doc.get("status", "running")
    if state not in ("publishing", "running", "done", "superseded"):
        state = "running"
    if state in ("publishing", "running") and len(done) >= total:
        state = "done"
    idle = max(0.0, now - updated)
    if state in ("publishing", "running") and idle > stall_after_s:
        state = "stalled"
    return RunStatus(
        run_id=str(doc.get("run_id", "")),
        origin=str(doc.get("origin", "")),
        state=state,
        items_total=total,
        items_done=len(done),
        items_failed=sum(1 for counts in done.values() if counts.get("failed", 0)),
        steps_total=int(doc.get("steps_total", 0)),
        applied=sum(int(c.get("applied", 0)) for c in done.values()),
        failed=sum(int(c.get("failed", 0)) for c in done.values()),
        skipped=sum(int(c.get("skipped", 0)) for c in done.values()),
        created_at=float(doc.get("created_at", 0.0)),
        updated_at=updated,
        idle_s=idle,
    )
