"""The rolling window: removals and demotions that events apply within ``window_minutes``,
counted across events; a feed that terminates people one event at a time is held once it would
go over ``max_removals_per_window``, and stays held until an approval or the window drains."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chaos import harness, world
from chatsync.adapters.store import MemoryStore
from chatsync.adapters.store.sqlite import SqliteStore
from chatsync.app import window
from chatsync.domain import errors, events, holding
from chatsync.domain.rules import load_rules_text
from chatsync.domain.rules.schema import Safety
from conftest import DEMO_RULES

LIMITS = Safety(max_removals_per_window=5, window_minutes=60)
HOUR = 3600.0
T0 = 1_800_000_000.0


def windowed_rules(limit: int, minutes: int = 60) -> Any:
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    return load_rules_text(
        text + "\nsafety:\n  max_removals_per_event: 20\n"
        f"  max_removals_per_window: {limit}\n  window_minutes: {minutes}\n"
    )


def terminate(email: str, eid: str) -> events.Event:
    return harness.decode(
        harness.hr_message(
            email=email,
            sequence=1000,
            event_id=eid,
            message_id=f"m-{eid}",
            status="terminated",
            event_type="person.terminated",
        )
    )


def approval(plan_id: str) -> events.ReconcileTick:
    meta = events.EventMeta(f"ok-{plan_id}", f"ok-{plan_id}", "approve", datetime.now(UTC))
    return events.ReconcileTick(meta=meta, approve_plan=plan_id)


def losses_applied(store: Any) -> int:
    return sum(1 for e in store.audit() if e.action in ("remove", "demote"))


# -- the window itself (pure) ------------------------------------------------------------------


def test_plans_are_admitted_until_the_window_would_go_over_then_it_trips() -> None:
    doc: dict[str, Any] | None = None
    for i in range(5):
        doc, answer = window.admit(doc, run_id=f"e{i}", losses=1, now=T0 + i, limits=LIMITS)
        assert not answer.held and answer.count == i
    doc, answer = window.admit(doc, run_id="e5", losses=1, now=T0 + 5, limits=LIMITS)
    assert answer.held and answer.count == 5
    assert (
        "5 removals/demotions applied in the last 60 minutes plus 1 in this plan" in answer.reason
    )
    assert "max_removals_per_window=5 (window_minutes=60)" in answer.reason
    assert doc["tripped_at"] == T0 + 5 and doc["held_by"] == "e5"


def test_a_tripped_window_holds_even_a_plan_that_would_fit() -> None:
    doc, _ = window.admit(None, run_id="big", losses=4, now=T0, limits=LIMITS)
    doc, answer = window.admit(doc, run_id="over", losses=2, now=T0 + 1, limits=LIMITS)
    assert answer.held
    doc, answer = window.admit(doc, run_id="small", losses=1, now=T0 + 2, limits=LIMITS)
    assert answer.held and "tripped since" in answer.reason


def test_a_redelivered_event_is_counted_once() -> None:
    doc, _ = window.admit(None, run_id="e1", losses=3, now=T0, limits=LIMITS)
    doc, answer = window.admit(doc, run_id="e1", losses=3, now=T0 + 5, limits=LIMITS)
    assert not answer.held
    doc, answer = window.admit(doc, run_id="e1", losses=1, now=T0 + 9, limits=LIMITS)
    assert not answer.held
    assert doc["entries"] == {"e1": [T0, 3]}


def test_the_window_drains_after_a_full_window_with_nothing_held() -> None:
    doc, _ = window.admit(None, run_id="a", losses=5, now=T0, limits=LIMITS)
    doc, answer = window.admit(doc, run_id="b", losses=1, now=T0 + 600, limits=LIMITS)
    assert answer.held
    # Half an hour later the feed still sends terminations: still tripped, and it stays so.
    doc, answer = window.admit(doc, run_id="c", losses=1, now=T0 + 1800, limits=LIMITS)
    assert answer.held
    doc, answer = window.admit(doc, run_id="d", losses=1, now=T0 + 1800 + HOUR - 1, limits=LIMITS)
    assert answer.held
    # A full window with nothing held: drained, and the old entries are gone too.
    later = T0 + 1800 + HOUR - 1 + HOUR
    doc, answer = window.admit(doc, run_id="e", losses=1, now=later, limits=LIMITS)
    assert not answer.held and answer.count == 0
    assert doc["tripped_at"] is None and list(doc["entries"]) == ["e"]


def test_an_approval_clears_the_trip_but_not_the_count() -> None:
    doc, _ = window.admit(None, run_id="a", losses=4, now=T0, limits=LIMITS)
    doc, _ = window.admit(doc, run_id="b", losses=3, now=T0 + 1, limits=LIMITS)
    cleared = window.reset(doc, now=T0 + 2, by="alice")
    assert cleared is not None and cleared["tripped_at"] is None
    doc, answer = window.admit(cleared, run_id="c", losses=1, now=T0 + 3, limits=LIMITS)
    assert not answer.held and answer.count == 4
    doc, answer = window.admit(doc, run_id="d", losses=1, now=T0 + 4, limits=LIMITS)
    assert answer.held
    assert window.reset(None, now=T0, by="x") is None


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_the_stored_window_is_atomic_across_threads(backend: str, tmp_path: Path) -> None:
    """Eight workers race for a window of 20: exactly 20 plans are admitted."""
    store: Any = MemoryStore() if backend == "memory" else SqliteStore(str(tmp_path / "s.db"))
    limits = Safety(max_removals_per_window=20)
    admitted: list[bool] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        for i in range(10):
            answer = window.check(
                store, run_id=f"{worker}-{i}", losses=1, now=T0, limits=limits, record=True
            )
            with lock:
                admitted.append(not answer.held)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 20
    doc = store.get_doc(window.KIND, window.KEY)
    assert doc is not None and len(doc["entries"]) == 20 and doc["tripped_at"] == T0


def test_the_loader_names_the_file_and_field_of_a_bad_window(tmp_path: Path) -> None:
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    rules = windowed_rules(7, minutes=15).safety
    assert (rules.max_removals_per_window, rules.window_minutes) == (7, 15)
    assert load_rules_text(text).safety.window_minutes == 60
    for body, words in (
        ("max_removals_per_window: -1", "safety.max_removals_per_window"),
        ("window_minutes: 0", "safety.window_minutes"),
        ("window_minutes: 1.5", "expected a whole number of minutes >= 1"),
    ):
        with pytest.raises(errors.RuleConfigError) as caught:
            load_rules_text(text + f"\nsafety:\n  {body}\n", file="rules.yaml")
        assert words in str(caught.value) and "rules.yaml" in str(caught.value)


# -- the pipeline ------------------------------------------------------------------------------


def test_terminations_one_event_at_a_time_are_held_after_the_window_then_approved(
    emulator: Any,
) -> None:
    """The bad feed: every non-anchor terminated, one event each. At most the window's limit
    is removed; the rest is held (ERROR naming limit, count and window), a hire still applies;
    approving the held plans removes the rest and clears the trip."""
    records: list[dict[str, Any]] = []
    ruleset = windowed_rules(6)
    pipe = harness.pipeline(emulator, ruleset, records=records)
    emulator.set_time_scale(1000)  # quota time, as the harness paces it
    victims = [p for p in world.people(emulator) if p not in world.ANCHORS]
    before = len(emulator.calls())
    reports = [pipe.handle(terminate(v, f"bad-{i}")) for i, v in enumerate(victims)]
    held = [str(r.extra["held"]) for r in reports if "held" in r.extra]
    removed_before_hold = losses_applied(pipe.store)
    assert 0 < removed_before_hold <= 6
    deletes = [c for c in harness.write_calls(emulator, before) if c["status"] < 300]
    assert len(deletes) <= 6
    assert len(held) >= len(victims) - 6
    first = next(r for r in records if r["severity"] == "ERROR" and r.get("plan_id") == held[0])
    assert "max_removals_per_window=6 (window_minutes=60)" in first["message"]
    assert "removals/demotions applied in the last 60 minutes" in first["message"]
    assert first["window_count"] <= 6 and first["max_removals_per_window"] == 6
    # Tripped: a plan with a single loss is held too; every held plan is a window hold.
    assert all(pipe.store.get_doc(holding.KIND, pid)["window"] for pid in held)  # type: ignore[index]
    assert any("tripped since" in r["message"] for r in records if r["severity"] == "ERROR")

    # Adds are never held: a returning employee is added while the window is tripped.
    hire = harness.hr_message(
        email=victims[0], sequence=2000, event_id="back", message_id="m-back",
        department="Data", title="Data Engineer", org_unit_path="/Engineering/Data",
    )  # fmt: skip
    report = pipe.handle(harness.decode(hire))
    assert "held" not in report.extra and report.results

    for pid in held:
        pipe.handle(approval(pid))
    doc = pipe.store.get_doc(window.KIND, window.KEY)
    assert doc is not None and doc["tripped_at"] is None
    assert {d["status"] for _, d in pipe.store.list_docs(holding.KIND)} == {"applied"}
    rosters = harness.rosters(emulator, [s.name for s in ruleset.spaces])
    left = {
        (space, email)
        for space, members in rosters.items()
        for email, role in members.items()
        if email in victims[1:] and email not in ruleset.protected and role != "ROLE_MANAGER"
    }
    assert left == set()


def test_the_window_drains_and_terminations_apply_again(emulator: Any) -> None:
    """Tripped, then an hour with nothing held: the next termination is applied (clock injected)."""
    pipe = harness.pipeline(emulator, windowed_rules(3))
    emulator.set_time_scale(1000)
    now = [time.time()]
    pipe.clock = lambda: now[0]
    victims = [p for p in world.people(emulator) if p not in world.ANCHORS]
    held = []
    for i, victim in enumerate(v for v in victims[:7] if v != "eva.lund@example.com"):
        report = pipe.handle(terminate(victim, f"t-{i}"))
        held += [report.extra["held"]] if "held" in report.extra else []
    assert held
    applied = losses_applied(pipe.store)
    assert applied <= 3
    now[0] += 30 * 60  # half an hour: still tripped
    assert "held" in pipe.handle(terminate(victims[8], "later-1")).extra
    now[0] += 61 * 60  # a full window since the last hold
    report = pipe.handle(terminate("eva.lund@example.com", "later-2"))  # a small footprint
    assert "held" not in report.extra
    assert losses_applied(pipe.store) > applied


def test_a_dry_run_asks_the_window_but_takes_nothing(emulator: Any) -> None:
    pipe = harness.pipeline(emulator, windowed_rules(1))
    pipe.dry_run = True
    victims = [p for p in world.people(emulator) if p not in world.ANCHORS]
    pipe.handle(terminate(victims[0], "d-1"))
    assert pipe.store.get_doc(window.KIND, window.KEY) is None
