"""Held plans end to end: the pipeline holds, records and acks; only an approval releases."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from chaos import harness
from chatsync.domain import errors, events, holding
from chatsync.domain.events import EventMeta, ReconcileTick
from chatsync.domain.rules import load_rules_text
from conftest import DEMO_RULES, DEMO_SEED

RAJ = "raj.mehta@example.com"


def strict_rules(**limits: int) -> Any:
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    body = "".join(f"  {k}: {v}\n" for k, v in limits.items())
    return load_rules_text(text + "\nsafety:\n" + body)


def terminate(email: str, seq: int = 100, eid: str = "t-1") -> events.Event:
    return harness.decode(
        harness.hr_message(
            email=email,
            sequence=seq,
            event_id=eid,
            message_id=f"m-{eid}",
            status="terminated",
            event_type="person.terminated",
        )
    )


def approval(plan_id: str) -> ReconcileTick:
    from datetime import UTC, datetime

    meta = EventMeta("m-approve", "m-approve", "approve", datetime.now(UTC))
    return ReconcileTick(meta=meta, approve_plan=plan_id)


def test_a_plan_over_the_event_limit_is_held_logged_stored_and_acked(emulator: Any) -> None:
    """Nothing is written; an ERROR record names the plan; the store keeps its operations."""
    records: list[dict[str, Any]] = []
    pipe = harness.pipeline(emulator, strict_rules(max_removals_per_event=1), records=records)
    before = len(emulator.calls())
    report = pipe.handle(terminate(RAJ))
    plan_id = report.extra["held"]
    assert harness.write_calls(emulator, before) == []
    doc = pipe.store.get_doc(holding.KIND, str(plan_id))
    assert doc is not None and doc["status"] == "held"
    assert {op["action"] for op in doc["operations"]} <= {"remove", "demote"}
    assert len(doc["operations"]) >= 2
    (held,) = [r for r in records if r["severity"] == "ERROR" and r.get("plan_id") == plan_id]
    assert "max_removals_per_event=1" in held["message"]
    assert pipe.store.is_processed("t-1")
    assert pipe.handle(terminate(RAJ))
    assert harness.write_calls(emulator, before) == []


def test_an_approval_message_releases_the_held_plan_once(emulator: Any) -> None:
    """The reconcile-topic approval applies it; a second approval does nothing."""
    pipe = harness.pipeline(emulator, strict_rules(max_removals_per_event=1))
    plan_id = str(pipe.handle(terminate(RAJ)).extra["held"])
    before = len(emulator.calls())
    report = pipe.handle(approval(plan_id))
    applied = [r for r in report.results if r.outcome.value == "applied"]
    doc = pipe.store.get_doc(holding.KIND, plan_id)
    assert doc is not None and doc["status"] == "applied"
    assert len(harness.write_calls(emulator, before)) == len(applied) == len(doc["operations"])
    rosters = harness.rosters(emulator, ["spaces/AAAAengineering", "spaces/AAAAmanagers"])
    assert all(RAJ not in members for members in rosters.values())
    again = pipe.approve(plan_id, log=pipe.log)
    assert again.extra == {"already_applied": True}


def test_an_approval_skips_what_a_newer_event_superseded(emulator: Any) -> None:
    """Held termination, then the HR feed corrects itself: approving removes nobody."""
    pipe = harness.pipeline(emulator, strict_rules(max_removals_per_event=1))
    plan_id = str(pipe.handle(terminate(RAJ)).extra["held"])
    fixed = harness.hr_message(
        email=RAJ,
        sequence=101,
        event_id="t-2",
        message_id="m-2",
        department="Platform",
        title="Engineering Manager",
        org_unit_path="/Engineering/Platform",
        is_people_manager=True,
        job_level="M1",
    )
    pipe.handle(harness.decode(fixed))
    before = len(emulator.calls())
    report = pipe.approve(plan_id, log=pipe.log)
    assert harness.write_calls(emulator, before) == []
    assert all("superseded" in s.why for s in report.skipped)


def test_percent_limit_holds_a_full_run_that_removes_too_much_of_a_space(emulator: Any) -> None:
    """A group feed that loses everyone would empty Lisbon: the run is held, by percent."""
    pipe = harness.pipeline(
        emulator,
        strict_rules(
            max_removals_per_run=1000, max_removal_percent=10, min_space_size_for_percent=3
        ),
    )
    seed = yaml.safe_load(DEMO_SEED.read_text())
    for group in seed["directory"]["groups"]:
        if group["email"] == "lisbon-office@example.com":
            group["members"] = []  # the group feed lost everyone: Lisbon would be emptied
    emulator.reset(seed)
    report = pipe.reconcile_all(run_id="run-1", log=pipe.log)
    doc = pipe.store.get_doc(holding.KIND, str(report.extra["held"]))
    assert doc is not None and doc["scope"] == "run"
    assert any("max_removal_percent" in r for r in doc["reasons"])


def test_approving_an_unknown_plan_is_a_permanent_error(emulator: Any) -> None:
    """A typo in a plan id is acked with a reason, not retried for a week."""
    pipe = harness.pipeline(emulator, strict_rules())
    with pytest.raises(errors.PlanRefused):
        pipe.handle(approval("hold-nope"))


def test_chatsync_approve_lists_and_releases_a_held_plan(
    emulator: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI shares the state file: --list shows the plan, approving applies it."""
    from chatsync.adapters.store.sqlite import SqliteStore
    from chatsync.tools import cli

    state = tmp_path / "state.sqlite3"
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        DEMO_RULES.read_text().split("\nsafety:")[0] + "\nsafety:\n  max_removals_per_event: 1\n"
    )
    pipe = harness.pipeline(emulator, load_rules_text(rules.read_text()))
    pipe.store = SqliteStore(str(state))
    plan_id = str(pipe.handle(terminate(RAJ)).extra["held"])
    flags = ["--endpoint", emulator.url, "--token", "app", "--state", str(state)]
    flags += ["--rules", str(rules)]
    assert cli.main(["approve", "--list", *flags]) == 0
    assert plan_id in capsys.readouterr().out
    before = len(emulator.calls())
    assert cli.main(["approve", plan_id, "--by", "alice", "--yes", *flags]) == 0
    assert harness.write_calls(emulator, before)
    doc = SqliteStore(str(state)).get_doc(holding.KIND, plan_id)
    assert doc is not None and doc["status"] == "applied" and doc["approved_by"] == "alice"
