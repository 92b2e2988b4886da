"""What applying a plan produced: one ``OpResult`` per operation in a ``Report``.

The executor (``app.executing``) builds them; every use case, the recorder and the CLI read
them. ``Report.retryable_failures`` is what is still to do (failed retryably, or not attempted
because the run was stopped): the function hands such an event back to Pub/Sub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from chatsync.domain.model import Email, Role, SpaceName
from chatsync.domain.planning import Operation, Skipped


class Outcome(Enum):
    APPLIED = "applied"
    DRY_RUN = "dry_run"
    FAILED_RETRYABLE = "failed_retryable"
    FAILED_PERMANENT = "failed_permanent"
    INTERRUPTED = "interrupted"
    """Not attempted: the run was stopped (Ctrl-C) before this operation started."""


@dataclass(frozen=True, slots=True)
class OpResult:
    op: Operation
    outcome: Outcome
    attempts: int = 1
    detail: str = ""
    before: Role | None = None
    after: Role | None = None
    unreachable: int = 0
    """403 or 404 when Chat refused the space itself (``SpaceUnreachable``); else 0."""
    http_status: int | None = None
    """The HTTP status of the Chat answer that failed it (0: no answer), None if none failed."""

    @property
    def space(self) -> SpaceName:
        return self.op.space

    @property
    def email(self) -> Email:
        return self.op.email


class Note(Enum):
    """Why a delivery applied nothing of its own."""

    DUPLICATE = "duplicate"
    STALE = "stale"
    DEFERRED = "deferred"
    ALREADY_APPLIED = "already_applied"
    FANNED_OUT = "fanned_out"
    """Published as work items (``app.fanout``): other invocations apply the changes."""


@dataclass(frozen=True, slots=True)
class Report:
    results: tuple[OpResult, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    retries: int = 0
    note: Note | None = None
    """Why the event changed nothing of its own (duplicate, stale, deferred...), if so."""
    held: str | None = None
    """The plan id, when a safety limit held the plan instead of applying it."""
    drift: str | None = None
    """For a Chat membership event: ``none``, ``reported`` or ``reverted``."""
    subscriptions: Mapping[str, int] | None = None
    """For a renewal: subscriptions created / renewed / kept / suspended / failed."""
    broken: tuple[str, ...] = ()
    """Managed spaces Chat answered 403/404 for: skipped, logged and recorded (app.broken)."""

    @property
    def extra(self) -> dict[str, object]:
        """The notes above that are set, by name (log lines and ``--json`` output)."""
        found: dict[str, object] = {}
        if self.note is not None:
            found[self.note.value] = True
        if self.held is not None:
            found["held"] = self.held
        if self.drift is not None:
            found["drift"] = self.drift
        if self.subscriptions is not None:
            found["subscriptions"] = dict(self.subscriptions)
        if self.broken:
            found["broken_spaces"] = list(self.broken)
        return found

    @property
    def retryable_failures(self) -> tuple[OpResult, ...]:
        """What is still to do and may succeed later: failed retryably, or not attempted
        because the run was stopped (a held plan approved then interrupted is not done)."""
        return tuple(
            r for r in self.results if r.outcome in (Outcome.FAILED_RETRYABLE, Outcome.INTERRUPTED)
        )

    @property
    def permanent_failures(self) -> tuple[OpResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED_PERMANENT)

    def summary(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        counts["skipped"] = len(self.skipped)
        counts["retries"] = self.retries
        counts["broken_spaces"] = len(self.broken)
        return counts

    def merge(self, other: Report) -> Report:
        return Report(
            self.results + other.results,
            self.skipped + other.skipped,
            self.retries + other.retries,
            other.note or self.note,
            other.held or self.held,
            other.drift or self.drift,
            other.subscriptions or self.subscriptions,
            tuple(sorted({*self.broken, *other.broken})),
        )
