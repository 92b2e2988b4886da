"""The Chat adapter validates every resource name before a request is built."""

from __future__ import annotations

from typing import Any

import pytest

from chatsync.adapters.chat import rest
from chatsync.domain import errors
from chatsync.domain.model import Email, Membership, Role, SpaceName

BAD_SPACES = [
    "",
    "spaces/",
    "spaces/a/b",
    "spaces/x\n",
    "users/x",
    "spaces/a?x=1",
    "spaces/../x",
    "spaces/a b",
    "space/AAAA",
    "spaces/" + "a" * 129,
]
BAD_EMAILS = [
    "",
    "nobody",
    "a@b",
    "a@example.com\n",
    "a@example.com/x",
    "a b@example.com",
    "../a@example.com",
    "a@example.com?x",
]
BAD_MEMBERS = [
    "spaces/AAAA/members/",
    "spaces/AAAA/members/a/b",
    "spaces/AAAA",
    "spaces/AAAA/x/1",
    "spaces/A A/members/1",
    "spaces/AAAA/members/1\n",
    "users/1",
]


@pytest.mark.parametrize("space", BAD_SPACES)
def test_bad_space_names_raise_before_any_request(space: str) -> None:
    """spaces/<id> or InvalidResourceName."""
    with pytest.raises(errors.InvalidResourceName):
        rest.checked_space(space)


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_bad_user_names_raise(email: str) -> None:
    """users/<email> only for a whole valid email."""
    with pytest.raises(errors.InvalidResourceName):
        rest.checked_user(email)


@pytest.mark.parametrize("name", BAD_MEMBERS)
def test_bad_membership_names_raise(name: str) -> None:
    """spaces/<id>/members/<id-or-email> only."""
    with pytest.raises(errors.InvalidResourceName):
        rest.checked_member_name(name)


def test_good_names_pass() -> None:
    """The shapes chatsync sends are accepted unchanged."""
    assert rest.checked_space("spaces/AAAA_b-1") == "spaces/AAAA_b-1"
    assert rest.checked_user("a.b+c@example.com") == "users/a.b+c@example.com"
    assert rest.checked_member_name("spaces/AAAA/members/123") == "spaces/AAAA/members/123"
    assert rest.checked_member_name("spaces/AAAA/members/a@example.com")


def test_adapter_sends_nothing_for_a_bad_name(emulator: Any) -> None:
    """Every port method refuses a bad name without touching the API."""
    from google.oauth2.credentials import Credentials

    chat = rest.RestChatMembers(Credentials(token="app"), endpoint=emulator.url)
    before = len(emulator.calls())
    bad = SpaceName("spaces/x\n")
    calls = [
        lambda: chat.get_space(bad),
        lambda: chat.get_member(bad, Email("a@example.com")),
        lambda: chat.get_member(SpaceName("spaces/AAAA"), Email("a@example.com/../x")),
        lambda: chat.list_members(bad),
        lambda: chat.add_member(SpaceName("spaces/AAAA"), Email("evil@example.com?x=1")),
        lambda: chat.set_role(
            Membership(SpaceName("spaces/AAAA"), None, Role.MEMBER, "spaces/AAAA/members/../../x"),
            Role.OWNER,
        ),
        lambda: chat.remove_member(
            Membership(SpaceName("spaces/AAAA"), None, Role.MEMBER, "spaces/AAAA")
        ),
    ]
    for call in calls:
        with pytest.raises(errors.InvalidResourceName):
            call()
    assert emulator.calls()[before:] == []
