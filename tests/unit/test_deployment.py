"""What a deployment must be given and refuses: its own rules file, never the demo's; the auth
mode it runs in; short-lived records that expire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chatsync.app import deployment, leasing, records
from chatsync.app.settings import Settings
from chatsync.domain import errors
from chatsync.domain.model import Email

ROOT = Path(__file__).resolve().parents[2]
DEMO_SEED = ROOT / "functions" / "chatsync" / "samples" / "demo" / "seed.yaml"
DEMO_RULES = ROOT / "functions" / "rules.yaml"


def test_demo_space_list_is_the_demo_seed() -> None:
    """DEMO_SPACES (kept in code: samples are not deployed) lists exactly the seed's spaces."""
    seed = yaml.safe_load(DEMO_SEED.read_text(encoding="utf-8"))
    assert {s["name"] for s in seed["spaces"]} == deployment.DEMO_SPACES


def test_a_deployed_function_needs_its_rules_file() -> None:
    """With K_SERVICE set (Cloud Run functions) and no CHATSYNC_RULES_FILE, cold start fails
    naming the variable and the Terraform input; it never falls back to the demo's rules."""
    with pytest.raises(errors.ConfigError, match=r"CHATSYNC_RULES_FILE.*rules_file"):
        Settings.from_env({"K_SERVICE": "chatsync-hr", "CHATSYNC_ADMIN_SUBJECT": "a@x.com"})


def test_locally_too_the_rules_are_never_the_demo_file_by_default() -> None:
    """Outside a deployment there is no default either (the demo's rules would remove real
    people from real spaces): building the application says which variable to set. The CLI
    finds the rules by flag, variable or chatsync.toml (tools.locating)."""
    from chatsync.adapters.store import MemoryStore
    from chatsync.runtime import build_pipeline

    settings = Settings.from_env({"CHATSYNC_ACCESS_TOKEN": "app"})
    assert settings.rules_file == ""
    with pytest.raises(errors.ConfigError, match="CHATSYNC_RULES_FILE is not set"):
        build_pipeline(settings, store=MemoryStore())


def _build(**overrides: Any) -> Any:
    from chatsync.adapters.store import MemoryStore
    from chatsync.runtime import build_pipeline

    settings = Settings.from_env(
        {}, rules_file=str(DEMO_RULES), admin_subject="it-admin@example.com", **overrides
    )
    return build_pipeline(settings, store=MemoryStore())


def test_the_demo_rules_are_refused_against_google() -> None:
    """Against Google's Chat API the demo rules are refused at build time, naming the file, the
    demo spaces and the variable to set."""
    with pytest.raises(errors.ConfigError) as caught:
        _build()
    text = str(caught.value)
    assert str(DEMO_RULES) in text
    assert "spaces/AAAAengineering" in text
    assert "CHATSYNC_RULES_FILE" in text


def test_the_demo_rules_run_when_allowed_or_against_a_loopback_emulator() -> None:
    """CHATSYNC_ALLOW_DEMO_SPACES, or an emulator on loopback, lets the demo rules load."""
    assert _build(allow_demo_spaces=True).ruleset.spaces
    assert _build(chat_endpoint="http://127.0.0.1:8089/").ruleset.spaces


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8089/", True),
        ("http://localhost/", True),
        ("http://[::1]:9000/", True),
        ("https://chat.googleapis.com/", False),
        ("http://127.0.0.1.example.com/", False),
    ],
)
def test_loopback_means_this_machine(url: str, loopback: bool) -> None:
    """Only this machine's addresses count as the emulator."""
    assert deployment.is_loopback(url) is loopback


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"CHATSYNC_ADMIN_SUBJECT": "a@x.com"}, "admin"),
        ({"CHATSYNC_ACCESS_TOKEN": "app"}, "app"),
        ({"CHATSYNC_ACCESS_TOKEN": "user:a@x.com"}, "admin"),
        ({"CHATSYNC_ACCESS_TOKEN": "user:a@x.com", "CHATSYNC_AUTH_MODE": "app"}, "app"),
        ({"CHATSYNC_AUTH_MODE": "app"}, "app"),
    ],
)
def test_admin_is_the_default_auth_mode(env: dict[str, str], mode: str) -> None:
    """Delegated admin access unless told otherwise; the emulator's fixed token is the app."""
    assert Settings.from_env(env).auth_mode == mode


def test_admin_mode_needs_a_subject() -> None:
    """Admin mode without CHATSYNC_ADMIN_SUBJECT fails naming it."""
    with pytest.raises(errors.ConfigError, match="CHATSYNC_ADMIN_SUBJECT"):
        Settings.from_env({}).require_credentials()


def test_short_lived_records_carry_their_expiry() -> None:
    """Leases, applied deferred events and dropped messages get expires_at; other kinds (HR
    snapshots and group changes among them: they are facts) are left as they are."""
    from chatsync.adapters.store import MemoryStore

    store = MemoryStore()
    leasing.acquire(store, Email("ana@example.com"), "i:e", now=100.0)
    lease = store.get_doc(records.LEASE, "ana@example.com")
    assert lease is not None
    assert lease["expires_at"] == 100.0 + records.TTL[records.LEASE]
    for kind in (records.DEFERRED, records.DROPPED):
        assert records.expiring(kind, {"a": 1}, now=5.0) == {
            "a": 1,
            "expires_at": 5.0 + records.TTL[kind],
        }
    for kind in (records.PRESENCE, records.HR_SNAPSHOT, records.GROUP_CHANGES):
        assert records.expiring(kind, {"a": 1}, now=5.0) == {"a": 1}
