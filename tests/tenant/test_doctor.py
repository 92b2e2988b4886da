"""``chatsync doctor`` with the deployment's real credentials against the emulator's tenant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES
from tests.tenant.conftest import by_check, cli, writes

pytestmark = pytest.mark.tenant

SCOPE = "https://www.googleapis.com/auth/"
EVERY_DELEGATED = [
    "admin.directory.user.readonly",
    "admin.directory.group.readonly",
    "chat.admin.memberships",
    "chat.admin.spaces.readonly",
]


@pytest.fixture
def bad_rules(tmp_path: Path) -> Path:
    """The demo rules with a space that does not exist and a group chat added."""
    text = DEMO_RULES.read_text(encoding="utf-8")
    text = text.replace("name: spaces/AAAAdata\n", "name: spaces/AAAAnosuchspace\n")
    text = text.replace(
        "  - id: announcements\n",
        "  - id: lunch\n    name: spaces/GGGGlunch\n    mode: additive\n  - id: announcements\n",
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_doctor_exits_zero_against_the_demo_seed(real_env: dict[str, str], emulator: Any) -> None:
    """The demo tenant is set up right: every check is ok, one token per delegated set was
    exchanged, and nothing was written."""
    result = cli("doctor", "--json", env=real_env)

    assert result.returncode == 0, result.stdout + result.stderr
    checks = [json.loads(line) for line in result.stdout.splitlines()]
    assert {c["status"] for c in checks} == {"ok"}
    assert set(checks[0]) == {"check", "subject", "status", "detail", "fix"}
    tokens = {c["subject"] for c in checks if c["check"] == "token"}
    assert {"chat_admin", "chat_admin_spaces", "directory_users", "directory_groups"} <= tokens
    assert writes(emulator) == []


def test_doctor_names_the_exact_scope_the_admin_console_lacks(tenant: Any, doctor: Any) -> None:
    """Delegation lacks chat.admin.memberships: that set's token check fails, and the fix
    names exactly that scope URL and the console path (the other sets are fine)."""
    tenant(delegated=[s for s in EVERY_DELEGATED if s != "chat.admin.memberships"])

    checks = doctor()

    failing = [c for c in by_check(checks, "token") if c.status == "fail"]
    assert [c.subject for c in failing] == ["chat_admin"]
    (check,) = failing
    assert "unauthorized_client" in check.detail
    assert f"add the OAuth scope(s) {SCOPE}chat.admin.memberships " in check.fix
    assert "Domain Wide Delegation" in check.fix
    assert "runtime_service_account_client_id" in check.fix


def test_doctor_names_every_missing_directory_scope(tenant: Any, doctor: Any) -> None:
    """Neither Directory scope allowed: both token checks fail naming their scope, and the
    Directory check fails too."""
    tenant(delegated=["chat.admin.memberships", "chat.admin.spaces.readonly"])

    checks = doctor()

    fixes = {c.subject: c.fix for c in by_check(checks, "token") if c.status == "fail"}
    assert set(fixes) == {"directory_users", "directory_groups"}
    assert f"{SCOPE}admin.directory.user.readonly " in fixes["directory_users"]
    assert f"{SCOPE}admin.directory.group.readonly " in fixes["directory_groups"]
    assert [c.status for c in by_check(checks, "directory")] == ["fail"]


def test_doctor_reports_app_auth_in_a_user_created_space_before_any_write(
    emulator: Any, doctor: Any
) -> None:
    """App mode: Company announcements was created by a person and the rules make someone its
    owner, so doctor fails it (roles cannot change there), with the Terraform fix; the
    app-created spaces are ok; and no write was tried."""
    checks = doctor(auth_mode="app")

    created = {c.subject.split(" ")[0]: c for c in by_check(checks, "app_created")}
    announce = created["spaces/AAAAannounce"]
    assert announce.status == "fail"
    assert "created by a person" in announce.detail and "owner" in announce.detail
    assert 'auth_mode = "admin"' in announce.fix
    assert created["spaces/AAAAengineering"].status == "ok"
    assert writes(emulator) == []


def test_doctor_says_when_it_cannot_tell_who_created_a_space(tenant: Any, doctor: Any) -> None:
    """Without the optional chat.app.spaces approval doctor cannot read the creator: a warn
    naming the scope to approve, not a guess."""
    tenant(approved=["chat.app.memberships", "chat.app.memberships.readonly"])

    checks = doctor(auth_mode="app")

    statuses = {c.status for c in by_check(checks, "app_created")}
    assert statuses == {"warn"}
    assert all(f"{SCOPE}chat.app.spaces" in c.fix for c in by_check(checks, "app_created"))
    assert not any(c.status == "fail" for c in checks)


def test_doctor_fails_app_mode_without_the_memberships_approval(tenant: Any, doctor: Any) -> None:
    """The app's approval lacks chat.app.memberships: every roster read fails with the fix
    naming the scope and where an admin grants it."""
    tenant(approved=["chat.app.memberships.readonly", "chat.app.spaces"])

    checks = doctor(auth_mode="app")

    members = by_check(checks, "members")
    assert members and {c.status for c in members} == {"fail"}
    assert f"{SCOPE}chat.app.memberships " in members[0].fix
    assert "Data access" in members[0].fix


def test_doctor_names_a_subject_that_is_not_a_user(doctor: Any) -> None:
    """An admin subject the organization does not know: the delegated token checks fail with
    the Terraform variable to fix."""
    checks = doctor(admin_subject="nobody@example.com")

    failing = [c for c in by_check(checks, "token") if c.status == "fail"]
    assert failing and all("admin_subject" in c.fix for c in failing)


def test_doctor_names_the_missing_token_creator_grant(tenant: Any, doctor: Any) -> None:
    """No Token Creator on itself: the delegated token checks fail naming the role."""
    tenant(token_creators=[])

    checks = doctor()

    failing = [c for c in by_check(checks, "token") if c.status == "fail"]
    assert failing and all("serviceAccountTokenCreator" in c.fix for c in failing)


def test_doctor_json_flags_a_missing_space_a_group_chat_and_exits_1_in_admin_mode(
    real_env: dict[str, str], bad_rules: Path
) -> None:
    """Admin mode sees every space: the missing one fails (404) and the group chat fails as a
    GROUP_CHAT, each with a fix; exit 1."""
    result = cli("doctor", "--json", env={**real_env, "CHATSYNC_RULES_FILE": str(bad_rules)})

    assert result.returncode == 1
    checks = [json.loads(line) for line in result.stdout.splitlines()]
    spaces = {c["subject"].split(" ")[0]: c for c in checks if c["check"] == "space"}
    assert spaces["spaces/AAAAnosuchspace"]["status"] == "fail"
    assert "rules file" in spaces["spaces/AAAAnosuchspace"]["fix"]
    assert spaces["spaces/GGGGlunch"]["status"] == "fail"
    assert "GROUP_CHAT" in spaces["spaces/GGGGlunch"]["detail"]
    assert spaces["spaces/GGGGlunch"]["fix"]


def test_doctor_json_in_app_mode_flags_all_three_and_exits_1(
    real_env: dict[str, str], bad_rules: Path
) -> None:
    """App mode: the missing space and the group chat (the app is in neither) fail, the
    person-made space is flagged, each with a fix; exit 1."""
    env = {**real_env, "CHATSYNC_RULES_FILE": str(bad_rules), "CHATSYNC_AUTH_MODE": "app"}

    result = cli("doctor", "--json", env=env)

    assert result.returncode == 1
    checks = [json.loads(line) for line in result.stdout.splitlines()]
    flagged = {c["subject"].split(" ")[0]: c for c in checks if c["status"] != "ok"}
    assert {"spaces/AAAAnosuchspace", "spaces/GGGGlunch", "spaces/AAAAannounce"} <= set(flagged)
    assert all(c["fix"] for c in flagged.values())
