"""spaces.members patch and delete (reference §3.4, §3.5, §6)."""

from __future__ import annotations

from typing import Any

import pytest

ANA = "spaces/AAAAeng/members/100000000001"  # Manager in the app-created space
RAJ = "spaces/AAAAeng/members/100000000002"  # its sole Owner


def patch(service: Any, name: str, role: str, mask: str = "role") -> Any:
    return service.spaces().members().patch(name=name, updateMask=mask, body={"role": role})


def test_app_promotes_in_a_space_it_created(chat: Any) -> None:
    """App auth may change roles in spaces the app created."""
    changed = patch(chat(), ANA, "ROLE_MANAGER").execute()

    assert changed["role"] == "ROLE_MANAGER"


def test_app_cannot_change_roles_in_spaces_it_did_not_create(chat: Any, refused: Any) -> None:
    """App auth patch outside app-created spaces is 403."""
    refusal = refused(
        patch(chat(), "spaces/AAAAuser/members/100000000001", "ROLE_ASSISTANT_MANAGER")
    )

    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


@pytest.mark.parametrize("mask", ["", "state", "role,state"])
def test_update_mask_must_name_role(chat: Any, refused: Any, mask: str) -> None:
    """A missing updateMask or one with other paths is 400 INVALID_ARGUMENT."""
    refusal = refused(patch(chat(), ANA, "ROLE_MANAGER", mask))

    assert refusal.status == "INVALID_ARGUMENT"


def test_star_update_mask_is_accepted(chat: Any) -> None:
    """updateMask=* means every supported path, i.e. role."""
    assert patch(chat(), ANA, "ROLE_MEMBER", "*").execute()["role"] == "ROLE_MEMBER"


def test_invalid_role_is_400(chat: Any, refused: Any) -> None:
    """An unknown role value is INVALID_ARGUMENT."""
    refusal = refused(patch(chat(), ANA, "OWNER"))

    assert refusal.status == "INVALID_ARGUMENT"


def test_manager_roles_only_exist_in_named_spaces(chat: Any, refused: Any) -> None:
    """ROLE_MANAGER in a GROUP_CHAT is 400."""
    refusal = refused(
        patch(
            chat("user:raj.mehta@example.com"),
            "spaces/AAAAchat/members/100000000001",
            "ROLE_MANAGER",
        )
    )

    assert refusal.http_status == 400


def test_patch_with_an_email_alias_is_400(chat: Any, refused: Any) -> None:
    """patch needs the canonical name; an email alias is 400 (strict reading)."""
    refusal = refused(patch(chat(), "spaces/AAAAeng/members/ana.silva@example.com", "ROLE_MEMBER"))

    assert refusal.status == "INVALID_ARGUMENT"


def test_sole_owner_cannot_be_demoted(chat: Any, refused: Any) -> None:
    """Demoting the only Owner is 400 FAILED_PRECONDITION."""
    refusal = refused(patch(chat(), RAJ, "ROLE_MEMBER"))

    assert (refusal.http_status, refusal.status) == (400, "FAILED_PRECONDITION")


def test_an_owner_may_be_demoted_once_another_exists(chat: Any) -> None:
    """With a second Owner, the first can be demoted."""
    patch(chat(), ANA, "ROLE_MANAGER").execute()

    assert patch(chat(), RAJ, "ROLE_MEMBER").execute()["role"] == "ROLE_MEMBER"


def test_a_manager_cannot_make_owners(chat: Any, refused: Any) -> None:
    """A Manager (ROLE_ASSISTANT_MANAGER) may not grant ROLE_MANAGER: 403."""
    chat().spaces().members().create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}}
    ).execute()
    refusal = refused(
        patch(
            chat("user:ana.silva@example.com"),
            "spaces/AAAAeng/members/100000000003",
            "ROLE_MANAGER",
        )
    )

    assert refusal.status == "PERMISSION_DENIED"


def test_a_manager_may_make_managers(chat: Any) -> None:
    """A Manager may promote a Member to Manager."""
    chat().spaces().members().create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}}
    ).execute()
    changed = patch(
        chat("user:ana.silva@example.com"),
        "spaces/AAAAeng/members/100000000003",
        "ROLE_ASSISTANT_MANAGER",
    ).execute()

    assert changed["role"] == "ROLE_ASSISTANT_MANAGER"


def test_a_manager_cannot_touch_an_owner(emu: Any, chat: Any, refused: Any) -> None:
    """A Manager may not change an Owner's role (with two Owners present): 403."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add", "owner")
    refusal = refused(patch(chat("user:ana.silva@example.com"), RAJ, "ROLE_MEMBER"))

    assert refusal.status == "PERMISSION_DENIED"


def test_members_cannot_change_roles(chat: Any, refused: Any) -> None:
    """A plain Member may not patch anyone: 403."""
    refusal = refused(
        patch(
            chat("user:ana.silva@example.com"),
            "spaces/AAAAuser/members/100000000001",
            "ROLE_MANAGER",
        )
    )

    assert refusal.status == "PERMISSION_DENIED"


def test_group_memberships_have_no_role_to_patch(chat: Any, refused: Any) -> None:
    """Patching a group membership is 400 FAILED_PRECONDITION (strict reading)."""
    raj = chat("user:raj.mehta@example.com")
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()
    refusal = refused(patch(raj, "spaces/AAAAeng/members/g-eng-leads", "ROLE_MEMBER"))

    assert refusal.status == "FAILED_PRECONDITION"


def test_delete_answers_not_a_member_and_the_membership_is_gone(chat: Any, refused: Any) -> None:
    """delete returns {name, state: NOT_A_MEMBER}; afterwards get is 404 and list omits it."""
    members = chat().spaces().members()
    members.create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}}
    ).execute()

    answer = members.delete(name="spaces/AAAAeng/members/li.wei@example.com").execute()

    assert answer == {"name": "spaces/AAAAeng/members/100000000003", "state": "NOT_A_MEMBER"}
    assert refused(members.get(name="spaces/AAAAeng/members/100000000003")).http_status == 404
    listed = members.list(parent="spaces/AAAAeng").execute()["memberships"]
    assert answer["name"] not in {m["name"] for m in listed}


def test_delete_accepts_a_percent_encoded_email(raw: Any) -> None:
    """delete takes spaces/S/members/{email} with %40."""
    answer = raw("DELETE", "v1/spaces/AAAAeng/members/ana.silva%40example.com")

    assert answer.body == {"name": ANA, "state": "NOT_A_MEMBER"}


def test_deleting_a_non_member_is_404(chat: Any, refused: Any) -> None:
    """Removing someone who is not a member is 404 NOT_FOUND."""
    refusal = refused(chat().spaces().members().delete(name="spaces/AAAAeng/members/100000000003"))

    assert (refusal.http_status, refusal.status) == (404, "NOT_FOUND")


def test_sole_owner_cannot_be_removed(chat: Any, refused: Any) -> None:
    """Removing the only Owner is 400 FAILED_PRECONDITION."""
    refusal = refused(chat().spaces().members().delete(name=RAJ))

    assert (refusal.http_status, refusal.status) == (400, "FAILED_PRECONDITION")


def test_app_removes_managers_only_in_spaces_it_created(emu: Any, chat: Any, refused: Any) -> None:
    """App auth removing a Manager: allowed in an app-created space, 403 elsewhere."""
    emu.manual_change("spaces/AAAAuser", "ana.silva@example.com", "role", "manager")

    refusal = refused(chat().spaces().members().delete(name="spaces/AAAAuser/members/100000000001"))
    removed = chat().spaces().members().delete(name=ANA).execute()

    assert refusal.status == "PERMISSION_DENIED"
    assert removed["state"] == "NOT_A_MEMBER"


def test_app_auth_cannot_remove_groups(chat: Any, refused: Any) -> None:
    """App auth may not remove a Google Group membership: 403."""
    chat("user:raj.mehta@example.com").spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()
    refusal = refused(chat().spaces().members().delete(name="spaces/AAAAeng/members/g-eng-leads"))

    assert refusal.http_status == 403


def test_only_owners_remove_owners(emu: Any, chat: Any, refused: Any) -> None:
    """A Manager removing an Owner (not the sole one) is 403."""
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add", "owner")
    refusal = refused(chat("user:ana.silva@example.com").spaces().members().delete(name=RAJ))

    assert refusal.status == "PERMISSION_DENIED"


def test_anyone_may_leave(chat: Any) -> None:
    """A plain Member may remove their own membership."""
    answer = (
        chat("user:ana.silva@example.com")
        .spaces()
        .members()
        .delete(name="spaces/AAAAuser/members/ana.silva@example.com")
        .execute()
    )

    assert answer["state"] == "NOT_A_MEMBER"


def test_apps_never_remove_other_apps(chat: Any, refused: Any) -> None:
    """Deleting another app's membership is 403 even for an Owner."""
    refusal = refused(
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .delete(name="spaces/AAAAuser/members/900000000002")
    )

    assert refusal.http_status == 403


def test_the_app_is_removed_through_user_auth_with_members_app(chat: Any) -> None:
    """spaces/S/members/app with chat.memberships.app removes the calling app."""
    answer = (
        chat("user:raj.mehta@example.com;scopes=chat.memberships.app")
        .spaces()
        .members()
        .delete(name="spaces/AAAAeng/members/app")
        .execute()
    )

    assert answer == {"name": "spaces/AAAAeng/members/900000000001", "state": "NOT_A_MEMBER"}
