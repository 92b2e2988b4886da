"""The ``chatsync`` console script: help, check, plan and replay, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "functions" / "chatsync" / "samples" / "demo" / "story"


def chatsync(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "chatsync.tools.cli", *args],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_contract_command():
    """`chatsync --help` lists check, plan, replay, emulator and demo."""
    result = chatsync("--help")
    assert result.returncode == 0
    for command in ("check", "plan", "replay", "emulator", "demo"):
        assert f"    {command}" in result.stdout


def test_check_accepts_the_shipped_rules():
    """The rules file that ships with the functions validates."""
    result = chatsync("check", str(ROOT / "functions" / "rules.yaml"))
    assert result.returncode == 0, result.stderr
    assert "ok: 7 managed spaces" in result.stdout


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "rules:\n  - id: r1\n    spaces: [s]\n    role: ROLE_MANAGER\n    when: {title: x}\n",
            "rule 'r1': role",
        ),
        (
            "rules:\n  - id: r1\n    spaces: [nowhere]\n    role: owner\n    when: {title: x}\n",
            "rule 'r1': spaces",
        ),
        (
            "rules:\n  - id: r1\n    spaces: [s]\n    role: owner\n    when: {titel: x}\n",
            "rule 'r1': when",
        ),
    ],
)
def test_check_names_file_rule_and_field(tmp_path, body, expected):
    """A bad rules file exits 2 with file, rule id and field in the message."""
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nspaces:\n  - {id: s, name: spaces/AAAA, mode: additive}\n" + body)
    result = chatsync("check", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr or "bad.yaml" in result.stderr
    assert expected in result.stderr


def test_plan_prints_a_terraform_like_plan_and_writes_nothing(emulator, chatsync_env):
    """`chatsync plan` decodes messages, reads live state and prints the plan; no writes."""
    result = chatsync("plan", str(STORY / "07-termination.json"), env=chatsync_env)
    assert result.returncode == 0, result.stderr
    assert "- remove   leaver@example.com" in result.stdout
    assert "Plan: 0 to add, 0 to promote, 0 to demote, 2 to remove" in result.stdout
    assert not [c for c in emulator.calls() if c["method"].endswith(("create", "patch", "delete"))]


def test_plan_json_lists_operations_and_rejected_messages(emulator, chatsync_env):
    """`--json` gives operations with API roles, and malformed messages under `rejected`."""
    result = chatsync(
        "plan",
        "--json",
        str(STORY / "01-hire.json"),
        str(STORY / "09-malformed.json"),
        env=chatsync_env,
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["summary"]["add"] == 3
    assert {op["api_role"] for op in body["operations"]} == {"ROLE_MEMBER"}
    (rejected,) = body["rejected"]
    assert "employment_status" in rejected["error"]


def test_replay_in_process_applies_the_story(emulator, chatsync_env):
    """`chatsync replay FILES` runs the function's own code path in process."""
    result = chatsync(
        "replay", str(STORY / "01-hire.json"), str(STORY / "08-duplicate.json"), env=chatsync_env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("<-- 200 ack") == 2
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    assert any(
        m.get("email") == "ana.silva@example.com"
        for m in spaces["spaces/AAAAplatform"]["memberships"]
    )
