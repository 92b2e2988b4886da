"""Every kind of document chatsync keeps in the store, in one place: its name and its shape.

The store (``adapters.store``: memory, sqlite, Firestore) keeps schemaless documents by
``(kind, key)``; these constants are the only spelling of a kind, and each ``TypedDict`` below
is the shape written under it. Watermarks, processed event ids and the audit trail have their
own methods on the store and are not documents.
"""

from __future__ import annotations

from typing import Any, TypedDict

from chatsync.domain import holding

PERSON_FACTS = "person_facts"
"""Key: the HR event id. The person snapshot an applied HR event carried (``PersonFacts``)."""

HR_STATUS = "hr_status"
"""Key: email. The employment status of the person's latest applied HR event (``HrStatus``)."""

DEFERRED = "deferred"
"""Key: the event id. A future-dated HR event, applied by the reconcile when due."""

DRIFT = "drift"
"""Key: the Chat event id. A manual change reported, not reverted (``DriftReport``)."""

HELD_PLANS = holding.KIND
"""Key: the plan id. A plan held by a safety limit (shape: ``domain.holding``)."""

PRESENCE = "presence"
"""Key: email. The managed spaces a person was last seen in (``PresenceRecord``)."""

LEASE = "lease"
"""Key: email. Which instance applies this person's events now (``Lease``)."""

SAFETY_WINDOW = "safety_window"
"""Key: ``losses``. The rolling window of removals and demotions (shape: ``app.window``)."""

DROPPED = "dropped"
"""Key: the Pub/Sub message id. A message acked as a permanent error (``DroppedMessage``)."""

WORK_RUNS = "work_runs"
"""Key: the run id. A fanned-out run: its items and which are done (``WorkRun``)."""

WORK_ITEMS = "work_items"
"""Key: the item id (``<run id>/<index>``). One work item's progress (``WorkItemProgress``)."""

WORK_OPEN = "work_open"
"""Key: ``runs``. The ids of the runs not yet done or superseded (``OpenRuns``), so a tick
checks those without listing every run ever made."""

KINDS = (
    PERSON_FACTS,
    HR_STATUS,
    DEFERRED,
    DRIFT,
    HELD_PLANS,
    PRESENCE,
    LEASE,
    SAFETY_WINDOW,
    DROPPED,
    WORK_RUNS,
    WORK_ITEMS,
    WORK_OPEN,
)


class PersonFacts(TypedDict, total=False):
    """``domain.person_codec.to_dict``: the fields of ``model.Person``, JSON-ready."""

    email: str
    employment_status: str
    groups: list[str]
    custom: dict[str, Any]


class HrStatus(TypedDict):
    status: str
    """``EmploymentStatus`` value."""
    event_id: str


class DeferredEvent(TypedDict, total=False):
    due: float
    """Seconds since the epoch when the event takes effect."""
    email: str
    event_type: str
    person: PersonFacts
    occurred_at: float
    sequence: int | None
    applied_at: float
    """Set once the reconcile applied it."""


class DriftReport(TypedDict):
    at: float
    space: str
    person: str
    change: str
    """``created`` / ``updated`` / ``deleted``."""
    membership: str
    operations: list[dict[str, Any]]
    """``rendering.op_json`` of each change that would revert it."""
    why_not_reverted: str


class PresenceRecord(TypedDict):
    present: list[str]
    checked: list[str]


class Lease(TypedDict):
    holder: str
    """``<instance>:<event id>``; empty once released."""
    until: float


class DroppedMessage(TypedDict):
    entry_point: str
    error: str
    error_type: str


class ItemCounts(TypedDict):
    applied: int
    failed: int
    skipped: int


class WorkRun(TypedDict, total=False):
    run_id: str
    origin: str
    """``reconcile`` or ``group``: who fanned it out."""
    status: str
    """``publishing`` -> ``running`` -> ``done``; or ``superseded`` (a newer run took over)."""
    created_at: float
    updated_at: float
    """The last progress: an item finished, continued or failed a delivery."""
    finished_at: float
    items_total: int
    steps_total: int
    """Operations (``ops`` items) or people (``people`` items) in all items."""
    done: dict[str, ItemCounts]
    """Item index (as text) -> its final counts, once it finished."""
    stall_reported_at: float
    superseded_by: str


class WorkItemProgress(TypedDict, total=False):
    run_id: str
    index: int
    size: int
    cursor: int
    """Steps done: the next delivery starts here."""
    applied: int
    failed: int
    skipped: int
    status: str
    """``running`` or ``done``."""
    holder: str
    """``<instance>:<event id>`` of the delivery working on it; empty when none is."""
    until: float
    """When the holder's claim lapses if it died."""
    invocations: int
    updated_at: float


class OpenRuns(TypedDict):
    runs: list[str]
