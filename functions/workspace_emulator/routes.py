"""The API surface: which HTTP method and path is which Google method, and its query params.

Paths are those googleapiclient builds from the static discovery documents (``chat`` v1,
``admin`` directory_v1, ``workspaceevents`` v1) and those ``google.auth.iam.Signer`` calls (IAM
Credentials v1); ``*`` matches one path segment. The token endpoint is not an API method and
is served by :mod:`workspace_emulator.endpoints`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workspace_emulator import (
    directory_api,
    handling,
    iam_api,
    members_api,
    messages_api,
    space_events_api,
    spaces_api,
    subscriptions_api,
)

Handler = Callable[[handling.World, handling.Request], handling.Reply]

STANDARD_PARAMS = frozenset(
    {
        "$.xgafv",
        "access_token",
        "alt",
        "callback",
        "fields",
        "key",
        "oauth_token",
        "prettyPrint",
        "quotaUser",
        "uploadType",
        "upload_protocol",
    }
)
"""Accepted on every call and ignored (googleapiclient sends ``alt=json``)."""


@dataclass(frozen=True, slots=True)
class Route:
    """One API method."""

    http_method: str
    pattern: tuple[str, ...]
    method: str
    handler: Handler
    params: frozenset[str] = frozenset()
    space_param: int | None = None  # index of the path parameter naming a space, for quotas

    def match(self, http_method: str, segments: list[str]) -> tuple[str, ...] | None:
        """The path parameters when this route serves the request, else None."""
        if http_method != self.http_method or len(segments) != len(self.pattern):
            return None
        captured = []
        for want, got in zip(self.pattern, segments, strict=True):
            if want.startswith("*"):
                # "*:verb" matches a custom method such as subscriptions/{id}:reactivate.
                verb = want[1:]
                if not got.endswith(verb) or len(got) == len(verb):
                    return None
                captured.append(got[: len(got) - len(verb)] if verb else got)
            elif want != got:
                return None
        return tuple(captured)


_MEMBER = ("v1", "spaces", "*", "members", "*")
_MEMBERS = ("v1", "spaces", "*", "members")
_DIR = ("admin", "directory", "v1")
_ADMIN = frozenset({"useAdminAccess"})
_SERVICE_ACCOUNTS = ("v1", "projects", "-", "serviceAccounts")

ROUTES: tuple[Route, ...] = (
    Route("POST", _MEMBERS, "spaces.members.create", members_api.create, _ADMIN, 0),
    Route("GET", _MEMBER, "spaces.members.get", members_api.get, _ADMIN, 0),
    Route(
        "GET",
        _MEMBERS,
        "spaces.members.list",
        members_api.list_,
        frozenset(
            {"filter", "pageSize", "pageToken", "showGroups", "showInvited", "useAdminAccess"}
        ),
        0,
    ),
    Route(
        "PATCH",
        _MEMBER,
        "spaces.members.patch",
        members_api.patch,
        frozenset({"updateMask", "useAdminAccess"}),
        0,
    ),
    Route("DELETE", _MEMBER, "spaces.members.delete", members_api.delete, _ADMIN, 0),
    Route("POST", ("v1", "spaces"), "spaces.create", spaces_api.create, frozenset({"requestId"})),
    Route("GET", ("v1", "spaces", "*"), "spaces.get", spaces_api.get, _ADMIN, 0),
    Route(
        "GET",
        ("v1", "spaces"),
        "spaces.list",
        spaces_api.list_,
        frozenset({"filter", "pageSize", "pageToken"}),
    ),
    Route(
        "GET",
        (*_DIR, "users", "*"),
        "directory.users.get",
        directory_api.users_get,
        frozenset({"customFieldMask", "projection", "viewType"}),
    ),
    Route(
        "GET",
        (*_DIR, "users"),
        "directory.users.list",
        directory_api.users_list,
        frozenset(
            {
                "customFieldMask",
                "customer",
                "domain",
                "event",
                "maxResults",
                "orderBy",
                "pageToken",
                "projection",
                "query",
                "showDeleted",
                "sortOrder",
                "viewType",
            }
        ),
    ),
    Route(
        "GET",
        (*_DIR, "groups"),
        "directory.groups.list",
        directory_api.groups_list,
        frozenset(
            {
                "customer",
                "domain",
                "maxResults",
                "orderBy",
                "pageToken",
                "query",
                "sortOrder",
                "userKey",
            }
        ),
    ),
    Route(
        "GET",
        (*_DIR, "groups", "*", "members"),
        "directory.members.list",
        directory_api.members_list,
        frozenset({"includeDerivedMembership", "maxResults", "pageToken", "roles"}),
    ),
    Route(
        "POST",
        ("v1", "subscriptions"),
        "workspaceevents.subscriptions.create",
        subscriptions_api.create,
        frozenset({"validateOnly"}),
    ),
    Route(
        "GET",
        ("v1", "subscriptions", "*"),
        "workspaceevents.subscriptions.get",
        subscriptions_api.get,
    ),
    Route(
        "GET",
        ("v1", "subscriptions"),
        "workspaceevents.subscriptions.list",
        subscriptions_api.list_,
        frozenset({"filter", "pageSize", "pageToken"}),
    ),
    Route(
        "PATCH",
        ("v1", "subscriptions", "*"),
        "workspaceevents.subscriptions.patch",
        subscriptions_api.patch,
        frozenset({"updateMask", "validateOnly"}),
    ),
    Route(
        "POST",
        ("v1", "subscriptions", "*:reactivate"),
        "workspaceevents.subscriptions.reactivate",
        subscriptions_api.reactivate,
    ),
    Route(
        "GET",
        ("v1", "spaces", "*", "spaceEvents"),
        "spaces.spaceEvents.list",
        space_events_api.list_,
        frozenset({"filter", "pageSize", "pageToken"}),
        0,
    ),
    Route(
        "GET",
        ("v1", "spaces", "*", "spaceEvents", "*"),
        "spaces.spaceEvents.get",
        space_events_api.get,
        frozenset(),
        0,
    ),
    Route(
        "DELETE",
        ("v1", "subscriptions", "*"),
        "workspaceevents.subscriptions.delete",
        subscriptions_api.delete,
        frozenset({"allowMissing", "etag", "validateOnly"}),
    ),
    Route(
        "POST",
        ("v1", "spaces", "*", "messages"),
        "spaces.messages.create",
        messages_api.create,
        frozenset({"messageId", "messageReplyOption", "requestId", "threadKey"}),
        0,
    ),
    Route(
        "POST",
        (*_SERVICE_ACCOUNTS, "*:signBlob"),
        "iamcredentials.serviceAccounts.signBlob",
        iam_api.sign_blob,
    ),
    Route(
        "POST",
        (*_SERVICE_ACCOUNTS, "*:signJwt"),
        "iamcredentials.serviceAccounts.signJwt",
        iam_api.sign_jwt,
    ),
)


def find(http_method: str, segments: list[str]) -> tuple[Route, tuple[str, ...]] | None:
    """The route serving a request and its path parameters."""
    for route in ROUTES:
        params = route.match(http_method, segments)
        if params is not None:
            return route, params
    return None
