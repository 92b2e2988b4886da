"""The fan-out: a full reconcile and a large group event become work items, each applied within
the invocation budget; continuations resume where the budget stopped, and no step is lost or
applied twice across continuations and redeliveries. A run that stops progressing is reported."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatsync.app import fanout, records
from chatsync.app.executing import Note
from chatsync.domain import errors, events
from chatsync.domain.model import Email, Role, SpaceName
from chatsync.domain.work_items import WorkItem, WorkMessage

from .fanout_world import World, expected, mail, tick, world

pytestmark = pytest.mark.scale


def run_doc(w: World, run_id: str = "tick-1") -> dict[str, object]:
    doc = w.pipeline.store.get_doc(records.WORK_RUNS, run_id)
    assert doc is not None
    return doc


def test_a_tick_plans_once_and_publishes_every_change_as_work_items() -> None:
    """The reconcile function writes nothing itself: the plan's 40 adds leave as items of at
    most 15 operations, a run document counts them, and delivering them converges."""
    w = world(spaces=4, people=40, item_size=15)
    report = w.pipeline.handle(tick())
    assert report.note is Note.FANNED_OUT
    assert sum(w.chat.writes.values()) == 0
    published = w.queue.messages
    assert sum(m.item.size for m in published) == 40
    assert all(m.item.size <= 15 and m.cursor == 0 for m in published)
    assert run_doc(w)["items_total"] == len(published)
    w.drain()
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}
    assert fanout.run_status(w.pipeline.deps(), "tick-1").state == "done"
    assert w.lines("work run finished")


def test_a_continuation_resumes_where_the_budget_stopped() -> None:
    """Writes take 1 s and the budget is 5 s: the first delivery stops after five steps,
    records cursor 5 and publishes the same item from 5; that delivery goes on from there."""
    w = world(spaces=1, people=12, budget=5.0)
    w.pipeline.handle(tick())
    (first,) = w.queue.take()
    assert first.item.size == 12
    w.deliver(first)
    (continuation,) = w.queue.take()
    assert continuation.item == first.item
    assert continuation.cursor == 5
    assert sum(w.chat.writes.values()) == 5
    progress = w.pipeline.store.get_doc(records.WORK_ITEMS, first.item.item_id)
    assert progress is not None and progress["cursor"] == 5 and progress["holder"] == ""
    assert w.lines("work item continued: invocation budget spent")[0]["cursor"] == 5
    w.deliver(continuation)
    assert sum(w.chat.writes.values()) == 10
    (last,) = w.queue.take()
    assert last.cursor == 10
    w.deliver(last)
    assert w.queue.take() == []
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}


def test_no_delivery_runs_past_its_budget() -> None:
    """Each delivery stops before a step that might not fit: the time from its start to its
    last write never exceeds the budget (the longest step so far is the margin)."""
    w = world(spaces=2, people=30, budget=7.5, write_s=1.0)
    w.pipeline.handle(tick())
    spans = []
    pending = w.queue.take()
    while pending:
        message = pending.pop(0)
        start = w.clock.now
        w.deliver(message)
        spans.append(w.clock.now - start)
        pending += w.queue.take()
    assert max(spans) <= 7.5
    assert len(spans) >= 4
    assert w.chat.rosters == expected(w)


def test_redelivering_a_message_that_was_continued_applies_nothing_twice() -> None:
    """Pub/Sub may deliver the first message again after its continuation went out: it is a
    duplicate (same item and cursor); so is a late copy of the continuation after the item is
    done. Neither writes anything."""
    w = world(spaces=1, people=9, budget=3.0)
    w.pipeline.handle(tick())
    (first,) = w.queue.take()
    w.deliver(first)
    (continuation,) = w.queue.take()
    again = w.deliver(first)
    assert again.note is Note.DUPLICATE
    w.deliver(continuation)
    (later,) = w.queue.take()
    copy = WorkMessage(continuation.item, continuation.cursor)
    w.deliver(later)
    w.drain()
    assert w.deliver(copy).note is Note.DUPLICATE
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}


def test_a_failed_step_is_redelivered_and_resumes_at_that_step() -> None:
    """A 503 on the fourth write (no retry left in the delivery): the delivery raises for
    redelivery with the cursor at that step; the redelivery applies it and the rest, once."""
    w = world(spaces=1, people=8)
    calls = {"n": 0}

    def flaky(verb: str, space: SpaceName, email: Email) -> errors.SyncError | None:
        calls["n"] += 1
        return errors.ChatUnavailable("down") if calls["n"] == 4 else None

    w.chat.failing = flaky
    w.pipeline.handle(tick())
    (message,) = w.queue.take()
    failed = w.deliver(message)
    assert isinstance(failed, errors.RetryableError)
    progress = w.pipeline.store.get_doc(records.WORK_ITEMS, message.item.item_id)
    assert progress is not None and progress["cursor"] == 3 and progress["holder"] == ""
    w.deliver(message)
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}
    assert fanout.run_status(w.pipeline.deps(), "tick-1").applied == 8


def test_a_copy_delivered_while_another_holds_the_item_is_handed_back() -> None:
    """Two deliveries of one item at once: the one that finds the item claimed (and the claim
    not lapsed) writes nothing and raises, so Pub/Sub redelivers it later."""
    w = world(spaces=1, people=4)
    w.pipeline.handle(tick())
    (message,) = w.queue.take()
    w.pipeline.store.put_doc(
        records.WORK_ITEMS,
        message.item.item_id,
        {"cursor": 0, "applied": 0, "failed": 0, "skipped": 0, "status": "running",
         "holder": "other-instance:work", "until": w.clock.now + 60, "invocations": 1},
    )  # fmt: skip
    busy = w.deliver(message)
    assert isinstance(busy, errors.RetryableError)
    assert sum(w.chat.writes.values()) == 0
    w.clock.now += 61  # the other holder died: its claim lapses
    w.deliver(message)
    assert w.chat.rosters == expected(w)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    budget=st.floats(1.5, 12.0),
    item_size=st.integers(1, 20),
    failure_rate=st.floats(0.0, 0.3),
)
def test_no_step_is_lost_or_applied_twice_whatever_the_deliveries(
    seed: int, budget: float, item_size: int, failure_rate: float
) -> None:
    """Random budgets, item sizes, transient write failures and duplicate deliveries: the rosters
    end as the rules say, each change written exactly once, and the run counted done."""
    rng = random.Random(seed)
    w = world(spaces=3, people=30, budget=budget, item_size=item_size)

    def sometimes(verb: str, space: SpaceName, email: Email) -> errors.SyncError | None:
        return errors.ChatUnavailable("flaky") if rng.random() < failure_rate else None

    w.chat.failing = sometimes
    w.pipeline.handle(tick())
    pending = w.queue.take()
    rounds = 0
    while pending and rounds < 5000:
        rounds += 1
        message = pending.pop(rng.randrange(len(pending)))
        for _ in range(rng.choice((1, 1, 2))):
            outcome = w.deliver(message)
            if isinstance(outcome, errors.RetryableError):
                pending.append(message)  # Pub/Sub redelivers
                break
        pending += w.queue.take()
    assert not pending
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}
    status = fanout.run_status(w.pipeline.deps(), "tick-1")
    assert status.state == "done" and status.applied == 30


def test_an_hr_event_applied_after_the_plan_supersedes_that_persons_operations() -> None:
    """The plan adds p000; an HR event for p000 is applied before the item runs (its watermark
    moves): the item skips p000's operation and says why, the rest lands."""
    from chatsync.app.ports import Watermark

    w = world(spaces=1, people=5)
    w.pipeline.handle(tick())
    w.pipeline.store.advance_watermark(mail("p000"), Watermark(1.0, 7, "hr-event-7"))
    w.drain()
    assert mail("p000") not in w.chat.rosters[SpaceName("spaces/S0")]
    assert len(w.chat.rosters[SpaceName("spaces/S0")]) == 5  # ops@ and four others
    status = fanout.run_status(w.pipeline.deps(), "tick-1")
    assert status.skipped == 1 and status.applied == 4
    assert any("superseded by a newer event" in r["message"] for r in w.lines())


def test_a_stalled_run_is_reported_at_the_next_tick_and_by_its_status() -> None:
    """Items published and never delivered: after stall_minutes without progress the next tick
    logs the run as stalled (ERROR), supersedes it and plans again; --status says stalled."""
    w = world(spaces=2, people=10)
    w.pipeline.handle(tick())
    lost = w.queue.take()
    assert fanout.run_status(w.pipeline.deps(), "tick-1").state == "running"
    w.clock.now += 29 * 60
    assert fanout.run_status(w.pipeline.deps(), "tick-1").state == "running"
    w.clock.now += 2 * 60
    status = fanout.run_status(w.pipeline.deps(), "tick-1")
    assert status.state == "stalled" and status.items_left == len(lost)
    assert "stalled" in status.describe()
    w.pipeline.handle(tick("tick-2"))
    (line,) = w.lines("work run stalled: no progress, items are left")
    assert line["severity"] == "ERROR" and line["run_id"] == "tick-1"
    assert fanout.run_status(w.pipeline.deps(), "tick-1").state == "superseded"
    w.drain()
    for message in lost:  # the old run's items wake up late: acked, nothing applied
        assert w.deliver(message).note is Note.STALE
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}


def test_a_tick_does_not_start_a_second_run_while_one_is_being_applied() -> None:
    """Two runs at once would plan the same changes twice: the second tick waits."""
    w = world(spaces=2, people=10)
    w.pipeline.handle(tick())
    w.pipeline.handle(tick("tick-2"))
    assert w.lines("full reconcile not started: an earlier run is still being applied")
    assert w.pipeline.store.get_doc(records.WORK_RUNS, "tick-2") is None
    w.drain()
    assert w.chat.rosters == expected(w)


def test_a_group_event_with_many_people_fans_out_as_people_items() -> None:
    """A nested group of 60 people joins: the group function publishes 3 items of at most 25
    people; each item plans and applies its people as an HR event would."""
    w = world(spaces=3, people=60)
    group = mail("team")
    w.directory.groups[group] = frozenset(mail(f"p{n:03d}") for n in range(60))
    meta = events.EventMeta("g-1", "g-1", "group.member_added", datetime.now(UTC))
    event = events.GroupEvent(meta, Email("all@example.com"), group, "group", True)
    report = w.pipeline.handle(event)
    assert report.note is Note.FANNED_OUT
    items = w.queue.messages
    assert [m.item.kind for m in items] == ["people"] * 3
    assert sorted(e for m in items for e in m.item.people) == sorted(w.directory.groups[group])
    w.drain(twice=True)
    assert w.chat.rosters == expected(w)
    assert set(w.chat.writes.values()) == {1}
    assert fanout.run_status(w.pipeline.deps(), "group-g-1").state == "done"


def test_an_unknown_run_is_a_permanent_error_naming_it() -> None:
    """An item whose run the store does not hold (a store reset): acked and recorded, with the
    run id in the error."""
    w = world()
    stray = WorkMessage(WorkItem("run-gone", 0, "people", people=(mail("p000"),)))
    failed = w.deliver(stray)
    assert isinstance(failed, errors.UnknownRun) and "run-gone" in str(failed)
    with pytest.raises(errors.UnknownRun, match="run-nope"):
        fanout.run_status(w.pipeline.deps(), "run-nope")


def test_owner_changes_stay_in_one_item() -> None:
    """The role ops@ holds is taken away by a rule change (owner demoted): that space's steps are
    never cut across items, however small items are."""
    from chatsync.domain import planning
    from chatsync.domain.work_items import slice_operations

    space = SpaceName("spaces/S0")
    ops = [planning.AddMember(space, mail(f"n{i}"), Role.MEMBER, ("r",)) for i in range(5)] + [
        planning.ChangeRole(space, mail("ops"), f"{space}/members/x", Role.OWNER, Role.MEMBER)
    ]
    other = [
        planning.AddMember(SpaceName("spaces/S1"), mail(f"m{i}"), Role.MEMBER, ()) for i in range(5)
    ]
    items = slice_operations(ops + other, max_ops=2)
    owner_items = [i for i in items if any(op.space == space for op in i)]
    assert owner_items == [tuple(ops)]
    assert sorted(op.email for i in items for op in i) == sorted(op.email for op in ops + other)
    assert all(len(i) <= 2 for i in items if i != tuple(ops))
