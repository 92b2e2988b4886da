"""spaces.members.create (reference §3.1)."""

from __future__ import annotations

from typing import Any

HUMAN = "HUMAN"


def body(name: str, kind: str = HUMAN) -> dict[str, Any]:
    return {"member": {"name": name, "type": kind}}


def test_create_by_email_alias_answers_the_canonical_numeric_name(chat: Any) -> None:
    """An email alias in create comes back as users/{id} and spaces/S/members/{id}."""
    created = (
        chat()
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/li.wei@example.com"))
        .execute()
    )

    assert created["name"] == "spaces/AAAAeng/members/100000000003"
    assert created["member"] == {
        "name": "users/100000000003",
        "type": "HUMAN",
        "displayName": "Li Wei",
    }
    assert (created["state"], created["role"]) == ("JOINED", "ROLE_MEMBER")


def test_create_ignores_role_in_the_body(chat: Any) -> None:
    """A role sent on create is ignored: the member starts as ROLE_MEMBER (strict reading)."""
    request = body("users/100000000003") | {"role": "ROLE_MANAGER"}
    created = chat().spaces().members().create(parent="spaces/AAAAeng", body=request).execute()

    assert created["role"] == "ROLE_MEMBER"


def test_external_user_is_invited_with_user_auth(chat: Any) -> None:
    """A user outside the customer's domains gets INVITED, with EXTERNAL affiliation."""
    created = (
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/guest@partner.org"))
        .execute()
    )

    assert created["state"] == "INVITED"
    assert created["affiliation"] == "EXTERNAL"


def test_user_without_auto_accept_is_invited(chat: Any) -> None:
    """A directory user flagged auto_accept: false is INVITED, not JOINED."""
    created = (
        chat()
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/sam.lee@example.com"))
        .execute()
    )

    assert created["state"] == "INVITED"


def test_user_auth_member_objects_carry_only_name_and_type(chat: Any) -> None:
    """Under user auth the member object has just name and type."""
    created = (
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/li.wei@example.com"))
        .execute()
    )

    assert created["member"] == {"name": "users/100000000003", "type": "HUMAN"}


def test_duplicate_direct_add_is_409_already_exists(chat: Any, refused: Any) -> None:
    """Adding someone who is already a direct member answers 409 ALREADY_EXISTS."""
    refusal = refused(
        chat()
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/ana.silva@example.com"))
    )

    assert (refusal.http_status, refusal.status) == (409, "ALREADY_EXISTS")


def test_add_covered_by_a_nested_group_is_409(chat: Any, refused: Any) -> None:
    """A user already present through a (nested) group membership cannot be added: 409."""
    raj = chat("user:raj.mehta@example.com")
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()

    refusal = refused(
        raj.spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/li.wei@example.com"))
    )

    assert refusal.status == "ALREADY_EXISTS"
    assert "eng-leads@example.com" in refusal.error["message"]


def test_user_auth_adds_a_group_with_unspecified_role(chat: Any) -> None:
    """A group membership is JOINED with MEMBERSHIP_ROLE_UNSPECIFIED and a groupMember."""
    created = (
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-platform-core"}})
        .execute()
    )

    assert created["groupMember"] == {"name": "groups/g-platform-core"}
    assert created["role"] == "MEMBERSHIP_ROLE_UNSPECIFIED"
    assert "member" not in created


def test_app_auth_cannot_add_groups(chat: Any, refused: Any) -> None:
    """App authentication may not add Google Groups: 403."""
    refusal = refused(
        chat()
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-platform-core"}})
    )

    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


def test_app_auth_cannot_invite_external_users(chat: Any, refused: Any) -> None:
    """App authentication may not add users outside the organisation: 403."""
    refusal = refused(
        chat().spaces().members().create(parent="spaces/AAAAeng", body=body("users/x@gmail.com"))
    )

    assert refusal.http_status == 403


def test_groups_only_go_into_named_spaces(chat: Any, refused: Any) -> None:
    """A group cannot be added to a GROUP_CHAT: 400 INVALID_ARGUMENT."""
    refusal = refused(
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .create(parent="spaces/AAAAchat", body={"groupMember": {"name": "groups/g-platform-core"}})
    )

    assert (refusal.http_status, refusal.status) == (400, "INVALID_ARGUMENT")


def test_no_other_app_can_be_added(chat: Any, refused: Any) -> None:
    """Another Chat app can never be added: 403."""
    refusal = refused(
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .create(parent="spaces/AAAAchat", body=body("users/900000000002", "BOT"))
    )

    assert refusal.http_status == 403


def test_app_auth_cannot_add_the_app_itself(emu: Any, chat: Any, refused: Any) -> None:
    """Adding users/app needs user authentication; with app auth it is 403."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    refusal = refused(
        chat().spaces().members().create(parent="spaces/AAAAeng", body=body("users/app", "BOT"))
    )

    assert refusal.http_status == 403


def test_a_user_adds_the_app_with_chat_memberships_app(chat: Any) -> None:
    """With chat.memberships.app a person may add the calling app (as a BOT member)."""
    user = chat("user:raj.mehta@example.com;scopes=chat.memberships.app")
    user.spaces().members().delete(name="spaces/AAAAchat/members/app").execute()

    created = (
        user.spaces()
        .members()
        .create(parent="spaces/AAAAchat", body=body("users/app", "BOT"))
        .execute()
    )

    assert created["member"] == {"name": "users/900000000001", "type": "BOT"}


def test_chat_memberships_app_cannot_add_people(chat: Any, refused: Any) -> None:
    """chat.memberships.app only covers the app itself; adding a person is 403."""
    refusal = refused(
        chat("user:raj.mehta@example.com;scopes=chat.memberships.app")
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/li.wei@example.com"))
    )

    assert refusal.http_status == 403


def test_malformed_user_name_is_400(chat: Any, refused: Any) -> None:
    """A People contact id rewritten as users/c... is rejected as a malformed user name."""
    refusal = refused(
        chat().spaces().members().create(parent="spaces/AAAAeng", body=body("users/c12345"))
    )

    assert refusal.status == "INVALID_ARGUMENT"
    assert "malformed user resource name" in refusal.error["message"]


def test_unknown_in_domain_user_is_404(chat: Any, refused: Any) -> None:
    """An in-domain email that is not in the directory is 404 NOT_FOUND."""
    refusal = refused(
        chat()
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body=body("users/nobody@example.com"))
    )

    assert (refusal.http_status, refusal.status) == (404, "NOT_FOUND")


def test_app_must_be_a_member_to_act_in_a_space(emu: Any, chat: Any, refused: Any) -> None:
    """When the app is not in the space, the space is not found for it (404)."""
    emu.reset(
        {
            "directory": {"users": [{"email": "a@example.com"}, {"email": "b@example.com"}]},
            "spaces": [
                {"name": "spaces/S", "display_name": "S", "members": [{"user": "a@example.com"}]}
            ],
        }
    )
    refusal = refused(
        chat().spaces().members().create(parent="spaces/S", body=body("users/b@example.com"))
    )

    assert refusal.http_status == 404


def test_plain_members_cannot_add_people_with_user_auth(chat: Any, refused: Any) -> None:
    """With user auth only Owners and Managers may add members (strict default)."""
    refusal = refused(
        chat("user:ana.silva@example.com")
        .spaces()
        .members()
        .create(parent="spaces/AAAAuser", body=body("users/li.wei@example.com"))
    )

    assert refusal.status == "PERMISSION_DENIED"


def test_membership_count_follows_adds(chat: Any) -> None:
    """space.membershipCount counts joined direct humans and groups."""
    raj = chat("user:raj.mehta@example.com")
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body=body("users/100000000003")
    ).execute()
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body=body("users/sam.lee@example.com")
    ).execute()

    space = raj.spaces().get(name="spaces/AAAAeng").execute()

    assert space["membershipCount"] == {"joinedDirectHumanUserCount": 3, "joinedGroupCount": 1}
