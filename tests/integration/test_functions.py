"""The Cloud Functions entry points, end to end: an Eventarc-shaped CloudEvent posted to
functions-framework's own app, the real pipeline, the real googleapiclient, the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import messages

STORY = (
    Path(__file__).resolve().parents[2] / "functions" / "chatsync" / "samples" / "demo" / "story"
)
MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"


@pytest.fixture
def post(chatsync_env: dict[str, str]) -> Any:
    """Post a story message to its entry point; return (status, log records)."""
    import functions_framework

    import main

    main.pipeline.cache_clear()
    apps: dict[str, Any] = {}

    def send(name: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
        (message,) = messages.load([STORY / name])
        app = apps.setdefault(
            message.entry_point,
            functions_framework.create_app(message.entry_point, str(MAIN), "cloudevent"),
        )
        headers, body = message.cloud_event()
        capsys.readouterr()
        response = app.test_client().post("/", headers=headers, data=json.dumps(body))
        records = [
            json.loads(line)
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("{")
        ]
        return response.status_code, records

    yield send
    main.pipeline.cache_clear()


def roster(emulator: Any, space: str) -> dict[str, str]:
    state = emulator.state()
    (found,) = [s for s in state["spaces"] if s["name"] == space]
    return {m["email"]: m["role"] for m in found["memberships"] if m.get("email")}


def writes(emulator: Any) -> list[dict[str, Any]]:
    return [
        c
        for c in emulator.calls()
        if c["method"] in ("spaces.members.create", "spaces.members.patch", "spaces.members.delete")
    ]


def test_a_hire_adds_the_person_to_every_space_the_rules_name(emulator, post, capsys):
    """person.hired -> create in Engineering, Platform and Announcements, one log line each."""
    status, records = post("01-hire.json", capsys)
    assert status == 200
    assert roster(emulator, "spaces/AAAAplatform")["ana.silva@example.com"] == "ROLE_MEMBER"
    assert roster(emulator, "spaces/AAAAengineering")["ana.silva@example.com"] == "ROLE_MEMBER"
    adds = [r for r in records if r.get("action") == "add"]
    assert {r["space"] for r in adds} == {
        "spaces/AAAAplatform",
        "spaces/AAAAengineering",
        "spaces/AAAAannounce",
    }
    for record in adds:
        assert record["severity"] == "INFO"
        assert record["person"] == "ana.silva@example.com"
        assert record["role_before"] is None and record["role_after"] == "member"
        assert record["rule"] and record["event_id"] == "demo-0001"


def test_a_promotion_to_owner_is_a_create_then_a_patch(emulator, post, capsys):
    """Chat ignores a role on create: chatsync creates, then patches to ROLE_MANAGER."""
    post("01-hire.json", capsys)
    post("02-transfer.json", capsys)
    status, _ = post("03-promotion.json", capsys)
    assert status == 200
    assert roster(emulator, "spaces/AAAAdata")["ana.silva@example.com"] == "ROLE_MANAGER"
    assert (
        roster(emulator, "spaces/AAAAengineering")["ana.silva@example.com"]
        == "ROLE_ASSISTANT_MANAGER"
    )
    patches = [c for c in writes(emulator) if c["method"] == "spaces.members.patch"]
    assert len(patches) == 2


def test_a_transfer_removes_from_the_old_team_space(emulator, post, capsys):
    """person.transferred -> added to Data, removed from Platform (authoritative)."""
    post("01-hire.json", capsys)
    status, _ = post("02-transfer.json", capsys)
    assert status == 200
    assert "ana.silva@example.com" not in roster(emulator, "spaces/AAAAplatform")
    assert roster(emulator, "spaces/AAAAdata")["ana.silva@example.com"] == "ROLE_MEMBER"


def test_the_sole_owner_is_never_demoted(emulator, post, capsys):
    """Raj steps down but is Platform's only owner: the demotion is skipped, with a reason."""
    status, records = post("04-demotion.json", capsys)
    assert status == 200
    assert roster(emulator, "spaces/AAAAplatform")["raj.mehta@example.com"] == "ROLE_MANAGER"
    assert roster(emulator, "spaces/AAAAengineering")["raj.mehta@example.com"] == "ROLE_MEMBER"
    skips = [r for r in records if r.get("action") == "skip"]
    assert skips and "without an owner" in skips[0]["reason"]


def test_a_termination_removes_from_managed_spaces_only(emulator, post, capsys):
    """Terminated people leave every managed space; unmanaged spaces, DMs and group chats stay."""
    status, _ = post("07-termination.json", capsys)
    assert status == 200
    assert "leaver@example.com" not in roster(emulator, "spaces/AAAAsales")
    assert "leaver@example.com" not in roster(emulator, "spaces/AAAAannounce")
    assert "leaver@example.com" in roster(emulator, "spaces/AAAAsocial")
    assert "leaver@example.com" in roster(emulator, "spaces/GGGGlunch")


def test_a_duplicate_delivery_writes_nothing(emulator, post, capsys):
    """The same business event twice: the second delivery is recognised and makes no call."""
    post("07-termination.json", capsys)
    before = len(writes(emulator))
    status, records = post("08-duplicate.json", capsys)
    assert status == 200
    assert len(writes(emulator)) == before
    assert any("duplicate" in r["message"] for r in records)


def test_a_malformed_message_is_acked_with_its_field_path(emulator, post, capsys):
    """A permanent error answers 200 (no redelivery) and logs the field path and message id."""
    status, records = post("09-malformed.json", capsys)
    assert status == 200
    (dropped,) = [r for r in records if r["severity"] == "ERROR"]
    assert "message.data.person.employment_status" in dropped["error"]
    assert "'fired'" in dropped["error"]
    assert writes(emulator) == []


def test_a_late_event_does_not_move_state_backwards(emulator, post, capsys):
    """An event older than the person's watermark is dropped, whatever it says."""
    post("01-hire.json", capsys)
    post("02-transfer.json", capsys)
    before = len(writes(emulator))
    status, _ = post("10-late.json", capsys)
    assert status == 200
    assert len(writes(emulator)) == before
    assert "ana.silva@example.com" not in roster(emulator, "spaces/AAAAplatform")


def test_an_api_outage_is_redelivered_then_applied(emulator, post, capsys):
    """503 beyond the in-delivery retries -> 500 (Pub/Sub redelivers); the retry applies it."""
    emulator.fail_next("spaces.members.delete", 20, status=503)
    status, records = post("07-termination.json", capsys)
    assert status == 500
    assert any(r["severity"] == "WARNING" and "redelivered" in r["message"] for r in records)
    emulator.clear_faults()
    status, _ = post("07-termination.json", capsys)
    assert status == 200
    assert "leaver@example.com" not in roster(emulator, "spaces/AAAAsales")


def test_a_rate_limited_call_is_retried_within_the_delivery(emulator, post, capsys):
    """One 429 with RetryInfo: retried after the hinted delay, applied, no redelivery."""
    emulator.fail_next("spaces.members.delete", 1, status=429, retry_after=0.05)
    status, _ = post("07-termination.json", capsys)
    assert status == 200
    assert "leaver@example.com" not in roster(emulator, "spaces/AAAAsales")
    statuses = [c["status"] for c in writes(emulator)]
    assert statuses.count(429) == 1


def test_the_scheduled_reconcile_repairs_what_events_missed(emulator, post, capsys):
    """A reconcile tick removes the suspended account no event reported."""
    assert "old.timer@example.com" in roster(emulator, "spaces/AAAAsales")
    status, _ = post("11-reconcile.json", capsys)
    assert status == 200
    assert "old.timer@example.com" not in roster(emulator, "spaces/AAAAsales")


def test_a_deployment_without_its_rules_file_redelivers_instead_of_acking(
    emulator, post, capsys, monkeypatch
):
    """K_SERVICE set (a deployed function) and no CHATSYNC_RULES_FILE: cold start fails, the
    message is answered 500 (Pub/Sub redelivers it) and nothing is written."""
    monkeypatch.setenv("K_SERVICE", "chatsync-hr")
    monkeypatch.delenv("CHATSYNC_RULES_FILE")
    status, _ = post("01-hire.json", capsys)
    assert status == 500
    assert writes(emulator) == []
