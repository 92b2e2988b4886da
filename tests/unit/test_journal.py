"""Each write journaled as it happens, and a stop flag that ends an apply between operations."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from chatsync.adapters.store import MemoryStore
from chatsync.app import recording
from chatsync.app.executing import Controls, Executor, Outcome
from chatsync.app.logs import Logger
from chatsync.app.ports import INTENT, AuditEntry, SpaceInfo, journal
from chatsync.app.retrying import RetryPolicy
from chatsync.domain import errors, model
from chatsync.domain.planning import AddMember, Plan

MEMBER = model.Role.MEMBER


def entry(op_id: str, outcome: str, email: str = "a@x.com") -> AuditEntry:
    return AuditEntry("run", 1.0, "spaces/S", email, "add", None, "member", outcome, op_id=op_id)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([entry("1", INTENT), entry("1", "applied")], [("1", "applied")]),
        ([entry("1", INTENT)], [("1", "unconfirmed")]),
        ([entry("1", INTENT), entry("1", "failed_permanent")], []),
        (
            [entry("1", INTENT), entry("2", INTENT), entry("1", "applied")],
            [("2", "unconfirmed"), ("1", "applied")],
        ),
        ([entry("", "applied")], [("", "applied")]),
    ],
    ids=["landed", "in-flight", "failed", "two-ops", "written-before-journaling"],
)
def test_the_trail_folds_each_intent_into_its_outcome(
    rows: list[AuditEntry], expected: list[tuple[str, str]]
) -> None:
    """One entry per change: its outcome, ``unconfirmed`` if none came, nothing if it failed."""
    assert [(e.op_id, e.outcome) for e in journal(rows)] == expected


class Chat:
    """A Chat port whose adds run ``during(email)`` first (to look at the store mid-call)."""

    def __init__(self, during: Callable[[str], None] = lambda _: None) -> None:
        self.during = during
        self.added: list[str] = []
        self.lock = threading.Lock()

    def get_space(self, space: model.SpaceName) -> SpaceInfo:
        return SpaceInfo(space, model.SpaceType.SPACE)

    def get_member(self, space: model.SpaceName, email: model.Email) -> model.Membership | None:
        return None

    def list_members(
        self, space: model.SpaceName, *, owners_only: bool = False
    ) -> Sequence[model.Membership]:
        return ()

    def add_member(self, space: model.SpaceName, email: model.Email) -> model.Membership:
        self.during(email)
        with self.lock:
            self.added.append(email)
        return model.Membership(space, email, MEMBER, f"{space}/members/{email}")

    def set_role(self, membership: model.Membership, role: model.Role) -> model.Membership:
        raise AssertionError("not used")

    def remove_member(self, membership: model.Membership) -> None:
        raise AssertionError("not used")


def adds(n: int, spaces: int = 1) -> Plan:
    return Plan(
        tuple(
            AddMember(
                model.SpaceName(f"spaces/S{i % spaces}"), model.Email(f"p{i:02d}@x.com"), MEMBER
            )
            for i in range(n)
        )
    )


def recorder(store: MemoryStore) -> recording.Recorder:
    return recording.Recorder(Logger(level="ERROR"), run_id="run-1", clock=lambda: 1.0, store=store)


def test_a_write_is_in_the_store_before_it_is_sent_and_its_outcome_as_soon_as_it_lands() -> None:
    """During the call the trail shows it unconfirmed; after the call, applied: no waiting
    for the end of the plan."""
    store = MemoryStore()
    seen: dict[str, list[tuple[str, str]]] = {}

    def look(email: str) -> None:
        seen[email] = [(e.email, e.outcome) for e in store.audit(run="run-1")]

    journal_ = recorder(store)
    Executor(Chat(look), on_result=journal_, journal=journal_).apply(adds(2))

    assert seen["p00@x.com"] == [("p00@x.com", "unconfirmed")]
    assert seen["p01@x.com"] == [("p00@x.com", "applied"), ("p01@x.com", "unconfirmed")]
    assert [(e.email, e.outcome) for e in store.audit(run="run-1")] == [
        ("p00@x.com", "applied"),
        ("p01@x.com", "applied"),
    ]


@pytest.mark.parametrize("workers", [1, 4])
def test_after_stop_no_new_write_starts_and_the_one_in_flight_finishes(workers: int) -> None:
    """The flag is set during the third add: it lands, nothing starts after, the rest are
    reported interrupted (and not journaled)."""
    stop = threading.Event()
    count = [0]
    lock = threading.Lock()

    def third_stops(_email: str) -> None:
        with lock:
            count[0] += 1
            if count[0] == 3:
                stop.set()

    store = MemoryStore()
    chat = Chat(third_stops)
    journal_ = recorder(store)
    executor = Executor(
        chat,
        workers=workers,
        parallel_min_ops=2,
        journal=journal_,
        on_result=journal_,
        controls=Controls(stop=stop),
    )

    report = executor.apply(adds(40, spaces=1 if workers == 1 else 4))

    applied = [r for r in report.results if r.outcome is Outcome.APPLIED]
    interrupted = [r for r in report.results if r.outcome is Outcome.INTERRUPTED]
    assert len(chat.added) == len(applied) >= 3
    assert len(applied) <= workers + 2  # the ones already in flight when it was set
    assert len(applied) + len(interrupted) == 40
    assert {e.email for e in store.audit(run="run-1")} == {r.email for r in applied}


def test_after_stop_a_failing_write_is_not_retried() -> None:
    """A 503 after the stop: one attempt, then the outcome (failed, retryable) is journaled."""
    stop = threading.Event()

    def fail(_email: str) -> None:
        stop.set()
        raise errors.ChatUnavailable("503", status=503)

    store = MemoryStore()
    journal_ = recorder(store)
    executor = Executor(
        Chat(fail),
        policy=RetryPolicy(max_attempts=4, base_delay=0.0),
        sleep=lambda _s: None,
        journal=journal_,
        controls=Controls(stop=stop),
    )

    (result, second) = executor.apply(adds(2)).results

    assert (result.outcome, result.attempts) == (Outcome.FAILED_RETRYABLE, 1)
    assert second.outcome is Outcome.INTERRUPTED
    assert store.audit(run="run-1") == []  # failed: nothing changed, the intent is closed


def test_a_journal_that_cannot_write_stops_the_apply() -> None:
    """No write is sent that could not be journaled (it could not be reverted)."""

    class Broken(recording.Recorder):
        def intent(self, index: int, op: object) -> None:  # type: ignore[override]
            raise errors.ConfigError("state file: disk full")

    chat = Chat()
    broken = Broken(Logger(level="ERROR"), run_id="r", clock=lambda: 1.0, store=MemoryStore())

    with pytest.raises(errors.ConfigError, match="disk full"):
        Executor(chat, journal=broken, workers=4, parallel_min_ops=2).apply(adds(20, spaces=4))

    assert chat.added == []
