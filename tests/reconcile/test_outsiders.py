"""A space's ``outsiders`` policy: members the Directory does not know (another organization's
users, deleted accounts) are removed by the full reconcile like anyone no rule selects, unless the
space keeps them."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES
from tests.reconcile.conftest import rosters

pytestmark = pytest.mark.reconcile

PLATFORM = "spaces/AAAAplatform"
GUEST = "guest@partner.org"


def _invite_guest(emulator: Any) -> None:
    """Raj, a member of Platform, invites a guest from another organization (as in Chat), and
    the guest accepts (members.list shows only joined members unless asked)."""
    import google.oauth2.credentials
    from googleapiclient.discovery import build

    chat = build(
        "chat",
        "v1",
        credentials=google.oauth2.credentials.Credentials(token="user:raj.mehta@example.com"),  # type: ignore[no-untyped-call]
        static_discovery=True,
        client_options={"api_endpoint": emulator.url},
    )
    body = {"member": {"name": f"users/{GUEST}", "type": "HUMAN"}}
    created = chat.spaces().members().create(parent=PLATFORM, body=body).execute()
    store = emulator.emulator.world.store
    with store.lock:
        memberships = store.spaces[PLATFORM].memberships
        member_id = created["name"].rsplit("/", 1)[1]
        memberships[member_id] = replace(memberships[member_id], state="JOINED")


def _guest_id(emulator: Any) -> str:
    (guest,) = [m for m in _memberships(emulator) if m.get("email") == GUEST]
    return str(guest["user"]).removeprefix("users/")


def _memberships(emulator: Any) -> list[dict[str, Any]]:
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    return list(spaces[PLATFORM]["memberships"])


def _rules_keeping_outsiders(tmp_path: Path) -> Path:
    text = DEMO_RULES.read_text(encoding="utf-8")
    text, changed = re.subn(
        r"(  - id: platform\n    name: spaces/AAAAplatform\n    mode: authoritative\n)",
        r"\1    outsiders: keep\n",
        text,
    )
    assert changed == 1
    out = tmp_path / "rules.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def test_by_default_the_reconcile_removes_a_guest_no_rule_selects(
    emulator: Any, make_pipeline: Any
) -> None:
    _invite_guest(emulator)
    assert GUEST in rosters(emulator)[PLATFORM]
    pipeline = make_pipeline()

    pipeline.reconcile_all(run_id="nightly", log=pipeline.log)

    assert GUEST not in rosters(emulator)[PLATFORM]


def test_a_space_that_keeps_outsiders_keeps_the_guest_and_says_why(
    emulator: Any, make_pipeline: Any, tmp_path: Path
) -> None:
    _invite_guest(emulator)
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")  # an insider no rule selects
    pipeline = make_pipeline(rules_file=str(_rules_keeping_outsiders(tmp_path)))

    the_plan, _ = pipeline.plan_all(log=pipeline.log)
    pipeline.reconcile_all(run_id="nightly", log=pipeline.log)

    kept = [s for s in the_plan.skipped if s.space == PLATFORM and "outsiders" in s.why]
    # Chat names the guest by user id; the Directory cannot map it to an address.
    assert [s.email for s in kept] == [f"users/{_guest_id(emulator)}"]
    assert "not in the Directory" in kept[0].why
    assert GUEST in rosters(emulator)[PLATFORM]
    assert "dev.patel@example.com" not in rosters(emulator)[PLATFORM]
