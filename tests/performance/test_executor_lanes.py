"""Executor at the quota limit: spaces side by side, each space's steps in plan order."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

import pytest

from chatsync.adapters.chat.ratelimit import Limits, RateLimitedChat
from chatsync.app.executing import Executor, OpResult, Outcome
from chatsync.app.ports import SpaceInfo
from chatsync.app.retrying import RetryPolicy
from chatsync.domain import errors, model
from chatsync.domain.planning import AddMember, ChangeRole, Operation, Plan, RemoveMember

MEMBER, MANAGER, OWNER = model.Role.MEMBER, model.Role.MANAGER, model.Role.OWNER


def space(i: int) -> model.SpaceName:
    return model.SpaceName(f"spaces/S{i:03d}")


def email(name: str) -> model.Email:
    return model.Email(f"{name}@x.com")


class FakeChat:
    """An in-process Chat port that records every write, per space, in call order."""

    def __init__(self, *, barrier: threading.Barrier | None = None, jitter: float = 0.0) -> None:
        self.calls: dict[model.SpaceName, list[str]] = {}
        self.lock = threading.Lock()
        self.barrier = barrier
        self.jitter = jitter
        self.fail: dict[tuple[str, str], list[errors.SyncError]] = {}
        self.rng = random.Random(7)

    def _call(self, verb: str, space: model.SpaceName, who: str) -> None:
        with self.lock:
            first = space not in self.calls
            self.calls.setdefault(space, []).append(f"{verb} {who}")
            pending = self.fail.get((verb, who))
            error = pending.pop(0) if pending else None
            pause = self.rng.uniform(0, self.jitter)
        if first and self.barrier is not None:
            self.barrier.wait(timeout=10)  # both spaces must be in flight at once
        if pause:
            threading.Event().wait(pause)
        if error is not None:
            raise error

    def get_space(self, space: model.SpaceName) -> SpaceInfo:
        return SpaceInfo(space, model.SpaceType.SPACE)

    def get_member(self, space: model.SpaceName, email: model.Email) -> model.Membership | None:
        return None

    def list_members(
        self, space: model.SpaceName, *, owners_only: bool = False
    ) -> Sequence[model.Membership]:
        return ()

    def add_member(self, space: model.SpaceName, email: model.Email) -> model.Membership:
        self._call("add", space, email)
        return model.Membership(space, email, MEMBER, f"{space}/members/{email}")

    def set_role(self, membership: model.Membership, role: model.Role) -> model.Membership:
        assert membership.email is not None
        self._call(f"role={role.value}", membership.space, membership.email)
        return model.Membership(membership.space, membership.email, role, membership.name)

    def remove_member(self, membership: model.Membership) -> None:
        assert membership.email is not None
        self._call("remove", membership.space, membership.email)


def handover(where: model.SpaceName) -> list[Operation]:
    """A new owner arrives (add, then promote) before the old one steps down and a member leaves."""
    new, old, gone = email("new"), email("old"), email("gone")
    return [
        AddMember(where, new, OWNER),
        ChangeRole(where, old, f"{where}/members/old", OWNER, MANAGER),
        RemoveMember(where, gone, f"{where}/members/gone", MEMBER),
    ]


EXPECTED = ["add new@x.com", "role=owner new@x.com", "role=manager old@x.com", "remove gone@x.com"]


def test_spaces_are_applied_side_by_side() -> None:
    """Two spaces are in flight at the same time (a sequential run would break the barrier)."""
    chat = FakeChat(barrier=threading.Barrier(2))
    plan = Plan(tuple(handover(space(1)) + handover(space(2))))

    report = Executor(chat, workers=4, parallel_min_ops=1).apply(plan)

    assert [r.outcome for r in report.results] == [Outcome.APPLIED] * 6


def test_each_space_keeps_its_order_and_results_come_in_plan_order() -> None:
    """Per space the calls follow the plan; the report and on_result follow the plan too."""
    chat = FakeChat(jitter=0.002)
    ops = [op for i in range(12) for op in handover(space(i))]
    seen: list[OpResult] = []

    report = Executor(chat, workers=5, on_result=seen.append).apply(Plan(tuple(ops)))

    assert {s: calls for s, calls in chat.calls.items()} == {space(i): EXPECTED for i in range(12)}
    assert [r.op for r in report.results] == ops
    assert [r.op for r in seen] == ops


def test_a_failed_step_stops_only_its_own_space() -> None:
    """The old owner is not demoted when the new one could not be added; other spaces go on."""
    chat = FakeChat()
    chat.fail[("add", "new@x.com")] = [errors.ChatPermissionDenied("403", status=403)]
    ops = [*handover(space(1)), AddMember(space(2), email("solo"), MEMBER)]

    report = Executor(chat, workers=4, parallel_min_ops=1).apply(Plan(tuple(ops)))

    outcomes = [(r.space, r.outcome, r.attempts) for r in report.results]
    assert outcomes == [
        (space(1), Outcome.FAILED_PERMANENT, 1),
        (space(1), Outcome.FAILED_RETRYABLE, 0),
        (space(1), Outcome.FAILED_RETRYABLE, 0),
        (space(2), Outcome.APPLIED, 1),
    ]
    assert chat.calls[space(1)] == ["add new@x.com"]


def test_a_refused_role_patch_is_retried_without_creating_again() -> None:
    """Add then promote: a 429 on the promote retries the promote only (no second create)."""
    chat = FakeChat()
    chat.fail[("role=owner", "new@x.com")] = [errors.ChatRateLimited("429", delay=0.5)]
    naps: list[float] = []

    report = Executor(chat, sleep=naps.append, policy=RetryPolicy(max_attempts=3)).apply(
        Plan((AddMember(space(1), email("new"), OWNER),))
    )

    assert [(r.outcome, r.attempts) for r in report.results] == [(Outcome.APPLIED, 2)]
    assert chat.calls[space(1)] == ["add new@x.com", "role=owner new@x.com", "role=owner new@x.com"]
    assert naps and naps[0] >= 0.5  # Retry-After honoured
    assert report.retries == 1


def test_a_429_holds_the_shared_bucket_for_its_retry_after() -> None:
    """After a 429 with Retry-After 2 s, the next write anywhere waits at least 2 s."""
    now = [0.0]
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        now[0] += seconds

    limits = Limits(writes_per_minute=600, reads_per_minute=600, clock=lambda: now[0], sleep=sleep)
    inner = FakeChat()
    inner.fail[("remove", "gone@x.com")] = [errors.ChatRateLimited("429", delay=2.0)]
    chat = RateLimitedChat(inner, limits)
    gone = model.Membership(space(1), email("gone"), MEMBER, "spaces/S001/members/gone")

    with pytest.raises(errors.ChatRateLimited):
        chat.remove_member(gone)
    chat.add_member(space(2), email("next"))

    assert sum(naps) >= 2.0


def test_workers_must_be_positive() -> None:
    """A pool of zero threads is a configuration mistake, named as such."""
    with pytest.raises(ValueError, match="workers must be at least 1"):
        Executor(FakeChat(), workers=0)
