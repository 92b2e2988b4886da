"""One way to find the rules and the state (flag, environment, chatsync.toml upward from the
current directory), shown before a command writes; the demo's rules are never a default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES
from tests.integration.running import chatsync


@pytest.fixture
def bare(emulator: Any) -> dict[str, str]:
    """The emulator's endpoint and token, and neither rules nor state from the environment."""
    return {
        "CHATSYNC_CHAT_ENDPOINT": emulator.url,
        "CHATSYNC_DIRECTORY_ENDPOINT": emulator.url,
        "CHATSYNC_ACCESS_TOKEN": "app",
        "CHATSYNC_RULES_FILE": "",
        "CHATSYNC_STATE_PATH": "",
        "CHATSYNC_STATE_BACKEND": "sqlite",
    }


def test_leaving_out_the_rules_is_an_error_that_says_how_to_name_them(
    bare: dict[str, str], tmp_path: Path
) -> None:
    """No --rules, no variable, no chatsync.toml: exit 2 and the three ways; nothing read."""
    result = chatsync("reconcile", "--dry-run", env=bare, cwd=tmp_path)

    assert result.returncode == 2
    for way in ("--rules FILE", "CHATSYNC_RULES_FILE", "chatsync.toml"):
        assert way in result.stderr
    assert "Plan:" not in result.stdout


def test_chatsync_toml_is_found_from_a_subdirectory_and_shown(
    bare: dict[str, str], tmp_path: Path
) -> None:
    """rules relative to the file; the state beside it by default; both printed first."""
    (tmp_path / "rules.yaml").write_text(DEMO_RULES.read_text())
    (tmp_path / "chatsync.toml").write_text('rules = "rules.yaml"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)

    result = chatsync("reconcile", "--yes", env=bare, cwd=deep)

    assert result.returncode == 0, result.stderr
    toml = tmp_path / "chatsync.toml"
    lines = result.stderr.splitlines()
    assert lines[0] == f"rules: {tmp_path / 'rules.yaml'} (from {toml})"
    assert lines[1] == f"state: {tmp_path / '.chatsync' / 'state.sqlite3'} (from {toml})"
    assert (tmp_path / ".chatsync" / "state.sqlite3").is_file()
    assert not (deep / ".chatsync").exists()


def test_a_flag_beats_the_environment_which_beats_chatsync_toml(
    bare: dict[str, str], tmp_path: Path
) -> None:
    """The banner names where each came from."""
    (tmp_path / "chatsync.toml").write_text('rules = "missing.yaml"\nstate = "toml.sqlite3"\n')
    env = {**bare, "CHATSYNC_STATE_PATH": str(tmp_path / "env.sqlite3")}

    result = chatsync("reconcile", "--yes", "--rules", str(DEMO_RULES), env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"rules: {DEMO_RULES} (from --rules)" in result.stderr
    assert f"state: {tmp_path / 'env.sqlite3'} (from CHATSYNC_STATE_PATH)" in result.stderr
    assert (tmp_path / "env.sqlite3").is_file() and not (tmp_path / "toml.sqlite3").exists()


def test_audit_from_another_directory_does_not_start_an_empty_state(
    bare: dict[str, str], tmp_path: Path
) -> None:
    """No state found: an error, not "No audit entries match." and a new .chatsync/ here."""
    result = chatsync("audit", env=bare, cwd=tmp_path)

    assert result.returncode == 2
    assert "no state file" in result.stderr and "--state FILE" in result.stderr
    assert not (tmp_path / ".chatsync").exists()


def test_audit_of_a_state_that_is_not_there_names_the_path(
    bare: dict[str, str], tmp_path: Path
) -> None:
    """A mistyped --state is a wrong path, not an empty trail; nothing is created."""
    missing = tmp_path / "typo.sqlite3"

    result = chatsync("audit", "--state", str(missing), env=bare, cwd=tmp_path)

    assert result.returncode == 2
    assert f"no state at {missing} (from --state)" in result.stderr
    assert not missing.exists()


def test_an_unknown_key_in_chatsync_toml_is_named(bare: dict[str, str], tmp_path: Path) -> None:
    """The file and the key, and the keys it may hold."""
    (tmp_path / "chatsync.toml").write_text('rulez = "rules.yaml"\n')

    result = chatsync("audit", env=bare, cwd=tmp_path)

    assert result.returncode == 2
    assert f"{tmp_path / 'chatsync.toml'}: rulez: unknown key" in result.stderr
    assert "rules, state" in result.stderr
