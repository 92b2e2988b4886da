"""Apply a plan through the Chat port: bounded retries, Retry-After honoured, one outcome per op.

``apply`` never raises for an operation that fails: it returns a ``Report``. The caller (the
pipeline) raises one ``RetryableError`` afterwards if any retryable failure remains, and the next
delivery re-plans from fresh state, so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

from chatsync.app.ports import ChatMembers
from chatsync.app.retrying import RetryPolicy, retry
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Role, SpaceName
from chatsync.domain.planning import AddMember, ChangeRole, Operation, Plan, RemoveMember, Skipped

PARALLEL_MIN_OPS = 8
"""Below this many operations a plan runs on the calling thread: threads would cost more than
they save (and each new thread builds its own HTTP client)."""


class Outcome(Enum):
    APPLIED = "applied"
    DRY_RUN = "dry_run"
    FAILED_RETRYABLE = "failed_retryable"
    FAILED_PERMANENT = "failed_permanent"


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
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED_RETRYABLE)

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


def describe(op: Operation) -> str:
    """One line a person reads: what the operation does (the operation owns its wording)."""
    return op.describe()


def before_after(op: Operation) -> tuple[Role | None, Role | None]:
    return op.before, op.after


class Executor:
    """Runs a plan against one Chat port; spaces side by side, each space's steps in order.

    Operations are grouped into one lane per space, kept in plan order (add before promote, a new
    owner before the old one steps down). With ``workers`` above 1, lanes run concurrently on a
    bounded thread pool, so the quota is spread across spaces instead of waiting on one: the rate
    itself is the Chat port's business (``ratelimit.RateLimitedChat`` shares one bucket between
    the threads). A failed step stops the later steps of its space only. ``on_result`` is called
    once per operation, in plan order, never from two threads at once.
    """

    def __init__(
        self,
        chat: ChatMembers,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        dry_run: bool = False,
        on_result: Callable[[OpResult], None] | None = None,
        workers: int = 1,
        parallel_min_ops: int = PARALLEL_MIN_OPS,
    ) -> None:
        if workers < 1:
            msg = f"workers must be at least 1, got {workers}"
            raise ValueError(msg)
        self.chat = chat
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.dry_run = dry_run
        self.on_result = on_result
        self.workers = workers
        self.parallel_min_ops = parallel_min_ops

    def apply(self, plan: Plan) -> Report:
        ops = plan.operations
        slots: list[OpResult | None] = [None] * len(ops)
        emit = _InOrder(slots, self.on_result)
        lanes: dict[SpaceName, list[int]] = {}
        for index, op in enumerate(ops):
            lanes.setdefault(op.space, []).append(index)
        # Longest lanes first: the one big space must not be the last to start.
        ordered = sorted(lanes.values(), key=len, reverse=True)
        parallel = (
            self.workers > 1
            and len(lanes) > 1
            and len(ops) >= self.parallel_min_ops
            and not self.dry_run
        )
        if parallel:
            threads = min(self.workers, len(lanes))
            with ThreadPoolExecutor(threads, thread_name_prefix="chatsync-apply") as pool:
                running = [pool.submit(self._lane, ops, lane, emit) for lane in ordered]
                for future in running:
                    future.result()
        else:
            failed: dict[SpaceName, OpResult] = {}
            for index, op in enumerate(ops):
                emit(index, self._step(op, stopped=failed.get(op.space)))
                result = slots[index]
                if _failed(result) and op.space not in failed:
                    assert result is not None
                    failed[op.space] = result
        results = tuple(r for r in slots if r is not None)
        retries = sum(max(0, r.attempts - 1) for r in results)
        return Report(results, plan.skipped, retries)

    def _lane(
        self, ops: Sequence[Operation], lane: Sequence[int], emit: Callable[[int, OpResult], None]
    ) -> None:
        stopped: OpResult | None = None
        for index in lane:
            result = self._step(ops[index], stopped=stopped)
            if stopped is None and _failed(result):
                stopped = result
            emit(index, result)

    def _step(self, op: Operation, *, stopped: OpResult | None) -> OpResult:
        before, after = before_after(op)
        if stopped is not None and stopped.unreachable:
            # Chat refused the space itself: nothing more can land there now. Recorded for
            # the reconcile (app.broken), not retried by redelivery.
            return OpResult(
                op,
                Outcome.FAILED_PERMANENT,
                0,
                f"not attempted: Chat answered {stopped.unreachable} for {op.space}",
                before,
                after,
                unreachable=stopped.unreachable,
            )
        if stopped is not None:
            # Later steps of a space depend on earlier ones (add before promote, new owner
            # before the old one steps down): stop that space, the next delivery resumes it.
            return OpResult(
                op,
                Outcome.FAILED_RETRYABLE,
                0,
                "not attempted: an earlier step in this space failed",
                before,
                after,
            )
        if self.dry_run:
            return OpResult(op, Outcome.DRY_RUN, 0, "", before, after)
        return self._run(op, before, after)

    def _run(self, op: Operation, before: Role | None, after: Role | None) -> OpResult:
        attempts = [0]
        progress: list[Membership] = []
        try:
            outcome, detail = retry(
                lambda: self._once(op, progress),
                policy=self.policy,
                sleep=self.sleep,
                rng=self.rng,
                on_attempt=lambda n: attempts.__setitem__(0, n),
            )
            return OpResult(op, outcome, attempts[0], detail, before, after)
        except errors.RetryableError as exc:
            return OpResult(
                op,
                Outcome.FAILED_RETRYABLE,
                attempts[0],
                str(exc),
                before,
                after,
                http_status=_status(exc),
            )
        except errors.SpaceUnreachable as exc:
            return OpResult(
                op,
                Outcome.FAILED_PERMANENT,
                attempts[0],
                str(exc),
                before,
                after,
                unreachable=exc.status,
                http_status=exc.status,
            )
        except errors.PermanentError as exc:
            return OpResult(
                op,
                Outcome.FAILED_PERMANENT,
                attempts[0],
                str(exc),
                before,
                after,
                http_status=_status(exc),
            )

    def _once(self, op: Operation, progress: list[Membership]) -> tuple[Outcome, str]:
        """One try at *op*. *progress* keeps a created membership across tries, so a retry after
        a failed role patch patches again instead of creating again."""
        if isinstance(op, AddMember):
            if not progress:
                progress.append(self.chat.add_member(op.space, op.email))
            membership = progress[0]
            if membership.role != op.role:
                self.chat.set_role(membership, op.role)
            return Outcome.APPLIED, membership.name
        if isinstance(op, ChangeRole):
            current = Membership(space=op.space, email=op.email, role=op.old, name=op.name)
            self.chat.set_role(current, op.new)
            return Outcome.APPLIED, op.name
        assert isinstance(op, RemoveMember)
        self.chat.remove_member(
            Membership(space=op.space, email=op.email, role=op.old, name=op.name)
        )
        return Outcome.APPLIED, op.name


def _status(exc: errors.SyncError) -> int | None:
    return exc.status if isinstance(exc, errors.ChatApiError) else None


def _failed(result: OpResult | None) -> bool:
    return result is not None and result.outcome in (
        Outcome.FAILED_RETRYABLE,
        Outcome.FAILED_PERMANENT,
    )


class _InOrder:
    """Stores each result in its slot and passes results to *callback* in plan order."""

    def __init__(
        self, slots: list[OpResult | None], callback: Callable[[OpResult], None] | None
    ) -> None:
        self._slots = slots
        self._callback = callback
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, index: int, result: OpResult) -> None:
        with self._lock:
            self._slots[index] = result
            while self._next < len(self._slots):
                ready = self._slots[self._next]
                if ready is None:
                    break
                self._next += 1
                if self._callback is not None:
                    self._callback(ready)
