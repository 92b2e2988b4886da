"""``chatsync plan --rules NEW [--against OLD] [--snapshot FILE]``: what a rules change causes,
with its reasons and the safety verdict, against the emulator or offline from a snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES
from tests.reconcile.conftest import rosters, writes
from tests.rules_ci.conftest import ENGINEERING, NARROW_ENGINEERING, edited_rules, seed_users

pytestmark = pytest.mark.rules_ci

PLATFORM = "spaces/AAAAplatform"
HELD = 4


def review(cli: Any, *args: str) -> tuple[int, dict[str, Any]]:
    """``chatsync plan ARGS --json`` -> (exit code, parsed body)."""
    code, out, err = cli("plan", *args, "--json")
    assert code in (0, HELD), err
    return code, json.loads(out)


def changes(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(op["action"], op["space"], op["person"]) for op in body["operations"]}


def test_a_prefix_change_shows_each_removal_with_the_rule_that_kept_them(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Narrowing /Engineering to /Engineering/Platform removes every Engineering member outside
    Platform (but its head, kept by title): each line says no rule selects them now and which
    rule selected them under the deployed rules."""
    new = edited_rules(tmp_path, NARROW_ENGINEERING)
    users = seed_users()
    leaving = sorted(
        email
        for email in rosters(emulator)[ENGINEERING]
        if not users[email]["org_unit_path"].startswith("/Engineering/Platform")
        and users[email].get("title") != "VP Engineering"
    )
    assert len(leaving) > 1

    code, out, _ = cli("plan", "--rules", new)

    assert code == HELD
    lines = out.splitlines()
    for email in leaving:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"  - remove   {email} "))
        reasons = lines[at + 1 : at + 3]
        assert f"no rule selects {email} in engineering" in reasons[0]
        assert reasons[1].startswith(f"        before ({DEMO_RULES}): rule 'engineering-")
        assert (
            "org_unit_path '/Engineering/" in reasons[1]
            and "starts with '/Engineering'" in (reasons[1])
        )
    assert out.count("  - remove   ") == len(leaving)
    assert f"# {ENGINEERING} (engineering)" in out


def test_drift_the_old_rules_would_repair_is_not_caused_by_the_change(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """A manual add and the demo's suspended member are removed under either rules: counted as
    not caused, never listed; the change itself is listed alone."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    _, reconcile_out, _ = cli("reconcile", "--dry-run", "--json")
    drift = changes(json.loads(reconcile_out))
    assert ("remove", PLATFORM, "dev.patel@example.com") in drift
    new = edited_rules(tmp_path, NARROW_ENGINEERING)

    _, body = review(cli, "--rules", new)

    assert not changes(body) & drift
    assert body["unchanged"] == len(drift)
    assert {op["space"] for op in body["operations"]} == {ENGINEERING}


def test_no_longer_lists_what_only_the_old_rules_would_do(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Data people join Platform under NEW: the deployed rules would remove the manually added
    one (no longer planned), and the change adds the others (caused)."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    new = edited_rules(
        tmp_path,
        (
            "    spaces: [data]\n    role: member\n",
            "    spaces: [data, platform]\n    role: member\n",
        ),
        name="data-in-platform.yaml",
    )

    code, body = review(cli, "--rules", new)

    assert [(op["action"], op["person"]) for op in body["no_longer"]] == [
        ("remove", "dev.patel@example.com")
    ]
    data_people = {e for e, u in seed_users().items() if u.get("department") == "Data"}
    added = {op["person"] for op in body["operations"] if op["action"] == "add"}
    assert added == data_people - {"dev.patel@example.com"} - set(rosters(emulator)[PLATFORM])
    assert code == 0 and body["held"] is False


def test_a_change_over_a_threshold_is_reported_as_held_with_exit_4(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Removing almost half of Engineering exceeds max_removal_percent=25: the JSON says held
    and why, the text says HELD, the exit code is 4."""
    new = edited_rules(tmp_path, NARROW_ENGINEERING)

    code, body = review(cli, "--rules", new)
    text_code, text, _ = cli("plan", "--rules", new)

    assert code == text_code == HELD
    assert body["held"] is True and body["exit_code"] == HELD
    removed = sum(1 for op in body["operations"] if op["space"] == ENGINEERING)
    size = len(rosters(emulator)[ENGINEERING])
    assert body["held_reasons"] == [
        f"{removed} of {size} members of {ENGINEERING} ({100 * removed / size:.0f}%) exceed "
        "max_removal_percent=25"
    ]
    assert "HELD: this change exceeds a safety limit" in text


def test_a_change_within_the_limits_exits_0(emulator: Any, cli: Any, tmp_path: Path) -> None:
    """A promotion of one person is no loss: planned, not held, exit 0, nothing written."""
    before = len(emulator.calls())
    new = edited_rules(
        tmp_path, ("      title: VP Sales\n", "      title: {in: [VP Sales, Account Executive]}\n")
    )

    code, body = review(cli, "--rules", new, "--against", str(DEMO_RULES))

    assert code == 0 and body["held"] is False and body["held_reasons"] == []
    assert body["operations"] and all(op["action"] == "promote" for op in body["operations"])
    assert writes(emulator, before) == []


def test_a_change_cannot_loosen_the_limits_it_is_checked_against(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Raising max_removal_percent in the same change does not let it through: the deployed
    rules' limit still holds it, and the reason says whose limit."""
    new = edited_rules(
        tmp_path, NARROW_ENGINEERING, ("max_removal_percent: 25", "max_removal_percent: 100")
    )

    code, body = review(cli, "--rules", new)

    assert code == HELD
    assert len(body["held_reasons"]) == 1
    assert body["held_reasons"][0].endswith(
        f"exceed max_removal_percent=25 (limits of {DEMO_RULES})"
    )


def test_a_plan_from_a_snapshot_equals_the_plan_against_the_emulator(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """Same operations, skips, verdict and counts offline as live; taking the snapshot writes
    nothing to Chat."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    new = edited_rules(tmp_path, NARROW_ENGINEERING)
    snapshot = tmp_path / "snapshot.json"
    before = len(emulator.calls())

    taken, message, _ = cli("snapshot", "--out", str(snapshot))
    _, live = review(cli, "--rules", new)
    _, offline = review(cli, "--rules", new, "--snapshot", str(snapshot))

    assert taken == 0 and f"Wrote {snapshot}" in message
    assert writes(emulator, before) == []
    same = ("operations", "skipped", "summary", "no_longer", "unchanged", "held", "held_reasons")
    assert {k: offline[k] for k in same} == {k: live[k] for k in same}
    assert offline["operations"]
    assert offline["facts"]["source"] == "snapshot" and live["facts"]["source"] == "live"


LISBON = "spaces/AAAAlisbon"
WITHOUT_LISBON = (
    (
        "  - id: lisbon\n    name: spaces/AAAAlisbon\n    mode: authoritative\n"
        "    description: Members of the lisbon-office Google Group.\n",
        "",
    ),
    (
        "  - id: lisbon-office\n    spaces: [lisbon]\n    role: member\n    when:\n"
        "      group: lisbon-office@example.com\n\n",
        "",
    ),
    (
        "  - id: lisbon-host\n    spaces: [lisbon]\n    role: owner\n    when:\n"
        "      title: Head of People\n\n",
        "",
    ),
)
"""The demo rules before Lisbon was managed."""


def test_a_space_missing_from_the_snapshot_holds_the_change(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """NEW manages a space the snapshot (taken under the deployed rules) never read: the change
    is held, its removals there cannot be counted; a snapshot taken with --also-rules NEW
    covers it."""
    deployed = edited_rules(tmp_path, *WITHOUT_LISBON, name="deployed.yaml")
    narrow, wide = tmp_path / "narrow.json", tmp_path / "wide.json"
    cli("snapshot", "--out", str(narrow), "--rules", deployed)
    cli("snapshot", "--out", str(wide), "--rules", deployed, "--also-rules", str(DEMO_RULES))
    proposal = ("--rules", str(DEMO_RULES), "--against", deployed)

    code, missing = review(cli, *proposal, "--snapshot", str(narrow))
    covered_code, covered = review(cli, *proposal, "--snapshot", str(wide))

    assert code == HELD and missing["unknown_spaces"] == [LISBON]
    assert missing["held_reasons"] == [
        f"{LISBON} is not in the snapshot: its roster is unknown, so the removals there "
        "cannot be counted"
    ]
    assert covered_code == 0 and covered["unknown_spaces"] == []


def test_a_broken_snapshot_is_refused_naming_the_file_and_the_field(
    emulator: Any, cli: Any, tmp_path: Path
) -> None:
    """A member with an API role enum instead of chatsync's word: exit 2, and the error names
    the file and the field path; a newer version is refused, not half read."""
    snapshot = tmp_path / "snapshot.json"
    cli("snapshot", "--out", str(snapshot))
    document = json.loads(snapshot.read_text())
    document["spaces"][1]["members"][2]["role"] = "ROLE_MANAGER"
    snapshot.write_text(json.dumps(document))
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**document, "version": 2}))
    new = edited_rules(tmp_path, NARROW_ENGINEERING)

    code, _, err = cli("plan", "--rules", new, "--snapshot", str(snapshot))
    future_code, _, future_err = cli("plan", "--rules", new, "--snapshot", str(future))

    assert code == 2
    assert f"{snapshot}: spaces[1].members[2].role: 'ROLE_MANAGER' is not one of" in err
    assert future_code == 2 and f"{future}: version: version 2 is not one this" in future_err


def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    from chatsync.tools.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_plan_and_snapshot_help_document_the_new_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`chatsync plan --help` documents both modes, the new options and exit code 4;
    `chatsync snapshot --help` documents --out, --also-rules and the bucket setting."""
    plan_help = help_of("plan", capsys)
    snapshot_help = help_of("snapshot", capsys)

    for needle in (
        "--rules",
        "--against OLD.yaml",
        "--snapshot FILE",
        "MESSAGES",
        "4 rules review",
    ):
        assert needle in plan_help
    for needle in ("--out FILE", "--also-rules RULES", "CHATSYNC_SNAPSHOT_URI"):
        assert needle in snapshot_help
