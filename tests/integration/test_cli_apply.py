"""Terraform-style apply: the plan, then the question on a terminal; ``--yes`` skips it; no
terminal and no ``--yes`` writes nothing and exits 2. Colour and a progress bar on a terminal
only. Held plans are shown in full before anyone approves them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import DEMO_RULES, DEMO_SEED
from tests.integration.running import chatsync, on_terminal

PLATFORM = "spaces/AAAAplatform"
WRITES = ("spaces.members.create", "spaces.members.patch", "spaces.members.delete")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[0-9;]+)m")
"""An escape sequence that sets a foreground colour (bold or dim alone is not colour)."""


def writes(emulator: Any) -> list[dict[str, Any]]:
    return [c for c in emulator.calls() if c["method"] in WRITES]


def drift(emulator: Any) -> None:
    """Two manual changes a reconcile takes back: one removal, one demotion."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")


def test_reconcile_without_a_terminal_or_yes_prints_the_plan_writes_nothing_exits_2(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """Piped stdin and no --yes: the plan is shown, not one write is sent, exit 2."""
    drift(emulator)

    result = chatsync("reconcile", env=chatsync_env)

    assert result.returncode == 2, result.stderr
    assert "- remove   dev.patel@example.com" in result.stdout
    assert "Run again with --yes" in result.stderr
    assert writes(emulator) == []


def test_reconcile_json_without_yes_prints_the_plan_as_json_and_exits_2(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """Scripts get the plan they would have applied, and nothing is applied."""
    drift(emulator)

    result = chatsync("reconcile", "--json", env=chatsync_env)

    assert result.returncode == 2
    body = json.loads(result.stdout)
    assert ("remove", "dev.patel@example.com") in {
        (op["action"], op["person"]) for op in body["operations"]
    }
    assert writes(emulator) == []


def test_on_a_terminal_reconcile_asks_and_anything_but_yes_changes_nothing(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """Answering "y" is not "yes": apply cancelled, exit 1, no write."""
    drift(emulator)

    session = on_terminal("reconcile", env=chatsync_env, answer="y")

    assert session.returncode == 1, session.output
    assert "Do you want to apply these" in session.output
    assert "Apply cancelled" in session.output
    assert writes(emulator) == []


def test_on_a_terminal_yes_applies_and_the_plan_is_in_colour(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """ "yes" applies the plan shown; the removal line was red, the run id says how to undo."""
    drift(emulator)

    session = on_terminal("reconcile", env=chatsync_env, answer="yes")

    assert session.returncode == 0, session.output
    assert writes(emulator)
    assert COLOUR.search(session.output)
    assert "Undo it: chatsync revert reconcile-" in session.output


def test_no_color_keeps_a_terminal_free_of_colour(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """NO_COLOR set: the same plan and question, without a colour code."""
    drift(emulator)

    session = on_terminal("reconcile", env={**chatsync_env, "NO_COLOR": "1"}, answer="no")

    assert "- remove   dev.patel@example.com" in session.output
    assert not COLOUR.search(session.output)


def test_piped_output_has_no_escape_codes(emulator: Any, chatsync_env: dict[str, str]) -> None:
    """Piped (a script, a log file): plain text on both streams."""
    drift(emulator)

    result = chatsync("reconcile", "--yes", env=chatsync_env)

    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout + result.stderr


def test_a_long_apply_shows_a_progress_bar_on_a_terminal(
    emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """Twenty new engineers (forty adds): the terminal shows an "applying" bar while it runs."""
    seed = yaml.safe_load(DEMO_SEED.read_text())
    seed["directory"]["users"] += [
        {"email": f"new{i:02d}@example.com", "name": f"New {i}", "org_unit_path": "/Engineering"}
        for i in range(20)
    ]
    emulator.reset(seed)
    emulator.set_random_faults(0.0, latency=0.05, methods=["spaces.members.create"])
    env = {**chatsync_env, "CHATSYNC_WRITES_PER_MINUTE": "6000"}

    session = on_terminal("reconcile", env=env, answer="yes")

    assert session.returncode == 0, session.output
    assert "applying" in session.output
    assert len([c for c in writes(emulator) if c["method"] == "spaces.members.create"]) >= 40


def test_apply_revert_and_approve_need_yes_without_a_terminal(
    emulator: Any, chatsync_env: dict[str, str], tmp_path: Path
) -> None:
    """The same rule for every command that writes: no terminal, no --yes, no write, exit 2."""
    drift(emulator)
    plan = tmp_path / "plan.json"
    assert chatsync("reconcile", "--out", str(plan), env=chatsync_env).returncode == 0
    applied = chatsync("apply", str(plan), env=chatsync_env)
    assert applied.returncode == 2 and writes(emulator) == []

    done = chatsync("reconcile", "--yes", env=chatsync_env)
    run = re.search(r"Run (reconcile-\S+):", done.stdout)
    assert run is not None, done.stdout
    before = len(writes(emulator))
    reverted = chatsync("revert", run.group(1), "--apply", env=chatsync_env)

    assert reverted.returncode == 2, reverted.stderr
    assert "Run again with --yes" in reverted.stderr
    assert len(writes(emulator)) == before


@pytest.fixture
def held(emulator: Any, chatsync_env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], str]:
    """A reconcile held by max_removals_per_run: 1 (the env, and the held plan's id)."""
    rules = tmp_path / "strict.yaml"
    text = DEMO_RULES.read_text().split("\nsafety:")[0]
    rules.write_text(text + "\nsafety:\n  max_removals_per_run: 1\n")
    env = {**chatsync_env, "CHATSYNC_RULES_FILE": str(rules)}
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "hugo.santos@example.com", "add")
    result = chatsync("reconcile", "--yes", env=env)
    found = re.search(r"chatsync approve --show (hold-\w+)", result.stderr)
    assert found is not None, result.stdout + result.stderr
    return env, found.group(1)


def test_approve_list_is_a_table_with_headers(held: tuple[dict[str, str], str]) -> None:
    """--list: one row per held plan under named columns, and how to see one in full."""
    env, plan_id = held

    result = chatsync("approve", "--list", env=env)

    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header[:2] == ["plan", "status"] and "why" in header
    assert plan_id in result.stdout and "max_removals_per_run=1" in result.stdout
    assert "chatsync approve --show PLAN_ID" in result.stdout


def test_approve_show_prints_who_where_before_after_and_why_and_applies_nothing(
    emulator: Any, held: tuple[dict[str, str], str]
) -> None:
    """--show: each person, space, role before -> after and rule, and the limit that held it."""
    env, plan_id = held
    before = len(writes(emulator))

    result = chatsync("approve", "--show", plan_id, env=env)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Held plan {plan_id}" in out
    assert "why held: " in out and "max_removals_per_run=1" in out
    assert "# spaces/AAAAplatform (platform)" in out
    assert re.search(r"- remove\s+dev\.patel@example\.com\s+was member", out)
    assert "no rule selects dev.patel@example.com in platform" in out
    assert f"Approve it: chatsync approve {plan_id}" in out
    assert len(writes(emulator)) == before


def test_approve_shows_the_plan_then_needs_yes_and_names_what_it_applied(
    emulator: Any, held: tuple[dict[str, str], str]
) -> None:
    """Without --yes (no terminal) nothing is applied; with it, each change is named."""
    env, plan_id = held
    before = len(writes(emulator))

    refused = chatsync("approve", plan_id, env=env)
    assert refused.returncode == 2 and f"Held plan {plan_id}" in refused.stdout
    assert len(writes(emulator)) == before

    result = chatsync("approve", plan_id, "--yes", env=env)

    assert result.returncode == 0, result.stderr
    assert "applied: remove dev.patel@example.com from spaces/AAAAplatform" in result.stdout
    assert len(writes(emulator)) > before


def test_approving_an_unknown_plan_names_the_command_that_lists_them(
    held: tuple[dict[str, str], str],
) -> None:
    """A typo in a plan id says how to find the right one."""
    env, _ = held

    result = chatsync("approve", "hold-typo", "--yes", env=env)

    assert result.returncode == 2
    assert "no held plan 'hold-typo'" in result.stderr
    assert "chatsync approve --list" in result.stderr


def test_an_approval_stopped_before_it_finished_leaves_the_plan_waiting(
    emulator: Any, held: tuple[dict[str, str], str]
) -> None:
    """Stopped (Ctrl-C) before any change: the plan is not marked applied; approving again
    finishes it."""
    import threading

    from tests.conftest import build_app

    from chatsync.adapters.store.sqlite import SqliteStore
    from chatsync.app.executing import Controls
    from chatsync.domain import holding

    env, plan_id = held
    store = SqliteStore(env["CHATSYNC_STATE_PATH"])
    app = build_app(emulator.url, store=store, rules_file=env["CHATSYNC_RULES_FILE"])
    stop = threading.Event()
    stop.set()
    app.controls = Controls(stop=stop)

    report = app.approve(plan_id, log=app.log, approved_by="alice")

    assert report.results and report.retryable_failures == report.results
    assert (store.get_doc(holding.KIND, plan_id) or {})["status"] == holding.APPROVED
    assert chatsync("approve", plan_id, "--yes", env=env).returncode == 0
    assert (store.get_doc(holding.KIND, plan_id) or {})["status"] == holding.APPLIED
