"""Every kind of document chatsync keeps in the store, in one place: its name and its shape.

The store (``adapters.store``: memory, sqlite, Firestore) keeps schemaless documents by
``(kind, key)``; these constants are the only spelling of a kind, and each ``TypedDict`` below
is the shape written under it. Watermarks, processed event ids and the audit trail have their
own methods on the store and are not documents.

Short-lived documents carry ``expires_at`` (seconds since the epoch, set with ``expiring``): the
Firestore adapter also writes it as a top-level timestamp, the field of the Firestore TTL policy
(Terraform), so Firestore deletes them, typically within a day after that time
(cloud.google.com/firestore/docs/ttl). Code never relies on the deletion: each kind is ignored or
superseded once it no longer matters. Kinds without a TTL are kept until the code replaces them.
The rolling window's entries live inside one document (``safety_window``) that must not expire
(it holds the tripped state); the code prunes its entries on every write.
"""

from __future__ import annotations

from typing import Any, TypedDict

from chatsync.domain import holding

HR_SNAPSHOT = "hr_snapshot"
"""Key: email. The latest HR event applied for the person: its snapshot and where it stands in
the person's order (``HrSnapshot``; ``app.hr_snapshots``)."""

GROUP_CHANGES = "group_changes"
"""Key: the member's email. The latest change of each of their group memberships, ordered per
(group, member) by when it happened (``GroupChanges``; ``app.group_changes``)."""

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

BROKEN_SPACES = "broken_spaces"
"""Key: the space name. A managed space Chat answered 403/404 for (``BrokenSpace``), kept for
the reconcile and ``chatsync doctor`` until a reconcile applies the space again."""

DAY = 86400.0
PROCESSED_TTL = 8 * DAY
"""Processed event ids: Pub/Sub retains and redelivers a message for at most 7 days."""
TTL: dict[str, float] = {
    LEASE: 1 * DAY,
    DEFERRED: 30 * DAY,
    DROPPED: 30 * DAY,
    WORK_ITEMS: 30 * DAY,
    WORK_RUNS: 30 * DAY,
    WORK_OPEN: 30 * DAY,
}
"""Seconds each short-lived kind is kept after its last write (deferred: after it was applied;
a pending deferred event never expires). Leases matter for ``leasing.TTL`` seconds. HR
snapshots and group changes never expire: they are a person's facts and the order of their
group memberships."""

NOTIFICATIONS = "notifications"
"""Key: the notice key (``domain.notices``). A message posted to the admin space
(``Notification``): a key found here is never posted again."""

RUNS = "runs"
"""Key: the run id. A full reconcile that finished, with its counts, or a CLI run that started
applying and whether it got to its end (``RunRecord``)."""

KINDS = (
    HR_SNAPSHOT,
    GROUP_CHANGES,
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
    BROKEN_SPACES,
    NOTIFICATIONS,
    RUNS,
)


def expiring(kind: str, data: dict[str, Any], *, now: float) -> dict[str, Any]:
    """``data`` with ``expires_at`` = ``now`` + the kind's TTL (``data`` as is for other kinds)."""
    ttl = TTL.get(kind)
    return data if ttl is None else {**data, "expires_at": now + ttl}


class PersonFacts(TypedDict, total=False):
    """``domain.person_codec.to_dict``: the fields of ``model.Person``, JSON-ready."""

    email: str
    employment_status: str
    groups: list[str]
    custom: dict[str, Any]


class HrSnapshot(TypedDict):
    person: PersonFacts
    event_id: str
    occurred_at: float
    """Seconds since the epoch: when the HR system recorded the change (the as-of time)."""
    sequence: int | None
    recorded_at: float
    """When chatsync stored it."""


class GroupChange(TypedDict):
    group: str
    added: bool
    """False: the member left the group."""
    occurred_at: float
    """When it happened: the order per (group, member)."""
    event_id: str
    received_at: float
    """When chatsync received it (it outranks the Directory for ``group_changes_hours``)."""


class GroupChanges(TypedDict):
    member: str
    changes: list[GroupChange]
    """One per group: the latest."""


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
    expires_at: float
    """Set with ``applied_at``: a pending event never expires."""


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


class Lease(TypedDict, total=False):
    holder: str
    """``<instance>:<event id>``; empty once released."""
    until: float
    expires_at: float


class DroppedMessage(TypedDict, total=False):
    entry_point: str
    error: str
    error_type: str
    expires_at: float
    at: float
    """When it was dropped (records written before this field have none)."""
    http_status: int
    """For a Chat error: the HTTP status."""
    space: str
    """For a Chat error: the space the call was about."""


class BrokenSpace(TypedDict, total=False):
    space: str
    status: int
    """403 or 404: what Chat last answered."""
    error: str
    fix: str
    """What the admin must do, in the deployment's auth mode."""
    first_seen: float
    last_seen: float
    count: int
    """Events and runs that found the space unreachable."""
    pending: list[str]
    """People whose changes there wait for the reconcile (the newest, at most 200)."""
    runs: list[str]
    """Event ids / run ids that met it (the newest, at most 20)."""


class Notification(TypedDict):
    at: float
    notice: str
    """``domain.notices.KINDS``."""
    space: str
    """The admin space it was posted to."""
    message: str
    """The Chat message name (``spaces/S/messages/M``)."""


class RunRecord(TypedDict, total=False):
    """Written by ``app.reconciling.finished`` for a reconcile, and by ``app.runs`` when a CLI
    run starts applying and again when it ends."""

    kind: str
    """``reconcile``, ``reconcile_spaces``; for a CLI run its command (``apply``, ``revert``,
    ``approve``, ``reconcile``)."""
    started_at: float
    finished_at: float
    dry_run: bool
    held: str | None
    """The plan id when a safety limit held the run's plan."""
    counts: dict[str, int]
    """``Report.summary()``: applied, failed_retryable, failed_permanent, skipped, ..."""
    status: str
    """CLI runs: ``running``, ``done``, ``interrupted`` (stopped by Ctrl-C) or ``failed``."""
    pid: int
    """The process that applies it, on ``host``: a ``running`` run whose process is gone was
    killed (``chatsync audit`` shows it as interrupted)."""
    host: str
    operations: int
    """Changes in the plan it set out to apply."""


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
    started_at: float
    """When the run began (for a reconcile: its survey)."""
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
