"""spaces.members get and list (reference §3.2, §3.3, §4)."""

from __future__ import annotations

from typing import Any

import pytest


def names(listing: dict[str, Any]) -> set[str]:
    return {m["name"] for m in listing.get("memberships", [])}


def big_space(emu: Any, people: int) -> None:
    users = [{"email": f"p{i}@example.com"} for i in range(people)]
    emu.reset(
        {
            "directory": {"users": users},
            "spaces": [
                {
                    "name": "spaces/BIG",
                    "display_name": "Big",
                    "members": [{"user": "app"}, *({"user": u["email"]} for u in users)],
                }
            ],
        }
    )


@pytest.mark.parametrize(
    "member",
    ["100000000001", "ana.silva@example.com", "ana.silva%40example.com"],
    ids=["numeric", "raw-at", "percent-40"],
)
def test_get_accepts_id_and_email_aliases(raw: Any, member: str) -> None:
    """get takes the numeric id or an email with a raw @ or %40, answering the canonical name."""
    answer = raw("GET", f"v1/spaces/AAAAeng/members/{member}")

    assert answer.status == 200
    assert answer.body["name"] == "spaces/AAAAeng/members/100000000001"


def test_app_auth_cannot_get_app_memberships(chat: Any, refused: Any) -> None:
    """With app auth the app sees no app membership, not even its own (404)."""
    refusal = refused(chat().spaces().members().get(name="spaces/AAAAeng/members/app"))

    assert refusal.http_status == 404


def test_user_auth_gets_the_app_membership(chat: Any) -> None:
    """A person may get spaces/S/members/app, answered with the app's numeric name."""
    got = (
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .get(name="spaces/AAAAeng/members/app")
        .execute()
    )

    assert got["member"] == {"name": "users/900000000001", "type": "BOT"}


def test_unknown_membership_is_404(chat: Any, refused: Any) -> None:
    """get of someone who is not a member is 404 NOT_FOUND."""
    refusal = refused(chat().spaces().members().get(name="spaces/AAAAeng/members/100000000003"))

    assert (refusal.http_status, refusal.status) == (404, "NOT_FOUND")


def test_list_with_app_auth_omits_every_app(chat: Any) -> None:
    """App auth lists humans only: apps (including itself) are excluded."""
    listing = chat().spaces().members().list(parent="spaces/AAAAuser").execute()

    assert {m["member"]["type"] for m in listing["memberships"]} == {"HUMAN"}


def test_list_with_user_auth_includes_apps(chat: Any) -> None:
    """User auth lists app memberships too."""
    listing = (
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .list(parent="spaces/AAAAuser")
        .execute()
    )

    assert {
        "spaces/AAAAuser/members/900000000001",
        "spaces/AAAAuser/members/900000000002",
    } <= names(listing)


def test_list_hides_invited_unless_show_invited(chat: Any) -> None:
    """INVITED memberships only appear with showInvited=true (user auth)."""
    raj = chat("user:raj.mehta@example.com")
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/sam.lee@example.com"}}
    ).execute()
    sam = "spaces/AAAAeng/members/100000000005"

    assert sam not in names(raj.spaces().members().list(parent="spaces/AAAAeng").execute())
    assert sam in names(
        raj.spaces().members().list(parent="spaces/AAAAeng", showInvited=True).execute()
    )


def test_show_invited_needs_user_auth(chat: Any, refused: Any) -> None:
    """showInvited with app auth is refused with 400 INVALID_ARGUMENT."""
    refusal = refused(chat().spaces().members().list(parent="spaces/AAAAeng", showInvited=True))

    assert refusal.status == "INVALID_ARGUMENT"


def test_list_hides_groups_unless_show_groups(chat: Any) -> None:
    """Group memberships only appear with showGroups=true."""
    raj = chat("user:raj.mehta@example.com")
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()
    group = "spaces/AAAAeng/members/g-eng-leads"

    assert group not in names(raj.spaces().members().list(parent="spaces/AAAAeng").execute())
    assert group in names(
        raj.spaces().members().list(parent="spaces/AAAAeng", showGroups=True).execute()
    )


def test_negative_page_size_is_400(chat: Any, refused: Any) -> None:
    """pageSize < 0 is INVALID_ARGUMENT."""
    refusal = refused(chat().spaces().members().list(parent="spaces/AAAAeng", pageSize=-1))

    assert (refusal.http_status, refusal.status) == (400, "INVALID_ARGUMENT")


def test_page_size_defaults_to_100(emu: Any, chat: Any) -> None:
    """Without pageSize a page holds at most 100 memberships and offers a next token."""
    big_space(emu, 150)
    first = chat().spaces().members().list(parent="spaces/BIG").execute()

    assert len(first["memberships"]) == 100
    assert first["nextPageToken"]


def test_page_size_is_clamped_to_1000(emu: Any, chat: Any) -> None:
    """pageSize above 1000 is clamped, not refused."""
    big_space(emu, 1005)
    first = chat().spaces().members().list(parent="spaces/BIG", pageSize=5000).execute()

    assert len(first["memberships"]) == 1000


def test_paging_visits_every_membership_once(emu: Any, chat: Any) -> None:
    """Following nextPageToken yields each membership exactly once, then no token."""
    big_space(emu, 25)
    seen: list[str] = []
    token = None
    while True:
        page = (
            chat()
            .spaces()
            .members()
            .list(parent="spaces/BIG", pageSize=10, pageToken=token)
            .execute()
        )
        seen += [m["name"] for m in page["memberships"]]
        token = page.get("nextPageToken")
        if not token:
            break

    assert len(seen) == len(set(seen)) == 25


def test_page_token_is_bound_to_the_original_parameters(emu: Any, chat: Any, refused: Any) -> None:
    """Reusing a page token with a different filter is 400 INVALID_ARGUMENT."""
    big_space(emu, 25)
    first = chat().spaces().members().list(parent="spaces/BIG", pageSize=10).execute()

    refusal = refused(
        chat()
        .spaces()
        .members()
        .list(
            parent="spaces/BIG",
            pageSize=10,
            pageToken=first["nextPageToken"],
            filter='role = "ROLE_MEMBER"',
        )
    )

    assert refusal.status == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('role = "ROLE_MANAGER"', {"100000000002"}),
        (
            'role = "ROLE_MANAGER" OR role = "ROLE_MEMBER"',
            {"100000000002", "100000000001", "900000000001", "900000000002"},
        ),
        ('member.type = "HUMAN" AND role = "ROLE_MEMBER"', {"100000000001"}),
        ('member.type != "BOT"', {"100000000001", "100000000002"}),
        ('member.type = "BOT"', {"900000000001", "900000000002"}),
    ],
)
def test_filter_selects_by_role_and_member_type(chat: Any, text: str, expected: set[str]) -> None:
    """The documented filter forms select the expected memberships."""
    listing = (
        chat("user:raj.mehta@example.com")
        .spaces()
        .members()
        .list(parent="spaces/AAAAuser", filter=text)
        .execute()
    )

    assert {n.rsplit("/", 1)[1] for n in names(listing)} == expected


@pytest.mark.parametrize(
    "text",
    [
        'member.type = "HUMAN" AND member.type = "BOT"',
        'role = "ROLE_MANAGER" AND role = "ROLE_MEMBER"',
        'role != "ROLE_MEMBER"',
        'role = "OWNER"',
        'role = "ROLE_ASSISTANT_MANAGER"',
        'member.type = "HUMAN" AND (role = "ROLE_MANAGER" OR role = "ROLE_MEMBER")',
        'state = "JOINED"',
        "role = ROLE_MEMBER",
    ],
)
def test_invalid_filters_are_400(chat: Any, refused: Any, text: str) -> None:
    """Invalid or unsupported filters are INVALID_ARGUMENT."""
    refusal = refused(chat().spaces().members().list(parent="spaces/AAAAeng", filter=text))

    assert refusal.status == "INVALID_ARGUMENT"


def test_groups_survive_not_bot_but_not_human_filter(chat: Any) -> None:
    """With showGroups a group passes member.type != "BOT" but not member.type = "HUMAN"."""
    raj = chat("user:raj.mehta@example.com")
    raj.spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()
    group = "spaces/AAAAeng/members/g-eng-leads"
    members = raj.spaces().members()

    assert group in names(
        members.list(
            parent="spaces/AAAAeng", showGroups=True, filter='member.type != "BOT"'
        ).execute()
    )
    assert group not in names(
        members.list(
            parent="spaces/AAAAeng", showGroups=True, filter='member.type = "HUMAN"'
        ).execute()
    )


def test_non_member_user_cannot_read_a_space(chat: Any, refused: Any) -> None:
    """A person who is not in the space gets 404 for its member list."""
    refusal = refused(
        chat("user:li.wei@example.com").spaces().members().list(parent="spaces/AAAAeng")
    )

    assert refusal.http_status == 404
