"""The token convention, scopes, admin access, query parameters and the error format."""

from __future__ import annotations

from typing import Any

import pytest


def test_missing_token_is_401_unauthenticated(raw: Any) -> None:
    """No Authorization header: 401 UNAUTHENTICATED in Google's JSON error format."""
    answer = raw("GET", "v1/spaces/AAAAeng/members", token=None)

    assert answer.status == 401
    assert answer.body["error"]["status"] == "UNAUTHENTICATED"
    assert answer.body["error"]["code"] == 401


@pytest.mark.parametrize("token", ["robot", "user:nobody@example.com", "app;scope=chat.bot"])
def test_unparseable_or_unknown_tokens_are_401(raw: Any, token: str) -> None:
    """An unknown principal, unknown user or malformed scopes part is 401."""
    assert raw("GET", "v1/spaces/AAAAeng/members", token=token).status == 401


def test_suspended_users_cannot_authenticate(raw: Any) -> None:
    """A suspended directory user is refused with 401."""
    assert raw("GET", "v1/spaces", token="user:old.timer@example.com").status == 401


def test_missing_scope_is_403_with_scope_insufficient_reason(chat: Any, refused: Any) -> None:
    """A token without any of the method's scopes: 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT."""
    refusal = refused(
        chat("app;scopes=chat.bot")
        .spaces()
        .members()
        .create(parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}})
    )

    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")
    assert refusal.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert refusal.detail("ErrorInfo")["metadata"]["service"] == "chat.googleapis.com"


def test_full_scope_urls_are_accepted(chat: Any) -> None:
    """Scopes may be written as full https://www.googleapis.com/auth/... URLs."""
    token = "app;scopes=https://www.googleapis.com/auth/chat.bot"

    assert chat(token).spaces().members().list(parent="spaces/AAAAeng").execute()["memberships"]


def test_chat_bot_reads_but_does_not_write(chat: Any) -> None:
    """chat.bot is enough to list members of a space the app is in."""
    listing = chat("app;scopes=chat.bot").spaces().members().list(parent="spaces/AAAAeng")

    assert len(listing.execute()["memberships"]) == 2


def test_user_scopes_do_not_count_for_the_app(chat: Any, refused: Any) -> None:
    """An app token claiming a user scope (chat.memberships) still lacks a usable scope."""
    refusal = refused(
        chat("app;scopes=chat.memberships").spaces().members().list(parent="spaces/AAAAeng")
    )

    assert refusal.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_admin_access_needs_an_admin_scope(chat: Any, refused: Any) -> None:
    """useAdminAccess without chat.admin.memberships is 403 scope-insufficient."""
    refusal = refused(
        chat("user:mo.admin@example.com;scopes=chat.memberships")
        .spaces()
        .members()
        .list(parent="spaces/AAAAeng", useAdminAccess=True, filter='member.type = "HUMAN"')
    )

    assert refusal.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_admin_access_needs_an_admin(chat: Any, refused: Any) -> None:
    """A non-admin holding the admin scope still gets 403 with useAdminAccess."""
    token = "user:raj.mehta@example.com;scopes=chat.admin.memberships"
    refusal = refused(
        chat(token)
        .spaces()
        .members()
        .list(parent="spaces/AAAAeng", useAdminAccess=True, filter='member.type = "HUMAN"')
    )

    assert refusal.status == "PERMISSION_DENIED"


def test_admin_list_requires_a_member_type_filter(chat: Any, refused: Any) -> None:
    """Admin list without a member.type clause excluding apps is 400."""
    refusal = refused(
        chat("user:mo.admin@example.com")
        .spaces()
        .members()
        .list(parent="spaces/AAAAeng", useAdminAccess=True)
    )

    assert refusal.status == "INVALID_ARGUMENT"


def test_admin_reaches_spaces_they_are_not_in(chat: Any) -> None:
    """An admin lists a space without being a member, and never sees apps."""
    listing = (
        chat("user:mo.admin@example.com")
        .spaces()
        .members()
        .list(parent="spaces/AAAAuser", useAdminAccess=True, filter='member.type != "BOT"')
        .execute()
    )

    assert {m["member"]["type"] for m in listing["memberships"]} == {"HUMAN"}


def test_admin_cannot_add_external_users(chat: Any, refused: Any) -> None:
    """Admin access cannot add users from outside the organisation: 403."""
    refusal = refused(
        chat("user:mo.admin@example.com")
        .spaces()
        .members()
        .create(
            parent="spaces/AAAAeng",
            useAdminAccess=True,
            body={"member": {"name": "users/guest@partner.org", "type": "HUMAN"}},
        )
    )

    assert refusal.http_status == 403


def test_admin_cannot_get_app_memberships(chat: Any, refused: Any) -> None:
    """Admin access never returns app memberships."""
    refusal = refused(
        chat("user:mo.admin@example.com")
        .spaces()
        .members()
        .get(name="spaces/AAAAeng/members/900000000001", useAdminAccess=True)
    )

    assert refusal.http_status == 404


def test_standard_query_parameters_are_ignored(raw: Any) -> None:
    """$.xgafv, prettyPrint, fields, quotaUser and alt are accepted on every call."""
    answer = raw(
        "GET", "v1/spaces/AAAAeng/members?alt=json&prettyPrint=false&$.xgafv=2&fields=*&quotaUser=x"
    )

    assert answer.status == 200


def test_unknown_query_parameters_are_400(raw: Any) -> None:
    """A parameter the method does not define cannot be bound: 400 INVALID_ARGUMENT."""
    answer = raw("GET", "v1/spaces/AAAAeng/members?pagesize=5")

    assert answer.status == 400
    assert "Unknown name" in answer.body["error"]["message"]


def test_unknown_paths_are_404_in_google_format(raw: Any) -> None:
    """An unknown URL is a Google-shaped 404."""
    answer = raw("GET", "v1/spaces/AAAAeng/messages")

    assert (answer.status, answer.body["error"]["status"]) == (404, "NOT_FOUND")


def test_invalid_json_body_is_400(emu: Any) -> None:
    """A body that is not JSON is INVALID_ARGUMENT."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        emu.url + "v1/spaces/AAAAeng/members", data=b"{nope", method="POST"
    )
    request.add_header("Authorization", "Bearer app")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)

    assert info.value.code == 400
