"""App authentication acts only where the Chat app is a member; role changes and removing
managers only where it created the space; admin access is not bound by either (reference §7.3,
§15). Tokens are real: google-auth service account credentials against the token endpoint."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.tenant

NOAPP = "spaces/AAAAnoapp"  # created by sam.lee; the app is not a member
USER_MADE = "spaces/AAAAuser"  # created by raj.mehta; the app is a member
APP_MADE = "spaces/AAAAeng"  # created by the app; the app is a member


@pytest.fixture
def app_chat(sa_credentials: Any, api: Any) -> Any:
    """Chat as the Chat app with the approved chat.app.memberships scope."""
    return api("chat", "v1", sa_credentials("chat.app.memberships"))


@pytest.fixture
def admin_chat(sa_credentials: Any, api: Any) -> Any:
    """Chat as mo.admin through domain-wide delegation, for useAdminAccess calls."""
    return api(
        "chat", "v1", sa_credentials("chat.admin.memberships", subject="mo.admin@example.com")
    )


def test_the_seed_says_which_spaces_the_app_is_in_and_created(emu: Any) -> None:
    """The state shows createdByApp and appMember per space, from the seed."""
    spaces = {s["name"]: (s["createdByApp"], s["appMember"]) for s in emu.state()["spaces"]}

    assert spaces[APP_MADE] == (True, True)
    assert spaces[USER_MADE] == (False, True)
    assert spaces[NOAPP] == (False, False)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.list(parent=NOAPP),
        lambda m: m.get(name=f"{NOAPP}/members/100000000005"),
        lambda m: m.create(parent=NOAPP, body={"member": {"name": "users/li.wei@example.com"}}),
        lambda m: m.delete(name=f"{NOAPP}/members/100000000004"),
        lambda m: m.patch(
            name=f"{NOAPP}/members/100000000004", updateMask="role", body={"role": "ROLE_MEMBER"}
        ),
    ],
    ids=["list", "get", "create", "delete", "patch"],
)
def test_the_app_cannot_act_in_a_space_it_is_not_in(
    app_chat: Any, refused: Any, emu: Any, call: Any
) -> None:
    """Every membership method is 404 where the app is not a member; nothing changes."""
    before = emu.state()["spaces"]

    refusal = refused(call(app_chat.spaces().members()))

    assert (refusal.http_status, refusal.status) == (404, "NOT_FOUND")
    assert emu.state()["spaces"] == before


def test_chat_bot_reads_only_where_the_app_is(sa_credentials: Any, api: Any, refused: Any) -> None:
    """chat.bot lists members of a space the app is in, and gets 404 elsewhere."""
    chat = api("chat", "v1", sa_credentials("chat.bot"))

    assert chat.spaces().members().list(parent=USER_MADE).execute()["memberships"]
    assert refused(chat.spaces().members().list(parent=NOAPP)).http_status == 404
    assert refused(chat.spaces().get(name=NOAPP)).http_status == 404


def test_role_changes_only_in_spaces_the_app_created(app_chat: Any, refused: Any) -> None:
    """Patch works in the app's own space; in a space a person created it is 403."""
    members = app_chat.spaces().members()
    promote = {"role": "ROLE_ASSISTANT_MANAGER"}

    done = members.patch(
        name=f"{APP_MADE}/members/100000000001", updateMask="role", body={"role": "ROLE_MEMBER"}
    ).execute()
    refusal = refused(
        members.patch(name=f"{USER_MADE}/members/100000000001", updateMask="role", body=promote)
    )

    assert done["role"] == "ROLE_MEMBER"
    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


def test_plain_members_can_be_removed_in_any_space_the_app_is_in(app_chat: Any, emu: Any) -> None:
    """Removing a ROLE_MEMBER needs no creatorship."""
    app_chat.spaces().members().delete(name=f"{USER_MADE}/members/100000000001").execute()

    [space] = [s for s in emu.state()["spaces"] if s["name"] == USER_MADE]
    assert "ana.silva@example.com" not in {m.get("email") for m in space["memberships"]}


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_managers_are_removed_only_in_spaces_the_app_created(
    app_chat: Any, emu: Any, refused: Any, role: str
) -> None:
    """A (non-sole) Owner or Manager: removable in the app's space, 403 in a person's space."""
    for space in (APP_MADE, USER_MADE):
        emu.manual_change(space, "li.wei@example.com", "add")
        emu.manual_change(space, "li.wei@example.com", "role", role)
    members = app_chat.spaces().members()

    members.delete(name=f"{APP_MADE}/members/100000000003").execute()
    refusal = refused(members.delete(name=f"{USER_MADE}/members/100000000003"))

    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


def test_admin_access_is_not_bound_by_app_membership_or_creator(admin_chat: Any, emu: Any) -> None:
    """A delegated admin changes a role and removes a manager in a space the app is not in."""
    members = admin_chat.spaces().members()
    members.patch(
        name=f"{NOAPP}/members/100000000004",
        updateMask="role",
        body={"role": "ROLE_MEMBER"},
        useAdminAccess=True,
    ).execute()
    members.delete(name=f"{NOAPP}/members/100000000004", useAdminAccess=True).execute()

    [space] = [s for s in emu.state()["spaces"] if s["name"] == NOAPP]
    assert {m.get("email") for m in space["memberships"]} == {"sam.lee@example.com"}


def test_subscriptions_need_the_app_in_the_space(
    sa_credentials: Any, api: Any, refused: Any
) -> None:
    """A Workspace Events subscription by the app to a space it is not in: 403."""
    events = api("workspaceevents", "v1", sa_credentials("chat.app.memberships.readonly"))
    body = {
        "targetResource": f"//chat.googleapis.com/{NOAPP}",
        "eventTypes": ["google.workspace.chat.membership.v1.created"],
        "notificationEndpoint": {"pubsubTopic": "projects/p/topics/t"},
    }

    refusal = refused(events.subscriptions().create(body=body))

    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")
