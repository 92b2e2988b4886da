"""The Chat adapter over google-api-python-client (static discovery).

Outcome map (the statuses themselves become errors in ``adapters.googleapi.check_response``):
    429                         -> ChatRateLimited (retryable; RetryInfo / Retry-After honoured)
    5xx, timeouts, socket errors -> ChatUnavailable (retryable)
    409 on create               -> already a member: read it back and carry on
    404 on delete / get         -> not a member: done / None
    403, other 404 on a space   -> SpaceUnreachable: that space is skipped and recorded, the
                                   others apply (app.broken)
    400, 401                    -> ChatPermissionDenied (permanent, with what the admin must fix)
    no token                    -> CredentialsRefused (retryable: redelivered until fixed)
    4xx without Google's JSON   -> EndpointError (the URL is not the API; redelivered, not dropped)

Each call is sent with the credentials the scope table (``chatsync/scopes.json``) names for its
method in the deployment's auth mode: ``credentials`` is a callable method id -> credentials
(``adapters.credentials.CredentialSets.for_method``), or one object for every call.

Every resource name is validated before a request is built (``spaces/<id>``,
``users/<id-or-email>``, ``spaces/<id>/members/<id-or-email>``): a name that does not validate
raises ``InvalidResourceName`` and nothing is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from chatsync.adapters.googleapi import MethodServices, execute
from chatsync.app.ports import SpaceInfo
from chatsync.domain import errors
from chatsync.domain.model import (
    EMAIL,
    SPACE_NAME,
    ChatUserId,
    Email,
    MemberKind,
    Membership,
    Role,
    SpaceName,
    SpaceType,
)

PAGE_SIZE = 1000
"""Chat's maximum page size: the fewest list calls per roster."""

_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def checked_space(space: str) -> SpaceName:
    """``space`` if it is ``spaces/<id>``; else ``InvalidResourceName`` (nothing is sent)."""
    if not isinstance(space, str) or not SPACE_NAME.fullmatch(space):
        raise errors.InvalidResourceName(f"{_shown(space)} is not a space name (spaces/<id>)")
    return SpaceName(space)


def _open_gate(space: SpaceName) -> None:
    """No pacing: every page at once."""


def checked_user(email: str) -> str:
    """``users/<email>`` for a valid email; else ``InvalidResourceName``."""
    if not _is_email(email):
        raise errors.InvalidResourceName(f"{_shown(email)} is not an email for users/<email>")
    return f"users/{email}"


def _is_email(value: object) -> bool:
    """A whole email whose local part is a dot-atom (no leading, trailing or double dot: a
    ``..`` path segment must never reach a URL)."""
    if not isinstance(value, str) or len(value) > 254 or not EMAIL.fullmatch(value):
        return False
    local = value.rpartition("@")[0]
    return not (local.startswith(".") or local.endswith(".") or ".." in local)


def checked_member_name(name: str) -> str:
    """``spaces/<id>/members/<id-or-email>``; else ``InvalidResourceName``."""
    space, sep, member = name.partition("/members/") if isinstance(name, str) else ("", "", "")
    if (
        not sep
        or not SPACE_NAME.fullmatch(space)
        or not (_ID.fullmatch(member) or _is_email(member))
    ):
        raise errors.InvalidResourceName(
            f"{_shown(name)} is not a membership name (spaces/<id>/members/<id-or-email>)"
        )
    return name


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def membership_from_json(
    space: SpaceName, body: dict[str, Any], resolve: Callable[[str], Email | None]
) -> Membership:
    member = body.get("member") or {}
    group = body.get("groupMember") or {}
    role_text = str(body.get("role") or "ROLE_MEMBER")
    try:
        role = Role.from_api(role_text)
    except ValueError:
        role = Role.MEMBER  # groups carry MEMBERSHIP_ROLE_UNSPECIFIED; new enums are tolerated
    if group:
        return Membership(
            space=space,
            email=None,
            role=role,
            name=str(body.get("name", "")),
            kind=MemberKind.GROUP,
            user=ChatUserId(str(group.get("name", ""))),
        )
    user = ChatUserId(str(member.get("name", "")))
    kind = MemberKind.BOT if member.get("type") == "BOT" else MemberKind.HUMAN
    mail = member.get("email")
    resolved = (
        Email(str(mail).lower()) if mail else (resolve(user) if kind is MemberKind.HUMAN else None)
    )
    return Membership(
        space=space,
        email=resolved,
        role=role,
        name=str(body.get("name", "")),
        kind=kind,
        user=user,
        invited=body.get("state") == "INVITED",
    )


class RestChatMembers:
    """``ChatMembers`` over the Chat REST API. Thread-safe: one HTTP client per thread."""

    def __init__(
        self,
        credentials: Any,
        *,
        endpoint: str,
        admin: bool = False,
        timeout: float = 30.0,
        resolve: Callable[[str], Email | None] | None = None,
    ) -> None:
        self._services = MethodServices(
            "chat", "v1", credentials, endpoint=endpoint, timeout=timeout
        )
        self._admin = admin
        self._ids: dict[str, Email] = {}
        self._resolve_fallback = resolve
        self.page_gate: Callable[[SpaceName], None] = _open_gate
        """Called before each page of a listing after the first: ``RateLimitedChat`` waits
        there for read quota, so a 100-page roster is paced page by page, not sent at once."""

    # -- plumbing -----------------------------------------------------------------------------
    def _execute(self, request: Any, *, method: str, call: str, space: str) -> Any:
        try:
            return execute(request, method=method, call=call)
        except errors.ChatPermissionDenied as error:
            raise _unreachable(error, space) from error

    def _admin_kw(self) -> dict[str, Any]:
        return {"useAdminAccess": True} if self._admin else {}

    def resolve(self, user: str) -> Email | None:
        known = self._ids.get(user)
        if known is not None:
            return known
        return self._resolve_fallback(user) if self._resolve_fallback else None

    def learn(self, user: str, email: Email) -> None:
        """Remember that ``users/{id}`` is ``email`` (learned from a get by alias)."""
        self._ids[user] = email

    def _membership(self, space: SpaceName, body: dict[str, Any]) -> Membership:
        return membership_from_json(space, body, self.resolve)

    # -- the port -----------------------------------------------------------------------------
    def get_space(self, space: SpaceName) -> SpaceInfo:
        checked_space(space)
        method = "chat.spaces.get"
        body = self._execute(
            self._services.collection(method).get(name=space, **self._admin_kw()),
            method=method,
            call=f"spaces.get {space}",
            space=space,
        )
        try:
            kind = SpaceType(body.get("spaceType", "SPACE"))
        except ValueError:
            kind = SpaceType.GROUP_CHAT  # unknown types are treated as "leave alone"
        return SpaceInfo(name=space, space_type=kind, display_name=str(body.get("displayName", "")))

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        checked_space(space)
        checked_user(email)
        name = f"{space}/members/{quote(email, safe='@.+-_')}"
        method = "chat.spaces.members.get"
        request = self._services.collection(method).get(name=name, **self._admin_kw())
        try:
            body = execute(request, method=method, call=f"spaces.members.get {name}")
        except errors.ChatApiError as error:
            if error.status == 404:
                return None  # not a member (spaces.get, read first, says the space is there)
            if isinstance(error, errors.ChatPermissionDenied):
                raise _unreachable(error, space) from error
            raise
        user = str((body.get("member") or {}).get("name", ""))
        if user:
            self.learn(user, email)
        return self._membership(space, body)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        return list(self._pages(space, owners_only=owners_only))

    def _pages(self, space: SpaceName, *, owners_only: bool) -> Iterator[Membership]:
        checked_space(space)
        query = 'member.type = "HUMAN"'
        if owners_only:
            query += ' AND role = "ROLE_MANAGER"'
        kw: dict[str, Any] = {
            "parent": space,
            "pageSize": PAGE_SIZE,
            "filter": query,
            **self._admin_kw(),
        }
        # showInvited is user-auth only; the admin caller is a user, the app is not.
        if self._admin:
            kw["showInvited"] = True
        token = None
        method = "chat.spaces.members.list"
        while True:
            if token:
                self.page_gate(space)
            request = self._services.collection(method).list(
                **kw, **({"pageToken": token} if token else {})
            )
            body = self._execute(
                request, method=method, call=f"spaces.members.list {space}", space=space
            )
            for item in body.get("memberships") or ():
                yield self._membership(space, item)
            token = body.get("nextPageToken")
            if not token:
                return

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        body = {"member": {"name": checked_user(email), "type": "HUMAN"}}
        checked_space(space)
        method = "chat.spaces.members.create"
        request = self._services.collection(method).create(
            parent=space, body=body, **self._admin_kw()
        )
        try:
            created = execute(request, method=method, call=f"spaces.members.create {space} {email}")
        except errors.ChatApiError as error:
            if error.status == 409:
                existing = self.get_member(space, email)
                if existing is not None:
                    return existing
            if isinstance(error, errors.ChatPermissionDenied):
                raise _unreachable(error, space) from error
            raise
        user = str((created.get("member") or {}).get("name", ""))
        if user:
            self.learn(user, email)
        return self._membership(space, created)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        checked_member_name(membership.name)
        method = "chat.spaces.members.patch"
        request = self._services.collection(method).patch(
            name=membership.name, updateMask="role", body={"role": role.api}, **self._admin_kw()
        )
        body = self._execute(
            request,
            method=method,
            call=f"spaces.members.patch {membership.name} -> {role.api}",
            space=membership.space,
        )
        return self._membership(membership.space, body)

    def remove_member(self, membership: Membership) -> None:
        checked_member_name(membership.name)
        method = "chat.spaces.members.delete"
        request = self._services.collection(method).delete(name=membership.name, **self._admin_kw())
        try:
            execute(request, method=method, call=f"spaces.members.delete {membership.name}")
        except errors.ChatApiError as error:
            if error.status == 404:
                return  # already gone
            if isinstance(error, errors.ChatPermissionDenied):
                raise _unreachable(error, membership.space) from error
            raise


def _unreachable(error: errors.ChatPermissionDenied, space: str) -> errors.ChatPermissionDenied:
    """403 and 404 name a space chatsync cannot use (missing, the app not in it, not allowed)."""
    if error.status in (403, 404) and not isinstance(error, errors.SpaceUnreachable):
        return errors.SpaceUnreachable(
            str(error), space=space, status=error.status, reason=error.reason, body=error.body
        )
    return error
