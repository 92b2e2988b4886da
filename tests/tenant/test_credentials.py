"""The product's credential sets against the emulator's token endpoint and IAM signing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.tenant.conftest import ADMIN, RUNTIME, writes

from chatsync.domain import errors, messages, scopes
from chatsync.domain import events as ev

pytestmark = pytest.mark.tenant

HIRE = Path(__file__).resolve().parents[2] / "functions/chatsync/samples/demo/story/01-hire.json"


def handle(app: Any, path: Path) -> Any:
    (message,) = messages.load([path])
    return [app.handle(event) for event in ev.decode_message(message.to_pubsub())][-1]


def token_requests(emulator: Any) -> Counter[str]:
    """Token exchanges by who asked: ``<account>`` (the app) or ``<account> for <subject>``."""
    return Counter(c["account"] for c in emulator.calls() if c["method"] == "oauth2.token")


def test_admin_mode_applies_a_hire_with_keyless_delegated_tokens(emulator: Any, app: Any) -> None:
    """Default (admin) mode: delegated tokens for the admin, signed by IAM as the runtime
    account (no key signs them), and the hire lands in every space the rules name."""
    report = handle(app(), HIRE)

    assert report.summary()["applied"] == 3
    asked = token_requests(emulator)
    assert asked[f"{RUNTIME} for {ADMIN}"] >= 2
    signs = [c for c in emulator.calls() if c["method"].endswith("signBlob")]
    assert signs and {c["account"] for c in signs} == {RUNTIME}
    assert {c["account"] for c in writes(emulator)} == {RUNTIME}


def test_every_delegated_set_is_exchanged_once_and_reused(emulator: Any, app: Any) -> None:
    """One token per credential set: a reconcile and two events exchange each delegated set's
    token once (four sets: chat admin, chat admin spaces, Directory users, Directory groups)."""
    pipeline = app()
    pipeline.reconcile_all(run_id="r1", log=pipeline.log)
    handle(pipeline, HIRE)

    delegated = {s.name for s in scopes.load().used("admin") if s.delegated}
    assert token_requests(emulator)[f"{RUNTIME} for {ADMIN}"] == len(delegated) == 4


def test_app_mode_acts_as_the_chat_app_without_delegation(emulator: Any, app: Any) -> None:
    """App mode: the app's own tokens (no subject) add the hire; only the Directory delegates."""
    report = handle(app(auth_mode="app"), HIRE)

    assert report.summary()["applied"] == 3
    asked = token_requests(emulator)
    assert asked[RUNTIME] >= 2  # cloud-platform for signing, chat.app.memberships, chat.bot
    delegated_writes = [c for c in writes(emulator) if c.get("caller", "").startswith("user:")]
    assert delegated_writes == []


def test_a_scope_missing_from_the_allow_list_fails_the_whole_token(
    tenant: Any, settings: Any
) -> None:
    """The Admin console allows all but chat.admin.spaces.readonly: that set's token is refused
    with unauthorized_client, as Google documents, while the others are still issued."""
    from google.auth import exceptions

    from chatsync.adapters.credentials import CredentialSets

    tenant(
        delegated=[
            "admin.directory.user.readonly",
            "admin.directory.group.readonly",
            "chat.admin.memberships",
        ]
    )
    sets = CredentialSets(settings())

    with pytest.raises(exceptions.RefreshError, match="unauthorized_client"):
        sets.refresh("chat_admin_spaces")
    sets.refresh("chat_admin")


def test_a_refused_token_makes_the_event_wait_not_vanish(tenant: Any, app: Any) -> None:
    """Delegation refused for chat.admin.memberships: the hire cannot land, so the delivery
    fails with a retryable error (Pub/Sub redelivers it until an admin fixes delegation)."""
    tenant(
        delegated=[
            "admin.directory.user.readonly",
            "admin.directory.group.readonly",
            "chat.admin.spaces.readonly",
        ]
    )

    with pytest.raises(errors.RetryableError, match="no token"):
        handle(app(max_attempts=1), HIRE)


def test_drift_subscriptions_are_created_with_tokens_workspace_events_accepts(
    emulator: Any, app: Any
) -> None:
    """Admin mode still subscribes as the Chat app: list with chat.bot, create with the approved
    chat.app.memberships.readonly (no chat.admin scope reaches Workspace Events, which accepts
    none): one subscription per managed space, none refused."""
    pipeline = app()

    report = pipeline.renew_subscriptions(log=pipeline.log)

    counts = report.extra["subscriptions"]
    assert counts["created"] == len(pipeline.ruleset.spaces) and counts["failed"] == 0
    calls = [c for c in emulator.calls() if c["method"].startswith("workspaceevents.")]
    assert {c["status"] for c in calls} == {200}
    assert {c["caller"] for c in calls} == {"app"}
    assert {c["account"] for c in calls} == {RUNTIME}


def test_without_approval_subscriptions_fail_and_are_counted(tenant: Any, app: Any) -> None:
    """The app's approval lacks chat.app.memberships.readonly: every create is refused (403,
    not approved), counted as failed; nothing pretends to subscribe."""
    tenant(approved=["chat.app.memberships", "chat.app.spaces"])
    pipeline = app()

    report = pipeline.renew_subscriptions(log=pipeline.log)

    counts = report.extra["subscriptions"]
    assert counts["created"] == 0 and counts["failed"] == len(pipeline.ruleset.spaces)


def test_signing_without_token_creator_on_itself_is_refused(tenant: Any, settings: Any) -> None:
    """Keyless delegation needs Token Creator on the runtime account itself: without it IAM
    refuses to sign and no delegated token exists."""
    from google.auth import exceptions

    from chatsync.adapters.credentials import CredentialSets

    tenant(token_creators=[])

    with pytest.raises(exceptions.GoogleAuthError, match="signBlob"):
        CredentialSets(settings()).refresh("directory_users")
