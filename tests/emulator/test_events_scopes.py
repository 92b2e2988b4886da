"""Workspace Events scopes per method, as the bundled discovery document lists them: create,
patch and reactivate take user Chat scopes and chat.app.* but not chat.bot; list, get and delete
take chat.bot and user Chat scopes but no chat.app.*; no method takes chat.admin.*."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import pytest

from workspace_emulator import scopes

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
EVENT = "google.workspace.chat.membership.v1.created"


def body(space: str = "spaces/AAAAeng") -> dict[str, Any]:
    """A subscription to membership events of *space*."""
    return {
        "targetResource": f"//chat.googleapis.com/{space}",
        "eventTypes": [EVENT],
        "notificationEndpoint": {"pubsubTopic": "projects/p/topics/t"},
    }


def discovery_scopes(api: str, *path: str) -> set[str]:
    """The short scopes a bundled discovery document lists for one method."""
    document = json.loads((DOCUMENTS / f"{api}.json").read_text())
    node: Any = document
    for resource in path[:-1]:
        node = node["resources"][resource]
    method = node["methods"][path[-1]]
    return {s.rsplit("/", 1)[1] for s in method["scopes"]}


@pytest.mark.parametrize("method", ["create", "patch", "reactivate"])
def test_write_scopes_match_the_discovery_document(method: str) -> None:
    """The emulator's list for create/patch/reactivate is the discovery document's."""
    assert discovery_scopes("workspaceevents.v1", "subscriptions", method) == set(
        scopes.EVENTS_WRITE
    )


@pytest.mark.parametrize("method", ["list", "get", "delete"])
def test_read_scopes_match_the_discovery_document(method: str) -> None:
    """The emulator's list for list/get/delete is the discovery document's."""
    assert discovery_scopes("workspaceevents.v1", "subscriptions", method) == set(
        scopes.EVENTS_READ
    )


def test_messages_create_scopes_match_the_discovery_document() -> None:
    """spaces.messages.create: the discovery scopes, less chat.import (no import mode)."""
    listed = discovery_scopes("chat.v1", "spaces", "messages", "create")

    assert listed - {"chat.import"} == set(scopes.MESSAGES_CREATE)


def scope_refused(answer: Any) -> bool:
    """Whether an answer is the 403 for a token without a usable scope."""
    details = answer.body.get("error", {}).get("details", [])
    reasons = {d.get("reason") for d in details}
    return answer.status == 403 and "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in reasons


APP, RAJ, ADMIN = "app", "user:raj.mehta@example.com", "user:mo.admin@example.com"
MATRIX = [
    # (principal, scope, refused for create/patch/reactivate, refused for list/get/delete)
    (APP, "chat.bot", True, False),
    (APP, "chat.app.memberships", False, True),
    (APP, "chat.app.memberships.readonly", False, True),
    (RAJ, "chat.memberships", False, False),
    (RAJ, "chat.memberships.readonly", False, False),
    (ADMIN, "chat.admin.memberships", True, True),
    (ADMIN, "chat.admin.memberships.readonly", True, True),
]


def calls(raw: Any, token: str, name: str, space: str) -> dict[str, Any]:
    """Each method once with *token*; *name* is an existing subscription of the principal."""
    create = body(space)
    return {
        "create": raw("POST", "v1/subscriptions?validateOnly=true", token=token, body=create),
        "patch": raw("PATCH", f"v1/{name}?updateMask=ttl", token=token, body={"ttl": "0s"}),
        "reactivate": raw("POST", f"v1/{name}:reactivate", token=token, body={}),
        "list": raw("GET", f'v1/subscriptions?filter=event_types:"{EVENT}"', token=token),
        "get": raw("GET", f"v1/{name}", token=token),
        "delete": raw("DELETE", f"v1/{name}", token=token),
    }


@pytest.mark.parametrize(("principal", "scope", "write_refused", "read_refused"), MATRIX)
def test_scope_matrix(
    raw: Any, principal: str, scope: str, write_refused: bool, read_refused: bool
) -> None:
    """Each scope is refused (403 scope insufficient) exactly where the discovery says."""
    owner = "app;scopes=chat.app.memberships" if principal == APP else principal
    space = "spaces/AAAAnoapp" if principal == ADMIN else "spaces/AAAAeng"  # where each is a member
    made = raw("POST", "v1/subscriptions", token=owner, body=body(space)).body["response"]["name"]

    answers = calls(raw, f"{principal};scopes={scope}", made, space)

    refused = {method: scope_refused(answer) for method, answer in answers.items()}
    assert refused == {
        "create": write_refused,
        "patch": write_refused,
        "reactivate": write_refused,
        "list": read_refused,
        "get": read_refused,
        "delete": read_refused,
    }


def test_membership_events_need_a_memberships_scope(raw: Any) -> None:
    """chat.spaces is a scope create accepts, but not for membership events: 403."""
    answer = raw("POST", "v1/subscriptions", token=f"{RAJ};scopes=chat.spaces", body=body())

    assert answer.status == 403
    assert "Membership events" in answer.body["error"]["message"]
