"""spaces create/get/list (reference §8)."""

from __future__ import annotations

from typing import Any


def test_app_created_space_holds_the_app_as_plain_member(emu: Any, chat: Any) -> None:
    """A space created by the app contains the app as ROLE_MEMBER and no Owner."""
    space = (
        chat()
        .spaces()
        .create(
            body={"spaceType": "SPACE", "displayName": "New", "customer": "customers/my_customer"}
        )
        .execute()
    )
    [entry] = [s for s in emu.state()["spaces"] if s["name"] == space["name"]]

    assert space["membershipCount"] == {"joinedDirectHumanUserCount": 0, "joinedGroupCount": 0}
    assert entry["createdBy"] == "app"
    assert [(m["kind"], m["role"], m["app"]) for m in entry["memberships"]] == [
        ("BOT", "ROLE_MEMBER", True)
    ]


def test_app_space_creation_needs_a_customer(chat: Any, refused: Any) -> None:
    """With app auth, customer is required when creating a SPACE: 400."""
    refusal = refused(chat().spaces().create(body={"spaceType": "SPACE", "displayName": "X"}))

    assert refusal.status == "INVALID_ARGUMENT"


def test_display_names_are_unique(chat: Any, refused: Any) -> None:
    """Creating a space with an existing display name is 409 ALREADY_EXISTS."""
    refusal = refused(
        chat("user:raj.mehta@example.com")
        .spaces()
        .create(body={"spaceType": "SPACE", "displayName": "Engineering"})
    )

    assert refusal.status == "ALREADY_EXISTS"


def test_user_created_space_makes_the_creator_owner(emu: Any, chat: Any) -> None:
    """A person creating a space becomes its Owner; createdBy records them."""
    space = (
        chat("user:li.wei@example.com")
        .spaces()
        .create(body={"spaceType": "SPACE", "displayName": "Li's space"})
        .execute()
    )
    [entry] = [s for s in emu.state()["spaces"] if s["name"] == space["name"]]

    assert entry["createdBy"] == "li.wei@example.com"
    assert entry["memberships"][0]["role"] == "ROLE_MANAGER"


def test_create_only_makes_named_spaces(chat: Any, refused: Any) -> None:
    """spaces.create with GROUP_CHAT is 400 (strict reading)."""
    refusal = refused(
        chat("user:raj.mehta@example.com").spaces().create(body={"spaceType": "GROUP_CHAT"})
    )

    assert refusal.http_status == 400


def test_list_shows_the_callers_spaces(chat: Any) -> None:
    """spaces.list returns the spaces the caller belongs to, filterable by type."""
    mine = chat().spaces().list().execute()["spaces"]
    named = chat().spaces().list(filter='spaceType = "SPACE"').execute()["spaces"]

    assert {s["name"] for s in mine} == {"spaces/AAAAeng", "spaces/AAAAuser", "spaces/AAAAchat"}
    assert {s["name"] for s in named} == {"spaces/AAAAeng", "spaces/AAAAuser"}


def test_get_of_a_space_the_caller_is_not_in_is_404(chat: Any, refused: Any) -> None:
    """spaces.get by a non-member is 404."""
    refusal = refused(chat("user:li.wei@example.com").spaces().get(name="spaces/AAAAeng"))

    assert refusal.http_status == 404


def test_app_auth_sees_permission_settings_only_in_spaces_it_created(chat: Any) -> None:
    """spaces.get with chat.app.spaces shows permissionSettings in an app-created space and not
    in a person's space; with chat.bot it shows neither, nor accessSettings (spaces.get
    reference, "App authentication has the following limitations")."""
    spaces_scope = chat("app;scopes=chat.app.spaces").spaces()
    bot = chat("app;scopes=chat.bot").spaces()

    created = spaces_scope.get(name="spaces/AAAAeng").execute()
    person_made = spaces_scope.get(name="spaces/AAAAuser").execute()
    plain = bot.get(name="spaces/AAAAeng").execute()

    assert "permissionSettings" in created and "accessSettings" in created
    assert "permissionSettings" not in person_made and "accessSettings" in person_made
    assert "permissionSettings" not in plain and "accessSettings" not in plain
    assert plain["spaceType"] == "SPACE"


def test_user_auth_sees_permission_settings_anywhere(chat: Any) -> None:
    """A member reading a person-made space with user authentication sees its settings."""
    space = chat("user:ana.silva@example.com").spaces().get(name="spaces/AAAAuser").execute()

    assert "permissionSettings" in space
