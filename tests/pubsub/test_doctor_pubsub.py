"""``chatsync doctor --project``: the topics and subscriptions of terraform/pubsub.json, looked up
in the project (here the gcloud Pub/Sub emulator)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.test_cli import chatsync
from tests.pubsub.conftest import PROJECT

pytestmark = pytest.mark.pubsub

MISSING = f"projects/{PROJECT}/subscriptions/chatsync-chat-events-push"


@pytest.fixture
def without_chat_push(pubsub: Any) -> Any:
    """Every subscription but the chat stream's push subscription."""
    endpoints = {s.entry_point: "http://127.0.0.1:9/" for s in pubsub.streams}
    endpoints.pop("on_chat_event")
    pubsub.create_subscriptions(endpoints)
    return pubsub


def test_the_inventory_names_exactly_what_the_project_lacks(
    without_chat_push: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Topics all there, one push subscription gone: that one, by its full name."""
    from chatsync.adapters.pubsub import Inventory

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", without_chat_push.host)

    assert Inventory().missing(PROJECT) == [MISSING]


def test_doctor_fails_the_pubsub_check_naming_it(
    without_chat_push: Any, emulator: Any, chatsync_env: dict[str, str]
) -> None:
    """doctor --project reports the missing subscription as a fail with the fix; exit 1."""
    env = {**chatsync_env, "PUBSUB_EMULATOR_HOST": without_chat_push.host}

    result = chatsync("doctor", "--json", "--project", PROJECT, env=env)

    assert result.returncode == 1, result.stdout + result.stderr
    checks = [json.loads(line) for line in result.stdout.splitlines()]
    (pubsub_check,) = [c for c in checks if c["check"] == "pubsub"]
    assert pubsub_check["status"] == "fail"
    assert MISSING in pubsub_check["detail"] and "terraform apply" in pubsub_check["fix"]
