"""Apply a plan through the Chat port: bounded retries, Retry-After honoured, one outcome per op.

``apply`` never raises for an operation that fails: it returns a ``Report``. The caller (the
pipeline) raises one ``RetryableError`` afterwards if any retryable failure remains, and the next
delivery re-plans from fresh state, so nothing is lost and nothing is done twice.

Each write is journaled as it happens, not after the plan: ``Journal.intent`` before the call
is sent, ``Journal.outcome`` as soon as it is answered, from the thread that made it. A run
that is killed half-way therefore leaves every write it sent in the audit trail. A ``stop``
flag (``Controls``) is checked before each operation: once it is set no new call starts, the
calls in flight finish (and are journaled), and the rest are reported ``interrupted``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from chatsync.app.lanes import Lanes
from chatsync.app.ports import ChatMembers
from chatsync.app.reports import Note, OpResult, Outcome, Report
from chatsync.app.retrying import RetryPolicy, retry
from chatsync.domain import errors
from chatsync.domain.model import Membership, Role, SpaceName
from chatsync.domain.planning import AddMember, ChangeRole, Operation, Plan, RemoveMember

__all__ = [
    "PARALLEL_MIN_OPS",
    "Controls",
    "Executor",
    "Journal",
    "Note",
    "OpResult",
    "Outcome",
    "Report",
    "before_after",
    "describe",
]
"""``Note``, ``OpResult``, ``Outcome`` and ``Report`` live in ``app.reports``; they are named here
too, where callers have always imported them from."""

PARALLEL_MIN_OPS = 8
"""Below this many operations a plan runs on the calling thread: threads would cost more than
they save (and each new thread builds its own HTTP client)."""


class Journal(Protocol):
    """Told of each write as it happens (``app.recording.Recorder`` stores both at once).

    ``index`` is the operation's position in the plan: it pairs an intent with its outcome.
    Called from the thread that makes the call; an exception stops the run (no new call
    starts), because a write that cannot be journaled could not be reverted.
    """

    def intent(self, index: int, op: Operation) -> None: ...

    def outcome(self, index: int, result: OpResult) -> None: ...


@dataclass(frozen=True, slots=True)
class Controls:
    """How a caller steers and watches an apply (the CLI: Ctrl-C and a progress bar)."""

    stop: threading.Event | None = None
    """Set it to stop: no operation starts after, those in flight finish (no retry after)."""
    watch: Callable[[OpResult], None] | None = None
    """Told of each result as soon as it is known, from the thread that produced it."""


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
        lanes: Lanes | None = None,
        journal: Journal | None = None,
        controls: Controls | None = None,
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
        self.lanes = lanes
        """Kept threads (``app.lanes``): with them even a small plan's spaces go side by side,
        since no thread or HTTP client is built for it."""
        self.journal = journal
        self.controls = controls or Controls()

    def apply(self, plan: Plan) -> Report:
        ops = plan.operations
        slots: list[OpResult | None] = [None] * len(ops)
        emit = _InOrder(slots, self.on_result, self.controls.watch)
        # Set by the caller's stop flag, or by a lane that failed to journal: no new call.
        halt = threading.Event()
        lanes: dict[SpaceName, list[int]] = {}
        for index, op in enumerate(ops):
            lanes.setdefault(op.space, []).append(index)
        # Longest lanes first: the one big space must not be the last to start.
        ordered = sorted(lanes.values(), key=len, reverse=True)
        parallel = (
            self.workers > 1
            and len(lanes) > 1
            and (len(ops) >= self.parallel_min_ops or self.lanes is not None)
            and not self.dry_run
        )
        if parallel and self.lanes is not None:
            try:
                self.lanes.map(lambda lane: self._lane(ops, lane, emit, halt), ordered)
            except BaseException:
                halt.set()  # the other lanes start nothing new
                raise
        elif parallel:
            threads = min(self.workers, len(lanes))
            with ThreadPoolExecutor(threads, thread_name_prefix="chatsync-apply") as pool:
                running = [pool.submit(self._lane, ops, lane, emit, halt) for lane in ordered]
                try:
                    for future in running:
                        future.result()
                except BaseException:
                    # KeyboardInterrupt included: leaving the pool waits for every lane, so
                    # the lanes must start nothing new, or they would run the plan to its end.
                    halt.set()
                    raise
        else:
            failed: dict[SpaceName, OpResult] = {}
            for index, op in enumerate(ops):
                emit(index, self._step(index, op, stopped=failed.get(op.space), halt=halt))
                result = slots[index]
                if _failed(result) and op.space not in failed:
                    assert result is not None
                    failed[op.space] = result
        results = tuple(r for r in slots if r is not None)
        retries = sum(max(0, r.attempts - 1) for r in results)
        return Report(results, plan.skipped, retries)

    def _lane(
        self,
        ops: Sequence[Operation],
        lane: Sequence[int],
        emit: Callable[[int, OpResult], None],
        halt: threading.Event,
    ) -> None:
        stopped: OpResult | None = None
        try:
            for index in lane:
                result = self._step(index, ops[index], stopped=stopped, halt=halt)
                if stopped is None and _failed(result):
                    stopped = result
                emit(index, result)
        except BaseException:
            halt.set()  # the other lanes start nothing new; the error propagates from apply
            raise

    def _halted(self, halt: threading.Event) -> bool:
        stop = self.controls.stop
        return halt.is_set() or (stop is not None and stop.is_set())

    def _step(
        self, index: int, op: Operation, *, stopped: OpResult | None, halt: threading.Event
    ) -> OpResult:
        before, after = before_after(op)
        if self._halted(halt):
            return OpResult(
                op, Outcome.INTERRUPTED, 0, "not attempted: the run was stopped", before, after
            )
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
        if self.journal is not None:
            self.journal.intent(index, op)
        result = self._run(op, before, after, halt)
        if self.journal is not None:
            self.journal.outcome(index, result)
        return result

    def _run(
        self, op: Operation, before: Role | None, after: Role | None, halt: threading.Event
    ) -> OpResult:
        attempts = [0]
        progress: list[Membership] = []
        try:
            outcome, detail = retry(
                lambda: self._once(op, progress),
                policy=self.policy,
                sleep=self.sleep,
                rng=self.rng,
                on_attempt=lambda n: attempts.__setitem__(0, n),
                stopped=lambda: self._halted(halt),
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
    """Stores each result in its slot and passes results to *callback* in plan order (and to
    *watch* at once)."""

    def __init__(
        self,
        slots: list[OpResult | None],
        callback: Callable[[OpResult], None] | None,
        watch: Callable[[OpResult], None] | None = None,
    ) -> None:
        self._slots = slots
        self._callback = callback
        self._watch = watch
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, index: int, result: OpResult) -> None:
        if self._watch is not None:
            self._watch(result)
        with self._lock:
            self._slots[index] = result
            while self._next < len(self._slots):
                ready = self._slots[self._next]
                if ready is None:
                    break
                self._next += 1
                if self._callback is not None:
                    self._callback(ready)
