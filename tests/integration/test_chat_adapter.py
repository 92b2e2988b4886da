"""The Chat adapter against the emulator, in both auth modes, with its error map."""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from chatsync.adapters.chat.rest import RestChatMembers
from chatsync.domain import errors
from chatsync.domain.model import Email, Role, SpaceName

ANNOUNCE = SpaceName("spaces/AAAAannounce")  # created by a person, not by the app
SALES = SpaceName("spaces/AAAAsales")


def _client(emulator: Any, token: str, *, admin: bool) -> RestChatMembers:
    return RestChatMembers(Credentials(token=token), endpoint=emulator.url, admin=admin)


def test_admin_access_changes_roles_in_a_space_the_app_did_not_create(emulator):
    """Domain-wide delegation to an admin + useAdminAccess: add, promote, demote, remove."""
    chat = _client(emulator, "user:it-admin@example.com", admin=True)
    ana = Email("ana.silva@example.com")
    added = chat.add_member(ANNOUNCE, ana)
    assert added.role is Role.MEMBER and added.email == ana
    assert chat.set_role(added, Role.MANAGER).role is Role.MANAGER
    owners = chat.list_members(ANNOUNCE, owners_only=True)
    (owner,) = owners  # user auth lists people by users/{id} only: the Directory maps them
    assert owner.role is Role.OWNER and owner.user.startswith("users/") and owner.email is None
    chat.remove_member(added)
    assert chat.get_member(ANNOUNCE, ana) is None


def test_app_auth_cannot_change_roles_where_the_app_is_not_the_creator(emulator):
    """403 becomes a permanent error that tells the admin what to fix."""
    chat = _client(emulator, "app", admin=False)
    member = chat.get_member(ANNOUNCE, Email("vera.luz@example.com"))
    assert member is not None
    with pytest.raises(errors.ChatPermissionDenied) as caught:
        chat.set_role(member, Role.MANAGER)
    assert caught.value.status == 403
    assert "only in spaces the app created" in str(caught.value)
    assert not isinstance(caught.value, errors.RetryableError)


def test_a_duplicate_add_reads_back_the_existing_membership(emulator):
    """409 ALREADY_EXISTS on create means "already done": the membership is returned."""
    chat = _client(emulator, "app", admin=False)
    existing = chat.add_member(SALES, Email("rita.sousa@example.com"))
    assert existing.email == "rita.sousa@example.com"
    assert [c["status"] for c in emulator.calls() if c["method"] == "spaces.members.create"] == [
        409
    ]


def test_removing_someone_already_gone_is_done(emulator):
    """404 on delete means "already done"."""
    chat = _client(emulator, "app", admin=False)
    member = chat.get_member(SALES, Email("rita.sousa@example.com"))
    assert member is not None
    chat.remove_member(member)
    chat.remove_member(member)
    statuses = [c["status"] for c in emulator.calls() if c["method"] == "spaces.members.delete"]
    assert statuses == [200, 404]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, errors.ChatRateLimited), (500, errors.ChatUnavailable), (503, errors.ChatUnavailable)],
)
def test_throttling_and_outages_are_retryable(emulator, status, kind):
    """429 and 5xx are retryable, with the server's delay hint when it sends one."""
    chat = _client(emulator, "app", admin=False)
    emulator.fail_next("spaces.members.get", 1, status=status, retry_after=2.0)
    with pytest.raises(kind) as caught:
        chat.get_member(SALES, Email("rita.sousa@example.com"))
    assert isinstance(caught.value, errors.RetryableError)
    if status == 429:
        assert caught.value.delay == pytest.approx(2.0)


def test_a_malformed_resource_name_never_leaves_the_process(emulator):
    """Names are validated before any request is built."""
    chat = _client(emulator, "app", admin=False)
    before = len(emulator.calls())
    with pytest.raises(errors.PermanentError):
        chat.get_member(SpaceName("spaces/../admin"), Email("rita.sousa@example.com"))
    assert len(emulator.calls()) == before
