"""``chatsync apply PLAN.json`` answers to the per-run limits: over them it refuses and names
the limit; with ``--approve`` the admin applies the reviewed plan beyond them, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES
from tests.reconcile.conftest import rosters, writes

pytestmark = pytest.mark.reconcile

PLATFORM = "spaces/AAAAplatform"
INTRUDERS = ("dev.patel@example.com", "vp.sales@example.com", "hugo.santos@example.com")


@pytest.fixture
def strict(env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo rules with max_removals_per_run: 2."""
    rules = tmp_path / "rules.yaml"
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    rules.write_text(text + "\nsafety:\n  max_removals_per_run: 2\n")
    monkeypatch.setenv("CHATSYNC_RULES_FILE", str(rules))
    return rules


def reviewed_plan(emulator: Any, cli: Any, tmp_path: Path) -> Path:
    for person in INTRUDERS:
        emulator.manual_change(PLATFORM, person, "add")
    plan = tmp_path / "plan.json"
    code, out, _ = cli("reconcile", "--out", str(plan), "--space", "platform")
    assert code == 0, out
    return plan


def test_a_reviewed_plan_over_the_run_limit_is_refused_without_approve(
    emulator: Any, cli: Any, strict: Path, tmp_path: Path
) -> None:
    """Three removals against a run limit of 2: exit 2, the limit named, nothing written,
    nothing left in the held plans."""
    plan = reviewed_plan(emulator, cli, tmp_path)
    before = len(emulator.calls())

    code, _, err = cli("apply", str(plan), "--yes")

    assert code == 2
    assert "exceed max_removals_per_run=2" in err
    assert f"chatsync apply {plan} --approve" in err
    assert writes(emulator, before) == []
    code, out, _ = cli("approve", "--list")
    assert "hold-" not in out


def test_a_reviewed_plan_applies_beyond_the_limits_with_approve(
    emulator: Any, cli: Any, strict: Path, tmp_path: Path
) -> None:
    plan = reviewed_plan(emulator, cli, tmp_path)

    code, out, err = cli("apply", str(plan), "--approve", "--yes")

    assert code == 0, out + err
    assert "held" not in out
    roster = rosters(emulator)[PLATFORM]
    assert not set(INTRUDERS) & set(roster)
    run_id = next(w for w in out.split() if w.startswith("apply-")).rstrip(":.")
    code, out, _ = cli("audit", "--run", run_id)
    assert code == 0 and all(person in out for person in INTRUDERS)


def test_a_reviewed_plan_within_the_limits_needs_no_approve(
    emulator: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.yaml"
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    rules.write_text(text + "\nsafety:\n  max_removals_per_run: 3\n")
    monkeypatch.setenv("CHATSYNC_RULES_FILE", str(rules))
    plan = reviewed_plan(emulator, cli, tmp_path)

    code, out, _ = cli("apply", str(plan), "--yes")

    assert code == 0, out
    assert not set(INTRUDERS) & set(rosters(emulator)[PLATFORM])
