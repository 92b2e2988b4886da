"""One unreachable managed space never loses the others' changes (issue 12, item 11).

The reproduction from the issue, as a user runs it: one rules space renamed to a space that does
not exist, the demo emulator, ``chatsync replay`` of a hire and a termination (neither person
belongs to that space), then ``chatsync reconcile``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES
from tests.integration.test_cli import chatsync

ROOT = Path(__file__).resolve().parents[2]
HR = ROOT / "functions" / "chatsync" / "samples" / "messages" / "hr"
MISSING = "spaces/AAAAnosuchspace"


@pytest.fixture
def broken_rules(tmp_path: Path) -> Path:
    """The demo rules with the Data space renamed to a space that does not exist."""
    text = DEMO_RULES.read_text(encoding="utf-8")
    assert "name: spaces/AAAAdata\n" in text
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace("name: spaces/AAAAdata\n", f"name: {MISSING}\n"), "utf-8")
    return path


def members(emulator: Any, space: str) -> dict[str, str]:
    state = {s["name"]: s for s in emulator.state()["spaces"]}
    return {m["email"]: m["role"] for m in state[space]["memberships"] if m.get("email")}


def broken_records(state_path: str) -> dict[str, dict[str, Any]]:
    from chatsync.adapters.store.sqlite import SqliteStore
    from chatsync.app import broken

    return dict(broken.listed(SqliteStore(state_path)))


def test_replayed_events_apply_to_the_healthy_spaces_and_report_the_missing_one(
    emulator: Any, chatsync_env: dict[str, str], broken_rules: Path
) -> None:
    """Both events are acked with their changes applied everywhere else; the missing space is
    logged at ERROR with its fix and recorded with the two people whose changes wait there."""
    env = {**chatsync_env, "CHATSYNC_RULES_FILE": str(broken_rules), "CHATSYNC_LOG_FORMAT": "json"}
    result = chatsync("replay", str(HR / "01-hired.json"), str(HR / "10-terminated.json"), env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("<-- 200 ack") == 2
    assert "event dropped" not in result.stdout
    assert "ana.silva@example.com" in members(emulator, "spaces/AAAAplatform")
    assert "ana.silva@example.com" in members(emulator, "spaces/AAAAengineering")
    assert "leaver@example.com" not in members(emulator, "spaces/AAAAsales")
    errors = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if line.startswith("{") and '"ERROR"' in line
    ]
    skipped = [e for e in errors if e.get("space") == MISSING]
    assert len(skipped) == 2, errors
    assert all("rules file" in e["fix"] for e in skipped)
    record = broken_records(chatsync_env["CHATSYNC_STATE_PATH"])[MISSING]
    assert record["status"] == 404
    assert set(record["pending"]) == {"ana.silva@example.com", "leaver@example.com"}
    assert record["count"] == 2


def test_reconcile_applies_every_healthy_space_and_exits_non_zero_naming_the_missing_one(
    emulator: Any, chatsync_env: dict[str, str], broken_rules: Path
) -> None:
    """The full reconcile converges every other space and fails naming the missing one; the
    next run finds nothing left to do anywhere else."""
    env = {**chatsync_env, "CHATSYNC_RULES_FILE": str(broken_rules)}
    chatsync("replay", str(HR / "01-hired.json"), str(HR / "10-terminated.json"), env=env)

    first = chatsync("reconcile", "--json", "--yes", env=env)

    assert first.returncode == 1, first.stdout + first.stderr
    body = json.loads(first.stdout)
    assert [b["space"] for b in body["broken_spaces"]] == [MISSING]
    assert body["broken_spaces"][0]["status"] == 404
    assert body["operations"], "the demo org starts with differences the reconcile applies"
    assert body["outcomes"]["applied"] == len(body["operations"])
    assert MISSING in first.stderr
    again = chatsync("reconcile", "--dry-run", "--json", env=env)
    assert again.returncode == 1
    rerun = json.loads(again.stdout)
    assert rerun["operations"] == []
    assert [b["space"] for b in rerun["broken_spaces"]] == [MISSING]


def test_a_space_dropped_from_the_rules_closes_its_record(
    emulator: Any, chatsync_env: dict[str, str], broken_rules: Path
) -> None:
    """Once the rules no longer name the missing space, the full reconcile closes its record."""
    env = {**chatsync_env, "CHATSYNC_RULES_FILE": str(broken_rules)}
    chatsync("replay", str(HR / "01-hired.json"), env=env)
    assert MISSING in broken_records(chatsync_env["CHATSYNC_STATE_PATH"])

    fixed = chatsync(
        "reconcile", "--yes", env={**chatsync_env, "CHATSYNC_RULES_FILE": str(DEMO_RULES)}
    )

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert MISSING not in broken_records(chatsync_env["CHATSYNC_STATE_PATH"])


def handle(app: Any, path: Path) -> Any:
    from chatsync.domain import events, messages

    (message,) = messages.load([path])
    reports = [app.handle(event) for event in events.decode_message(message.to_pubsub())]
    return reports[-1]


def test_a_write_refused_with_403_skips_that_space_and_acks_the_event(
    emulator: Any, make_app: Any
) -> None:
    """A 403 on one add is recorded for the reconcile and counted; the other adds land and the
    event is not sent back for redelivery (nothing retryable is pending)."""
    from chatsync.app import broken

    app = make_app()
    emulator.fail_next("spaces.members.create", 1, status=403)

    report = handle(app, HR / "01-hired.json")

    assert report.broken and len(report.broken) == 1
    assert report.summary()["broken_spaces"] == 1
    assert not report.retryable_failures
    assert report.summary()["applied"] >= 2
    ((space, record),) = broken.listed(app.store)
    assert space == report.broken[0]
    assert record["status"] == 403 and record["pending"] == ["ana.silva@example.com"]
    assert "auth_mode=admin" in record["fix"]  # the demo runs in app mode


def test_a_space_that_answers_again_is_applied_by_the_reconcile_and_healed(
    emulator: Any, make_app: Any
) -> None:
    """The reconcile applies the change the event could not make, and closes the record (the
    HR bridge wrote the hire to the Directory, which the full reconcile reads)."""
    from chatsync.app import broken
    from chatsync.domain import messages
    from chatsync.tools.demo import directory_side_effects

    app = make_app()
    (hire,) = messages.load([HR / "01-hired.json"])
    directory_side_effects(emulator, hire, {})
    emulator.fail_next("spaces.members.create", 1, status=403)
    report = handle(app, HR / "01-hired.json")
    (space,) = report.broken

    app.reconcile_all(run_id="after-fix", log=app.log)

    assert broken.listed(app.store) == []
    assert "ana.silva@example.com" in members(emulator, space)
    ((_, closed),) = app.store.list_docs(broken.KIND)
    assert closed["healed_by"] == "after-fix"


def test_a_retryable_failure_is_still_redelivered(emulator: Any, make_app: Any) -> None:
    """A 503 that outlasts the retries is not a broken space: the event goes back to Pub/Sub."""
    from chatsync.domain import errors

    app = make_app(max_attempts=1)
    emulator.fail_next("spaces.members.create", 100, status=503)

    with pytest.raises(errors.RetryableError):
        handle(app, HR / "01-hired.json")
    assert list(app.store.list_docs("broken_spaces")) == []
