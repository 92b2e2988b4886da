"""The safety rails under chaos: a bad HR feed is held, not applied, whatever the faults; the
approval messages release it through the same redelivery loop."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from chaos import harness, world
from chatsync.domain import events, holding
from chatsync.domain.rules import Ruleset, load_rules_text
from conftest import DEMO_RULES

pytestmark = pytest.mark.chaos


def accepted(emulator: Any, since: int) -> list[dict[str, Any]]:
    return [c for c in harness.write_calls(emulator, since) if c["status"] < 300]


def demo_rules_with_safety(safety: str) -> Ruleset:
    """The demo's rules with its ``safety:`` section replaced by ``safety``."""
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    return load_rules_text(text + "\nsafety:\n" + safety)


def termination_feed(emulator: Any) -> tuple[list[str], list[Any]]:
    """A bad HR feed: everyone but the anchors terminated, one event each, every third one
    delivered again (redelivered copies)."""
    victims = [p for p in world.people(emulator) if p not in world.ANCHORS]
    queue = [
        harness.decode(
            harness.hr_message(
                email=email,
                sequence=1000,
                event_id=f"bad-{i}",
                message_id=f"bad-{i}",
                status="terminated",
                event_type="person.terminated",
            )
        )
        for i, email in enumerate(victims)
    ]
    return victims, queue + queue[::3]


def test_a_feed_that_terminates_everyone_is_held_then_released_by_approval(
    emulator: Any, figures: Any
) -> None:
    """Every termination over the per-event limit is held and acked (not applied, not lost);
    approving each held plan on the reconcile topic removes exactly those people."""
    ruleset = demo_rules_with_safety("  max_removals_per_event: 1\n")
    pipe = harness.pipeline(emulator, ruleset)
    victims, queue = termination_feed(emulator)
    before = harness.rosters(emulator, [s.name for s in ruleset.spaces])
    spaces_of = {v: sum(1 for members in before.values() if v in members) for v in victims}
    over_limit = [v for v in victims if v not in ruleset.protected and spaces_of[v] > 1]
    rng = random.Random(17)
    emulator.set_time_scale(1000)
    emulator.set_random_faults(0.25, latency=0.0002, seed=17)
    since = len(emulator.calls())
    try:
        first = harness.deliver(pipe.handle, queue, rng=rng)
        # Writes Chat accepted (a faulted write and its retry are one change).
        writes_while_held = len(accepted(emulator, since))
        held = [pid for pid, doc in pipe.store.list_docs(holding.KIND) if doc["status"] == "held"]
        approvals: list[events.Event] = [
            events.ReconcileTick(
                meta=events.EventMeta(f"ok-{pid}", f"ok-{pid}", "approve", datetime.now(UTC)),
                approve_plan=pid,
            )
            for pid in held
        ]
        second = harness.deliver(pipe.handle, approvals + approvals[::2], rng=rng)
    finally:
        emulator.clear_faults()
    rosters = harness.rosters(emulator, [s.name for s in ruleset.spaces])
    still_there = sorted(
        (space, email)
        for space, members in rosters.items()
        for email in members
        if email in victims and email not in ruleset.protected
    )
    statuses = {doc["status"] for _, doc in pipe.store.list_docs(holding.KIND)}
    figures(
        terminations=len(victims),
        deliveries=first.deliveries + second.deliveries,
        redeliveries=first.redeliveries + second.redeliveries,
        held_plans=len(held),
        writes_while_held=writes_while_held,
        writes_after_approval=len(accepted(emulator, since)) - writes_while_held,
        left_behind=len(still_there),
    )
    assert first.dropped == 0 and first.acked == len(queue)
    # Only terminations under the limit (one membership each) were applied before approval.
    assert writes_while_held <= len(victims) - len(held)
    assert len(held) == len(over_limit)  # one membership each fits under the limit
    assert second.dropped == 0
    assert statuses == {"applied"}
    # Owners that are last in a space, and protected people, stay; everyone else is gone.
    assert all(role == "ROLE_MANAGER" for space, email in still_there for role in
               [rosters[space][email]])  # fmt: skip


def test_terminations_one_at_a_time_stop_at_the_rolling_window_under_faults(
    emulator: Any, figures: Any
) -> None:
    """The same bad feed against the demo's own limits (20 per event, so each termination
    passes alone) plus a window of 10: at most 10 removals reach Chat, however the faults
    and redeliveries fall; everything after is held; the approvals remove the rest."""
    ruleset = demo_rules_with_safety(
        "  max_removals_per_event: 20\n  max_removals_per_window: 10\n"
    )
    pipe = harness.pipeline(emulator, ruleset)
    victims, queue = termination_feed(emulator)
    rng = random.Random(23)
    emulator.set_time_scale(1000)
    emulator.set_random_faults(0.25, latency=0.0002, seed=23)
    since = len(emulator.calls())
    try:
        first = harness.deliver(pipe.handle, queue, rng=rng)
        removed_before_hold = len(accepted(emulator, since))
        losses = sum(1 for e in pipe.store.audit() if e.action in ("remove", "demote"))
        held = [pid for pid, doc in pipe.store.list_docs(holding.KIND) if doc["status"] == "held"]
        approvals: list[events.Event] = [
            events.ReconcileTick(
                meta=events.EventMeta(f"ok-{pid}", f"ok-{pid}", "approve", datetime.now(UTC)),
                approve_plan=pid,
            )
            for pid in held
        ]
        second = harness.deliver(pipe.handle, approvals, rng=rng)
    finally:
        emulator.clear_faults()
    rosters = harness.rosters(emulator, [s.name for s in ruleset.spaces])
    left = [
        (space, email)
        for space, members in rosters.items()
        for email, role in members.items()
        if email in victims and email not in ruleset.protected and role != "ROLE_MANAGER"
    ]
    figures(
        terminations=len(victims),
        deliveries=first.deliveries + second.deliveries,
        redeliveries=first.redeliveries + second.redeliveries,
        removed_before_hold=removed_before_hold,
        events_applied=len(victims) - len(held),
        held_plans=len(held),
        left_behind=len(left),
    )
    assert first.dropped == 0 and first.acked == len(queue)
    assert removed_before_hold <= 10 and losses <= 10
    assert len(held) >= len(victims) - 10
    assert all(pipe.store.get_doc(holding.KIND, pid)["window"] for pid in held)  # type: ignore[index]
    assert second.dropped == 0
    assert {d["status"] for _, d in pipe.store.list_docs(holding.KIND)} == {"applied"}
    assert left == []
