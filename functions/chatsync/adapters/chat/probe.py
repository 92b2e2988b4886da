"""What only ``chatsync doctor`` asks Chat: did the Chat app create this space?

App authentication changes roles only in spaces the app created and removes managers only as
their creator (developers.google.com/workspace/chat/update-members; spaces.members.delete
reference). The Space resource has no creator field; the one documented signal is that, with
app authentication, spaces.get populates ``permissionSettings`` "only when using the
chat.app.spaces scope, and only for spaces the app created" (spaces.get reference, "App
authentication has the following limitations"). So the probe reads the space with the optional
``chat_app_spaces`` credential set of the scope table (preflight) and looks for the field.
"""

from __future__ import annotations

from typing import Any

from chatsync.adapters.chat.rest import checked_space
from chatsync.adapters.googleapi import MethodServices, execute
from chatsync.domain import errors
from chatsync.domain.model import SpaceName

METHOD = "chat.spaces.get"


class CreatorProbe:
    """``app_created(space)``: True, False, or None when Chat would not say (e.g. the optional
    chat.app.spaces scope is not approved); the error is kept in ``last_error``."""

    def __init__(self, credentials: Any, *, endpoint: str, timeout: float = 30.0) -> None:
        self._services = MethodServices(
            "chat", "v1", credentials, endpoint=endpoint, timeout=timeout
        )
        self.last_error = ""

    def app_created(self, space: SpaceName) -> bool | None:
        checked_space(space)
        request = self._services.service(METHOD).spaces().get(name=space)
        try:
            body = execute(request, method=METHOD, call=f"spaces.get {space} (chat.app.spaces)")
        except errors.SyncError as exc:
            self.last_error = str(exc)
            return None
        self.last_error = ""
        return "permissionSettings" in body
