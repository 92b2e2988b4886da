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

RUNS = "runs"
"""Key: the run id. A run the CLI started (``RunRecord``): whether it finished or was stopped."""

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
    RUNS,
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


class RunRecord(TypedDict, total=False):
    """``app.runs``: written when a CLI run starts applying and again when it ends."""

    command: str
    """``reconcile``, ``apply``, ``revert``, ``approve``."""
    status: str
    """``running``, ``done``, ``interrupted`` (stopped by Ctrl-C) or ``failed`` (an error)."""
    started_at: float
    finished_at: float
    pid: int
    """The process that applies it, on ``host``: a ``running`` run whose process is gone
    crashed (``chatsync audit`` shows it as interrupted)."""
    host: str
    operations: int
    summary: dict[str, int]
    """``Report.summary()`` once it ended."""
