"""``permissionSettings.viewSpaceMembership`` (reference §3.2, §3.3, §6): who may see the list.

The seed field ``view_members`` restricts the member list to ``owners`` or ``managers`` (Owners
and Managers). People it excludes get 403 on get and list; the app gets only what members see
(the people the setting lets in) and 403 on get of anyone else.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from tests.emulator.conftest import SEED

LI = "user:li.wei@example.com"
ANA = "user:ana.silva@example.com"
RAJ = "user:raj.mehta@example.com"


def restricted_seed(audience: str) -> dict[str, Any]:
    """The minimal seed with li.wei as a plain member and Engineering's list restricted."""
    seed = yaml.safe_load(SEED.read_text())
    for space in seed["spaces"]:
        if space["name"] in ("spaces/AAAAeng", "spaces/AAAAchat"):
            space["view_members"] = audience
        if space["name"] == "spaces/AAAAeng":
            space["members"].append({"user": "li.wei@example.com"})
    return seed  # type: ignore[no-any-return]


@pytest.fixture
def managers_only(emu: Any) -> Any:
    emu.reset(restricted_seed("managers"))
    return emu


def names(listed: dict[str, Any]) -> list[str]:
    return sorted(m["name"].rsplit("/", 1)[1] for m in listed.get("memberships", []))


def test_plain_member_listing_a_restricted_space_is_403(
    managers_only: Any, chat: Any, refused: Any
) -> None:
    """User auth: a Member of a managers-only space gets PERMISSION_DENIED on list."""
    refusal = refused(chat(LI).spaces().members().list(parent="spaces/AAAAeng"))

    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


def test_plain_member_cannot_get_even_their_own_membership(
    managers_only: Any, chat: Any, refused: Any
) -> None:
    """User auth: get is 403 too, for any membership (strict reading, UNCONFIRMED for self)."""
    members = chat(LI).spaces().members()

    assert refused(members.get(name="spaces/AAAAeng/members/100000000003")).http_status == 403
    assert refused(members.get(name="spaces/AAAAeng/members/100000000002")).http_status == 403


def test_owners_and_managers_see_the_whole_list(managers_only: Any, chat: Any) -> None:
    """With view_members: managers, both an Owner and a Manager list every person."""
    for token in (RAJ, ANA):
        listed = chat(token).spaces().members().list(parent="spaces/AAAAeng").execute()
        assert names(listed) == ["100000000001", "100000000002", "100000000003", "900000000001"]


def test_owners_only_setting_shuts_out_managers(emu: Any, chat: Any, refused: Any) -> None:
    """With view_members: owners, a Manager is refused like a Member."""
    emu.reset(restricted_seed("owners"))

    refusal = refused(chat(ANA).spaces().members().list(parent="spaces/AAAAeng"))

    assert refusal.status == "PERMISSION_DENIED"


def test_app_lists_only_what_members_can_see(managers_only: Any, chat: Any) -> None:
    """App auth gets a partial list: the Owner and the Manager, not the plain member."""
    listed = chat().spaces().members().list(parent="spaces/AAAAeng").execute()

    assert names(listed) == ["100000000001", "100000000002"]


def test_app_gets_an_empty_list_where_members_see_nobody(managers_only: Any, chat: Any) -> None:
    """A restricted group chat has no Owners or Managers: the app's list is empty."""
    listed = chat().spaces().members().list(parent="spaces/AAAAchat").execute()

    assert listed == {}


def test_app_get_of_a_hidden_membership_is_403(managers_only: Any, chat: Any, refused: Any) -> None:
    """App auth: get of a visible membership works, of a hidden one PERMISSION_DENIED."""
    members = chat().spaces().members()

    visible = members.get(name="spaces/AAAAeng/members/100000000002").execute()
    refusal = refused(members.get(name="spaces/AAAAeng/members/100000000003"))

    assert visible["role"] == "ROLE_MANAGER"
    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


def test_admin_access_is_not_bound_by_the_setting(managers_only: Any, chat: Any) -> None:
    """useAdminAccess lists every person of a restricted space (UNCONFIRMED, documented)."""
    listed = (
        chat("user:mo.admin@example.com")
        .spaces()
        .members()
        .list(parent="spaces/AAAAeng", useAdminAccess=True, filter='member.type = "HUMAN"')
        .execute()
    )

    assert names(listed) == ["100000000001", "100000000002", "100000000003"]


def test_unrestricted_spaces_list_everyone_for_members(emu: Any, chat: Any) -> None:
    """The default (view_members: members) lets a plain member list the space."""
    listed = chat(ANA).spaces().members().list(parent="spaces/AAAAuser").execute()

    assert "100000000002" in names(listed)


def test_spaces_get_reports_the_permission_setting(managers_only: Any, chat: Any) -> None:
    """spaces.get carries permissionSettings.viewSpaceMembership as the seed set it."""
    space = chat().spaces().get(name="spaces/AAAAeng").execute()

    assert space["permissionSettings"]["viewSpaceMembership"] == {
        "managersAllowed": True,
        "assistantManagersAllowed": True,
        "membersAllowed": False,
    }


def test_bad_view_members_in_a_seed_names_the_field() -> None:
    """A seed error for view_members names spaces[i].view_members."""
    from workspace_emulator import seeding

    with pytest.raises(seeding.SeedError, match=r"spaces\[0\]\.view_members"):
        seeding.load({"spaces": [{"name": "spaces/S", "view_members": "everyone"}]})
