"""The rolling window: removals and demotions that *events* may apply within any
``window_minutes`` (``safety.max_removals_per_window``), counted across events and instances.

The per-event limit counts one event; a feed that sends a thousand single terminations passes
it a thousand times. The window counts what events applied recently, durably, in one store
document (``safety_window/losses``) read and written atomically (``StateStore.update_doc``: a
Firestore transaction in production), so two instances cannot both take the last slot::

    {"entries": {"<event id>": [at, losses], ...},    admitted plans inside the window
     "tripped_at": 1700000000.0 | None,               when a plan first went over the limit
     "last_held_at": 1700000300.0 | None,             the latest plan the window held
     "held_by": "<event id>", "limit": 20, "window_minutes": 60}

An event's plan is *admitted* before it is applied: its losses are added to the window unless
the window would then exceed the limit. Entries older than the window are pruned on every
write, and the window never holds more than ``limit`` losses, so the document stays small.
A redelivered event keeps its entry (counted once, as its largest plan), so retries and
redeliveries under faults do not eat the budget; a plan whose writes failed for good still
counts (the conservative side).

When a plan would exceed the limit the window **trips**: that plan and every later removal or
demotion plan of an event is held (``approving.gate``), even one that would fit, until either

* an admin approves a plan the window held (``chatsync approve``, or the approval message), or
* the window drains: a full ``window_minutes`` passes in which the window held nothing.

So a bad feed that keeps trickling terminations stays held until someone looks; a legitimate
burst that stops resumes by itself an hour later. Adds and promotions are never counted or held.
Full reconcile runs and ``chatsync apply`` answer to ``max_removals_per_run`` instead; approved
plans were released by a person and are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatsync.app import records
from chatsync.app.ports import StateStore
from chatsync.domain.rules.schema import Safety

KIND, KEY = records.SAFETY_WINDOW, "losses"
"""The store document."""


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether an event's losses may be applied now; if not, why (for the held record)."""

    held: bool
    reason: str = ""
    count: int = 0
    """Losses already applied by events within the window (this plan's not included)."""


def admit(
    doc: Mapping[str, Any] | None, *, run_id: str, losses: int, now: float, limits: Safety
) -> tuple[dict[str, Any], Admission]:
    """Pure: the window document after ``losses`` from event ``run_id`` asked to apply at
    ``now``, and the answer. ``limits.max_removals_per_window`` must be set."""
    limit = limits.max_removals_per_window
    assert limit is not None
    span = limits.window_minutes * 60.0
    state = _pruned(doc, now=now, span=span)
    entries: dict[str, list[float]] = state["entries"]
    mine = entries.get(run_id)
    others = sum(int(n) for key, (_, n) in entries.items() if key != run_id)
    if mine is not None and losses <= int(mine[1]):
        # A redelivery of an admitted event: its losses are counted already.
        return state, Admission(held=False, count=others)
    words = f"max_removals_per_window={limit} (window_minutes={limits.window_minutes})"
    if state["tripped_at"] is not None:
        reason = (
            f"the rolling window is tripped since {_when(state['tripped_at'])}: {words}; "
            "removals and demotions wait for approval until it drains"
        )
    elif others + losses > limit:
        reason = (
            f"{others} removals/demotions applied in the last {limits.window_minutes} minutes "
            f"plus {losses} in this plan exceed {words}"
        )
        state["tripped_at"] = now
        state["held_by"] = run_id
    else:
        entries[run_id] = [now, max(losses, int(mine[1]) if mine else 0)]
        return state, Admission(held=False, count=others)
    state["last_held_at"] = now
    return state, Admission(held=True, reason=reason, count=others)


def reset(doc: Mapping[str, Any] | None, *, now: float, by: str) -> dict[str, Any] | None:
    """Pure: the document with its trip cleared (an admin approved a plan it held)."""
    if doc is None or doc.get("tripped_at") is None:
        return None
    return {**doc, "tripped_at": None, "last_held_at": None, "reset_at": now, "reset_by": by}


def check(
    store: StateStore, *, run_id: str, losses: int, now: float, limits: Safety, record: bool
) -> Admission:
    """Admit an event's plan against the stored window; ``record`` False (a dry run): only ask."""
    if not record:
        return admit(
            store.get_doc(KIND, KEY), run_id=run_id, losses=losses, now=now, limits=limits
        )[1]
    answer: list[Admission] = []

    def change(doc: dict[str, Any] | None) -> dict[str, Any]:
        state, admission = admit(doc, run_id=run_id, losses=losses, now=now, limits=limits)
        answer[:] = [admission]
        limit = limits.max_removals_per_window
        return {**state, "limit": limit, "window_minutes": limits.window_minutes}

    store.update_doc(KIND, KEY, change)
    return answer[0]


def clear_trip(store: StateStore, *, now: float, by: str) -> None:
    store.update_doc(KIND, KEY, lambda doc: reset(doc, now=now, by=by))


def _pruned(doc: Mapping[str, Any] | None, *, now: float, span: float) -> dict[str, Any]:
    doc = doc or {}
    entries = {
        str(key): [float(value[0]), int(value[1])]
        for key, value in dict(doc.get("entries") or {}).items()
        if now - float(value[0]) < span
    }
    tripped = doc.get("tripped_at")
    last = doc.get("last_held_at")
    if tripped is not None and (last is None or now - float(last) >= span):
        tripped = last = None  # drained: a full window held nothing
    return {**doc, "entries": entries, "tripped_at": tripped, "last_held_at": last}


def _when(at: float) -> str:
    return datetime.fromtimestamp(float(at), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
