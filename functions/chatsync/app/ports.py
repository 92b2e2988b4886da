"""The ports: what the use cases need from the edges, as protocols and plain values.

Adapters implement them (``adapters.chat``, ``adapters.directory``, ``adapters.store``,
``adapters.workspace_events``, ``adapters.dead_letters``); tests may pass any object of the same
shape. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from chatsync.domain.model import Email, Membership, Person, Role, SpaceName, SpaceType
from chatsync.domain.snapshot_codec import Snapshot
from chatsync.domain.work_items import WorkMessage

# -- Chat ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    name: SpaceName
    space_type: SpaceType
    display_name: str = ""


class ChatMembers(Protocol):
    def get_space(self, space: SpaceName) -> SpaceInfo: ...

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        """The person's membership (joined or invited) or None."""

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        """Every human membership (joined and invited), paged through; owners only if asked."""

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        """Create a membership (always ROLE_MEMBER: a role is set by patch after create)."""

    def set_role(self, membership: Membership, role: Role) -> Membership: ...

    def remove_member(self, membership: Membership) -> None: ...


# -- Directory ----------------------------------------------------------------------------------


class Directory(Protocol):
    """The Directory reads chatsync makes (Admin SDK Directory API, read-only)."""

    def get_person(self, key: str, *, groups: bool = True) -> Person:
        """The user by email or id, with their account state (``Person.account``) and groups if
        the adapter reads them; PersonNotFound. ``groups=False``: the account alone (no rule names
        a group, so the group reads would decide nothing). Use cases read it through
        ``app.facts``."""

    def groups_of(self, member: str) -> frozenset[Email]:
        """Every group the member belongs to, nested ones included; PersonNotFound."""

    def group_members(self, group: Email) -> frozenset[Email]:
        """Every user in the group, nested groups expanded; PersonNotFound for no such group."""

    def list_people(self, groups: Collection[Email] | None = None) -> list[Person]:
        """Every user of the customer, with their memberships of ``groups`` (nested groups
        expanded); ``None``: of every group of the customer. Adapters retry page by page."""


# -- Workspace Events ---------------------------------------------------------------------------


class WorkspaceEvents(Protocol):
    """Workspace Events API subscriptions to a space's membership events."""

    def find(self, space: SpaceName) -> list[dict[str, Any]]: ...

    def create(self, space: SpaceName, *, topic: str) -> dict[str, Any]: ...

    def renew(self, name: str) -> dict[str, Any]: ...


# -- Preflight (chatsync doctor) ----------------------------------------------------------------


class TokenProbe(Protocol):
    """Token exchanges with the deployment's own credentials, one per credential set."""

    @property
    def static(self) -> bool:
        """Fixed bearer tokens (the emulator): nothing is exchanged."""

    def exchange(self, credential_set: str) -> str | None:
        """Get a token for the set now: None if one was issued, else why not (the error)."""

    def refused(self, credential_set: str) -> tuple[str, ...]:
        """Of the set's scopes, those a token asked for alone is refused for (delegation)."""


class CreatorProbe(Protocol):
    def app_created(self, space: SpaceName) -> bool | None:
        """Whether the Chat app created the space; None: Chat would not say."""

    @property
    def last_error(self) -> str: ...


class DirectoryProbe(Protocol):
    def first_user(self) -> Email | None:
        """One user of the customer (users.list): Directory access works."""

    def groups_of(self, member: str) -> frozenset[Email]: ...


class PubSubInventory(Protocol):
    def missing(self, project: str) -> list[str]:
        """Topics and subscriptions the deployment needs that the project lacks (full names);
        raises ``PermissionError`` when there are no credentials to look."""


# -- Snapshots ----------------------------------------------------------------------------------


class SnapshotSink(Protocol):
    """Where a full reconcile leaves the facts and rosters it read (a bucket object, a file),
    so ``chatsync plan --snapshot`` can review a rules change without tenant credentials."""

    def publish(self, snapshot: Snapshot) -> None:
        """Replace the stored snapshot with ``snapshot``."""


# -- Work items ---------------------------------------------------------------------------------


class WorkQueue(Protocol):
    """Where fanned-out work items go (``adapters.pubsub.PubSubWorkQueue``: the work topic;
    ``app.work_local.InProcessQueue``: handled in this process, for local runs)."""

    def publish(self, messages: Sequence[WorkMessage]) -> None:
        """Publish every message; raise ``RetryableError`` if any could not be."""


# -- Pub/Sub dead letters -----------------------------------------------------------------------


class DeadLetters(Protocol):
    """How many messages wait on a dead-letter subscription (``chatsync status --project``)."""

    def waiting(self, subscription: str) -> int:
        """Messages waiting on ``subscription`` (a short name), without consuming any."""


# -- Notifications ------------------------------------------------------------------------------


class Notifier(Protocol):
    """Posts messages to the admin space as the Chat app (``adapters.chat.messages``)."""

    @property
    def space(self) -> str:
        """The admin space (``spaces/S``); empty: notifications are off."""

    def post(self, text: str, *, key: str) -> str:
        """Create a text message; return its name. The same ``key`` creates one message only
        (a repeat returns the first). Raises ``ChatApiError`` when Chat refuses it."""

    def check(self) -> str:
        """The admin space's display name; ``ChatApiError`` if the app cannot reach it (404:
        the Chat app is not a member, so it cannot post there)."""


class NullNotifier:
    """The ``Notifier`` when no admin space is configured (``CHATSYNC_ADMIN_SPACE`` unset)."""

    space = ""

    def post(self, text: str, *, key: str) -> str:
        return ""

    def check(self) -> str:
        return ""


# -- State --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watermark:
    """The newest event applied for a person: later events may pass, older ones may not."""

    occurred_at: float
    """Seconds since the epoch."""
    sequence: int | None = None
    event_id: str = ""

    def is_newer_than(self, other: Watermark) -> bool:
        """True if an event at ``self`` may be applied after ``other`` was (equal is not newer)."""
        if self.sequence is not None and other.sequence is not None:
            return self.sequence > other.sequence
        return self.occurred_at > other.occurred_at


INTENT = "intent"
"""``AuditEntry.outcome`` of the line written *before* a write is sent (see ``journal``)."""

UNCONFIRMED = "unconfirmed"
"""What the trail shows for an intent that no outcome followed: the write was in flight when
the run stopped (killed, crashed, or still running); it may or may not have landed."""

FAILED = ("failed_retryable", "failed_permanent")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One applied (or attempted) change, durable and queryable by person, space and run.

    Each write is journaled twice as it happens: an ``intent`` line before the call, then the
    outcome line after it, both under the same ``op_id``. ``journal`` folds them back into one
    entry per change, so a run that died mid-way still shows what it had sent.
    """

    run_id: str
    at: float
    space: str
    email: str
    action: str  # add | promote | demote | remove
    before: str | None
    after: str | None
    outcome: str
    membership: str = ""
    event_id: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)
    op_id: str = ""
    """Links an operation's intent and outcome lines (empty in entries written before both
    were journaled)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(**{**data, "reasons": tuple(data.get("reasons") or ())})


def journal(rows: Sequence[AuditEntry]) -> list[AuditEntry]:
    """The audit trail from the stored lines, oldest first: per ``op_id`` the outcome line
    replaces its intent; an intent with no outcome is shown as ``unconfirmed``; a failed
    write (nothing changed) is left out, as it always was. Stores call it in ``audit``."""
    last: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row.op_id:
            last[row.op_id] = index
    trail = []
    for index, row in enumerate(rows):
        if row.op_id and last[row.op_id] != index:
            continue
        if row.outcome in FAILED:
            continue
        trail.append(replace(row, outcome=UNCONFIRMED) if row.outcome == INTENT else row)
    return trail


class StateStore(Protocol):
    def is_processed(self, event_id: str) -> bool: ...

    def mark_processed(self, event_id: str, at: float) -> None: ...

    def get_watermark(self, person: str) -> Watermark | None: ...

    def advance_watermark(self, person: str, mark: Watermark) -> bool:
        """Store ``mark`` if it is newer than the stored one; return whether it was."""

    def record(self, entries: Sequence[AuditEntry]) -> None:
        """Append lines to the trail, durably, before returning (the executor journals each
        write's intent and outcome through it as they happen)."""

    def audit(
        self, *, person: str | None = None, space: str | None = None, run: str | None = None
    ) -> list[AuditEntry]:
        """The trail (``journal`` of the stored lines) oldest first, filtered by any of person,
        space, run."""

    def put_doc(self, kind: str, key: str, data: dict[str, Any]) -> None: ...

    def put_docs(self, kind: str, docs: Mapping[str, dict[str, Any]]) -> None:
        """Many ``put_doc`` at once (one transaction or batch where the backend has them)."""

    def update_doc(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> None:
        """Read-modify-write one document atomically (a transaction where the backend has them).

        ``change`` gets the stored data (None: no such document) and returns the data to store,
        or None to leave it as it is. It may run more than once (Firestore retries a contended
        transaction), so it must depend on its argument only.
        """

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]: ...
