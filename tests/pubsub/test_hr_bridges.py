"""The SCIM bridge end to end: an identity provider's requests -> ``chatsync scim serve`` ->
the real Pub/Sub emulator -> the functions -> the Chat emulator's rosters.

Entra-shaped requests (learn.microsoft.com, "Tutorial: Develop a sample SCIM endpoint"): a user
created with department Platform joins the Platform space; ``PATCH active "False"`` takes her
out; a group ``PATCH`` adding a member puts him in the space the rules give that group.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from tests.hr_sources.conftest import entra_user, patch_op, scim_send, scim_server

from .conftest import PROJECT, Stack

pytestmark = [pytest.mark.pubsub, pytest.mark.hr_sources]

TOKEN = "pubsub-e2e-token"
PLATFORM, LISBON = "spaces/AAAAplatform", "spaces/AAAAlisbon"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def scim(pubsub: Any) -> Iterator[str]:
    """``chatsync scim serve`` publishing to the Pub/Sub emulator; yields its base URL."""
    env = {**os.environ, "PUBSUB_EMULATOR_HOST": pubsub.host, "GOOGLE_CLOUD_PROJECT": PROJECT}
    with scim_server(TOKEN, env) as base:
        yield base


def send(method: str, url: str, body: object) -> dict[str, Any]:
    return scim_send(TOKEN, method, url, body)


def test_entra_create_and_disable_move_a_person_in_and_out_of_her_space(
    scim: str, stack: Stack
) -> None:
    """Create (active, department Platform) adds Ana to Platform; disabling her removes her."""
    assert "ana.silva@example.com" not in stack.rosters()[PLATFORM]

    created = send("POST", f"{scim}/Users", entra_user("ana.silva@example.com"))
    stack.wait_for(
        "Ana added to Platform", lambda: "ana.silva@example.com" in stack.rosters()[PLATFORM]
    )

    send(
        "PATCH",
        f"{scim}/Users/{created['id']}",
        patch_op({"op": "Replace", "path": "active", "value": "False"}),
    )
    stack.wait_for(
        "Ana removed from Platform",
        lambda: "ana.silva@example.com" not in stack.rosters()[PLATFORM],
    )
    assert not stack.dead_letters("on_hr_event")


def test_a_group_patch_adds_the_member_to_the_groups_space(scim: str, stack: Stack) -> None:
    """Entra adds Eva to lisbon-office: the group event reaches the group function, and the
    rules' lisbon-office rule puts her in the Lisbon space."""
    assert "eva.lund@example.com" not in stack.rosters()[LISBON]
    eva = send(
        "POST",
        f"{scim}/Users",
        entra_user("eva.lund@example.com", title="Software Engineer"),
    )
    group = send(
        "POST",
        f"{scim}/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "lisbon-office@example.com", "members": []},
    )

    send(
        "PATCH",
        f"{scim}/Groups/{group['id']}",
        patch_op({"op": "Add", "path": "members", "value": [{"value": eva["id"]}]}),
    )

    stack.wait_for("Eva added to Lisbon", lambda: "eva.lund@example.com" in stack.rosters()[LISBON])
    assert stack.rosters()[LISBON]["eva.lund@example.com"] == "ROLE_MEMBER"
    assert not stack.dead_letters("on_group_event")
