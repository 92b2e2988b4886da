"""The Workspace Events API client: subscriptions to a space's membership events.

google-api-python-client's ``workspaceevents`` v1 from the static discovery document. What to
keep alive and when to renew is decided in ``app.subscriptions``.

Two tokens, as the bundled discovery document requires: ``subscriptions.create``, ``patch`` and
``reactivate`` accept ``chat.app.memberships(.readonly)`` but not ``chat.bot``, while ``list``,
``get`` and ``delete`` accept ``chat.bot`` but no ``chat.app.*`` scope, and no method accepts a
``chat.admin.*`` scope (developers.google.com/workspace/events/guides/auth). The scope table
(``chatsync/scopes.json``) names the set per method; ``credentials`` maps a method to it.
"""

from __future__ import annotations

from typing import Any

from chatsync.adapters.googleapi import MethodServices, execute
from chatsync.domain.model import SpaceName

EVENT_TYPES = (
    "google.workspace.chat.membership.v1.created",
    "google.workspace.chat.membership.v1.updated",
    "google.workspace.chat.membership.v1.deleted",
)


def target(space: SpaceName) -> str:
    return f"//chat.googleapis.com/{space}"


class WorkspaceEvents:
    """The subscriptions methods chatsync uses. Thread-safe: one HTTP client per thread."""

    def __init__(self, credentials: Any, *, endpoint: str, timeout: float = 30.0) -> None:
        self._services = MethodServices(
            "workspaceevents", "v1", credentials, endpoint=endpoint, timeout=timeout
        )

    def _subscriptions(self, method: str) -> Any:
        return self._services.collection(method)

    def find(self, space: SpaceName) -> list[dict[str, Any]]:
        """Live subscriptions for the space's membership events."""
        types = " OR ".join(f'event_types:"{t}"' for t in EVENT_TYPES)
        query = f'({types}) AND target_resource="{target(space)}"'
        found: list[dict[str, Any]] = []
        token = None
        while True:
            kw: dict[str, Any] = {"filter": query, "pageSize": 100}
            if token:
                kw["pageToken"] = token
            method = "workspaceevents.subscriptions.list"
            body = execute(
                self._subscriptions(method).list(**kw),
                method=method,
                call=f"subscriptions.list {space}",
            )
            found += [s for s in body.get("subscriptions") or () if isinstance(s, dict)]
            token = body.get("nextPageToken")
            if not token:
                return found

    def create(self, space: SpaceName, *, topic: str) -> dict[str, Any]:
        body = {
            "targetResource": target(space),
            "eventTypes": list(EVENT_TYPES),
            "notificationEndpoint": {"pubsubTopic": topic},
            "payloadOptions": {"includeResource": True},
        }
        method = "workspaceevents.subscriptions.create"
        operation = execute(
            self._subscriptions(method).create(body=body),
            method=method,
            call=f"subscriptions.create {space}",
        )
        return dict(operation.get("response") or {})

    def renew(self, name: str) -> dict[str, Any]:
        method = "workspaceevents.subscriptions.patch"
        operation = execute(
            self._subscriptions(method).patch(name=name, updateMask="ttl", body={"ttl": "0s"}),
            method=method,
            call=f"subscriptions.patch {name} ttl",
        )
        return dict(operation.get("response") or {})
