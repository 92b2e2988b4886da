"""Apply a plan through the Chat port: bounded retries, Retry-After honoured, one outcome per op.

``apply`` never raises for an operation that fails: it returns a ``Report``. The caller (the
pipeline) raises one ``RetryableError`` afterwards if any retryable failure remains, and the next
delivery re-plans from fresh state, so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from chatsync import errors
from chatsync.chat.port import ChatMembers
from chatsync.model import Email, Membership, Role, SpaceName
from chatsync.planning import AddMember, ChangeRole, Operation, Plan, RemoveMember, Skipped


class Outcome(Enum):
    APPLIED = "applied"
    ALREADY_DONE = "already_done"
    DRY_RUN = "dry_run"
    FAILED_RETRYABLE = "failed_retryable"
    FAILED_PERMANENT = "failed_permanent"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    """Seconds before the second attempt; doubles each time, with full jitter."""
    max_delay: float = 20.0

    def delay(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        jittered = rng.uniform(backoff / 2, backoff)
        return min(self.max_delay, max(hint or 0.0, jittered))


@dataclass(frozen=True, slots=True)
class OpResult:
    op: Operation
    outcome: Outcome
    attempts: int = 1
    detail: str = ""
    before: Role | None = None
    after: Role | None = None

    @property
    def space(self) -> SpaceName:
        return self.op.space

    @property
    def email(self) -> Email:
        return self.op.email


@dataclass(frozen=True, slots=True)
class Report:
    results: tuple[OpResult, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    retries: int = 0
    extra: dict[str, object] = field(default_factory=dict)

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
        return counts

    def merge(self, other: Report) -> Report:
        return Report(
            self.results + other.results,
            self.skipped + other.skipped,
            self.retries + other.retries,
            {**self.extra, **other.extra},
        )


def describe(op: Operation) -> str:
    if isinstance(op, AddMember):
        return f"add {op.email} to {op.space} as {op.role.value}"
    if isinstance(op, ChangeRole):
        verb = "promote" if op.new > op.old else "demote"
        return f"{verb} {op.email} in {op.space}: {op.old.value} -> {op.new.value}"
    return f"remove {op.email} from {op.space} (was {op.old.value})"


def before_after(op: Operation) -> tuple[Role | None, Role | None]:
    if isinstance(op, AddMember):
        return None, op.role
    if isinstance(op, ChangeRole):
        return op.old, op.new
    return op.old, None


class Executor:
    """Runs operations in plan order against one Chat port."""

    def __init__(
        self,
        chat: ChatMembers,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        dry_run: bool = False,
        on_result: Callable[[OpResult], None] | None = None,
    ) -> None:
        self.chat = chat
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.dry_run = dry_run
        self.on_result = on_result

    def apply(self, plan: Plan) -> Report:
        results = []
        retries = 0
        failed_spaces: set[SpaceName] = set()
        for op in plan.operations:
            before, after = before_after(op)
            if op.space in failed_spaces:
                # Later steps of a space depend on earlier ones (add before promote, new owner
                # before the old one steps down): stop that space, the next delivery resumes it.
                result = OpResult(
                    op,
                    Outcome.FAILED_RETRYABLE,
                    0,
                    "not attempted: an earlier step in this space failed",
                    before,
                    after,
                )
            elif self.dry_run:
                result = OpResult(op, Outcome.DRY_RUN, 0, "", before, after)
            else:
                result = self._run(op, before, after)
                retries += max(0, result.attempts - 1)
                if result.outcome in (Outcome.FAILED_RETRYABLE, Outcome.FAILED_PERMANENT):
                    failed_spaces.add(op.space)
            results.append(result)
            if self.on_result is not None:
                self.on_result(result)
        return Report(tuple(results), plan.skipped, retries)

    def _run(self, op: Operation, before: Role | None, after: Role | None) -> OpResult:
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome, detail = self._once(op)
                return OpResult(op, outcome, attempt, detail, before, after)
            except errors.RetryableError as exc:
                if attempt >= self.policy.max_attempts:
                    return OpResult(op, Outcome.FAILED_RETRYABLE, attempt, str(exc), before, after)
                self.sleep(self.policy.delay(attempt, exc.delay, self.rng))
            except errors.PermanentError as exc:
                return OpResult(op, Outcome.FAILED_PERMANENT, attempt, str(exc), before, after)

    def _once(self, op: Operation) -> tuple[Outcome, str]:
        if isinstance(op, AddMember):
            membership = self.chat.add_member(op.space, op.email)
            if membership.role == op.role:
                return Outcome.APPLIED, membership.name
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


def apply(
    plan: Plan,
    chat: ChatMembers,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    dry_run: bool = False,
) -> Report:
    return Executor(chat, policy=policy, sleep=sleep, dry_run=dry_run).apply(plan)


def ops_of(results: Sequence[OpResult]) -> tuple[Operation, ...]:
    return tuple(r.op for r in results)
