"""Reviewed plans (apply exactly them, or refuse naming what moved) and reverting a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.reconcile.conftest import rosters, writes

pytestmark = pytest.mark.reconcile

PLATFORM = "spaces/AAAAplatform"
DATA = "spaces/AAAAdata"


def drift(emulator: Any) -> None:
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    emulator.manual_change(PLATFORM, "eva.lund@example.com", "remove")


def test_a_reviewed_plan_is_refused_after_the_state_moved(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Someone changes a planned membership by hand: apply names it and writes nothing."""
    drift(emulator)
    plan = tmp_path / "plan.json"
    code, out, _ = cli("reconcile", "--out", str(plan))
    assert code == 0 and f"chatsync apply {plan}" in out
    saved = json.loads(plan.read_text())
    tom = next(op for op in saved["operations"] if op["person"] == "tom.berg@example.com")
    assert tom["premise"] == {
        "role": "manager",
        "state": "JOINED",
        "membership": tom["membership"],
    }
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "owner")
    before = len(emulator.calls())

    code, _, err = cli("apply", str(plan), "--yes")

    assert code == 2
    assert "tom.berg@example.com in spaces/AAAAplatform: was manager (JOINED) when planned" in err
    assert "now owner (JOINED)" in err
    assert writes(emulator, before) == []


def test_a_reviewed_plan_applies_exactly_its_operations(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Drift elsewhere after review is not swept in: only the reviewed operations are applied."""
    drift(emulator)
    plan = tmp_path / "plan.json"
    cli("reconcile", "--out", str(plan), "--space", "platform")
    emulator.manual_change(DATA, "vp.sales@example.com", "add")

    code, out, _ = cli("apply", str(plan), "--yes")

    assert code == 0, out
    assert "unchanged since it was made" in out
    roster = rosters(emulator)
    assert "dev.patel@example.com" not in roster[PLATFORM]
    assert roster[PLATFORM]["tom.berg@example.com"] == "ROLE_MEMBER"
    assert roster[DATA]["vp.sales@example.com"] == "ROLE_MEMBER"
    assert len(writes(emulator)) == 3


def _run_id(out: str) -> str:
    return next(w for w in out.split() if w.startswith("reconcile-")).rstrip(":.")


def test_a_revert_restores_the_rosters_from_before_a_run(emulator: Any, cli: Any) -> None:
    """reconcile, then revert RUN --apply: every managed space is back as it was."""
    drift(emulator)
    emulator.manual_change(DATA, "nina.roth@example.com", "add", "owner")
    emulator.manual_change(DATA, "li.wei@example.com", "role", "member")
    before = rosters(emulator)
    code, out, _ = cli("reconcile", "--yes")
    assert code == 0
    run = _run_id(out)
    assert rosters(emulator) != before

    shown, preview, _ = cli("revert", run)
    calls = len(emulator.calls())
    assert shown == 0 and "Nothing applied" in preview
    assert f"revert run {run}: it did" in preview
    code, out, _ = cli("revert", run, "--apply", "--yes")

    assert code == 0, out
    assert rosters(emulator) == before
    assert len(writes(emulator, calls)) >= 5


def test_revert_shows_the_plan_and_writes_nothing_without_apply(emulator: Any, cli: Any) -> None:
    """A revert is reviewed first: without --apply not one write."""
    drift(emulator)
    _, out, _ = cli("reconcile", "--yes")
    run = _run_id(out)
    before = len(emulator.calls())

    code, out, _ = cli("revert", run, "--json")

    body = json.loads(out)
    assert code == 0 and body["applied"] is False
    assert {op["person"] for op in body["operations"]} == {
        "dev.patel@example.com",
        "tom.berg@example.com",
        "eva.lund@example.com",
        "old.timer@example.com",
    }
    assert writes(emulator, before) == []


def test_revert_leaves_alone_what_moved_since(emulator: Any, cli: Any) -> None:
    """A membership changed after the run is skipped (not clobbered); the rest is reverted."""
    drift(emulator)
    _, out, _ = cli("reconcile", "--yes")
    run = _run_id(out)
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "owner")

    code, out, _ = cli("revert", run, "--apply", "--yes")

    assert code == 0
    assert "changed since run" in out and "tom.berg@example.com" in out
    roster = rosters(emulator)[PLATFORM]
    assert roster["tom.berg@example.com"] == "ROLE_MANAGER"
    assert roster["dev.patel@example.com"] == "ROLE_MEMBER"
    assert "eva.lund@example.com" not in roster


def test_revert_of_an_unknown_run_is_an_error(emulator: Any, cli: Any) -> None:
    code, _, err = cli("revert", "reconcile-nope")
    assert code == 2 and "no audit entries" in err
