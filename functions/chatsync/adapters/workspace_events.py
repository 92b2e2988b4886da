"""The Workspace Events API client: subscriptions to a space's membership events.

google-api-python-client's ``workspaceevents`` v1 from the static discovery document. What to
keep alive and when to renew is decided in ``app.subscriptions``.
"""

from __future__ import annotations

from typing import Any

from chatsync.adapters.googleapi import PerThreadService, check_response
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
        self._services = PerThreadService(
            "workspaceevents", "v1", credentials, endpoint=endpoint, timeout=timeout
        )

    def _subscriptions(self) -> Any:
        return self._services.get().subscriptions()

    def _execute(self, request: Any, *, call: str) -> Any:
        try:
            return request.execute(num_retries=0)
        except Exception as exc:
            raise check_response(exc, call=call) from exc

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
            body = self._execute(
                self._subscriptions().list(**kw), call=f"subscriptions.list {space}"
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
        operation = self._execute(
            self._subscriptions().create(body=body), call=f"subscriptions.create {space}"
        )
        return dict(operation.get("response") or {})

    def renew(self, name: str) -> dict[str, Any]:
        operation = self._execute(
            self._subscriptions().patch(name=name, updateMask="ttl", body={"ttl": "0s"}),
            call=f"subscriptions.patch {name} ttl",
        )
        return dict(operation.get("response") or {})
