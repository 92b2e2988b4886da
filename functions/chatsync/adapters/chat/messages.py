"""Messages to the admin space: ``spaces.messages.create`` as the Chat app (the ``Notifier``).

google-api-python-client's ``chat`` v1 from the static discovery document, with app
authentication and scope ``chat.bot`` (``chatsync/scopes.json``, method
``chat.spaces.messages.create``): no admin approval is needed, but the Chat app must be a member
of the space ("a Chat app has to itself be a member of the space", developers.google.com/
workspace/chat/authenticate-authorize-chat-app); Chat answers 404 otherwise.

* **Idempotent.** Each post carries ``requestId``, a UUID made from the notice key: "multiple
  identical requests with the same request ID result in only a single message being created;
  subsequent requests with the same request ID return the existing message" (CreateMessageRequest
  ``request_id``, developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/
  create). It also names the message (``messageId`` ``client-`` + a digest of the key, at most 63
  lowercase letters, digits and hyphens, unique in the space), so a repeat that reaches Chat as a
  different request is a 409 ALREADY_EXISTS, taken here as "already posted".
* **Paced.** Chat's per-space quota on writes, messages included, comes to one a second
  (developers.google.com/workspace/chat/limits, "Per-space quotas"; the emulator enforces it):
  a post waits until ``SPACING`` seconds after the previous answer. A 429 that still comes
  (another instance posted) is retried by ``app.notifying`` after its Retry-After.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from chatsync.adapters.googleapi import PerThreadService, check_response
from chatsync.domain import errors

SPACING = 1.1
"""Seconds from one answer to the next post. Chat takes one message write a second per space;
counting from the answer (not the request) keeps two posts a second apart at Chat whatever the
time in flight, and the tenth of a second to spare covers clock granularity."""


def message_id(key: str) -> str:
    """``client-`` and 40 hex digits of the key: a valid custom message id (63 characters max)."""
    return "client-n" + hashlib.sha256(key.encode()).hexdigest()[:40]


def request_id(key: str) -> str:
    """A UUID made from the key: the same notice is the same request."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "chatsync-notice:" + key))


class ChatMessages:
    """A ``Notifier`` posting text to one space. Thread-safe: one HTTP client per thread."""

    def __init__(
        self,
        credentials: Any,
        *,
        endpoint: str,
        space: str,
        timeout: float = 30.0,
        spacing: float = SPACING,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._services = PerThreadService(
            "chat", "v1", credentials, endpoint=endpoint, timeout=timeout
        )
        self._space = space
        self.spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        """Monotonic time before which no post is sent (the last answer plus the spacing)."""
        self._lock = threading.Lock()

    @property
    def space(self) -> str:
        return self._space

    def post(self, text: str, *, key: str) -> str:
        name = message_id(key)
        request = (
            self._services.get()
            .spaces()
            .messages()
            .create(
                parent=self._space,
                body={"text": text},
                messageId=name,
                requestId=request_id(key),
            )
        )
        with self._lock:  # one post at a time per instance: they are rare, and paced anyway
            wait = self._next - self._clock()
            if wait > 0:
                self._sleep(wait)
            try:
                body = request.execute(num_retries=0)
            except Exception as exc:
                error = check_response(exc, call=f"spaces.messages.create {self._space}")
                if isinstance(error, errors.ChatApiError) and error.status == 409:
                    return f"{self._space}/messages/{name}"  # posted before under this key
                raise error from exc
            finally:
                self._next = self._clock() + self.spacing
        return str(body.get("name", ""))

    def check(self) -> str:
        request = self._services.get().spaces().get(name=self._space)
        try:
            body = request.execute(num_retries=0)
        except Exception as exc:
            raise check_response(exc, call=f"spaces.get {self._space}") from exc
        return str(body.get("displayName", ""))
