"""``spaces.messages.create``: what an app posts to a space (admin notifications).

``POST v1/{parent=spaces/*}/messages`` (developers.google.com/workspace/chat/api/reference/rest/
v1/spaces.messages/create). Scopes: ``chat.bot`` with app authentication, ``chat.messages`` or
``chat.messages.create`` with user authentication (``chat.import`` is for import mode, not
modelled). The caller must be a member of the space: the app "has to itself be a member of the
space" to create a message (developers.google.com/workspace/chat/authenticate-authorize-chat-app);
otherwise 404, as for every other space the caller cannot reach (UNCONFIRMED status).

Body: ``text`` and/or ``cardsV2`` (cards only with app authentication: "Only Chat apps can
create card messages"), optionally ``thread`` (``name`` or ``threadKey``). At most 32,000 bytes.
Query: ``messageId`` (``client-`` + up to 56 lowercase letters, digits or hyphens, unique in the
space: 409 for a second use), ``requestId`` (a repeat by the same caller returns the first
message), ``messageReplyOption`` (named spaces only; ``REPLY_MESSAGE_OR_FAIL`` on an unknown
thread is 404), deprecated ``threadKey``. Strict choices on UNCONFIRMED points: a message with
neither text nor cards, cards with user authentication, a reply option outside a SPACE: all 400
INVALID_ARGUMENT.

The answer is the Message resource: ``name`` ``spaces/S/messages/M``, ``sender`` (the app as
``users/{id}`` type BOT, or the person), ``createTime``, ``text``/``argumentText``, ``cardsV2``,
``thread`` and ``space``. Messages are kept in the space and shown by ``GET /emulator/v1/state``
and ``GET /emulator/v1/messages``; they emit no Workspace Events.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from workspace_emulator import access, auth, errors, handling, resources
from workspace_emulator import scopes as sc
from workspace_emulator import store as st

MAX_BYTES = 32_000
_CLIENT_ID = re.compile(r"^client-[a-z0-9-]{1,56}$")
_OPTIONS = (
    "MESSAGE_REPLY_OPTION_UNSPECIFIED",
    "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
    "REPLY_MESSAGE_OR_FAIL",
)


def _new_id() -> str:
    """A server-assigned id in Google's ``xxxxxxxxxxx.xxxxxxxxxxx`` shape."""
    first, second = (secrets.token_urlsafe(8).replace("-", "x").replace("_", "y") for _ in "ab")
    return f"{first}.{second}"


def _content(body: Mapping[str, Any], caller: auth.Caller) -> tuple[str | None, tuple[Any, ...]]:
    text, cards = body.get("text"), body.get("cardsV2")
    if text is not None and not isinstance(text, str):
        raise errors.invalid("text must be a string.", field="message.text")
    if cards is not None and (
        not isinstance(cards, list) or not all(isinstance(c, dict) for c in cards)
    ):
        raise errors.invalid("cardsV2 must be a list of cards.", field="message.cards_v2")
    if not text and not cards:
        raise errors.invalid("A message needs text or cardsV2.", field="message.text")
    if cards and not caller.is_app:
        raise errors.invalid(
            "Only Chat apps can create card messages (app authentication).",
            field="message.cards_v2",
        )
    if len(json.dumps(body).encode()) > MAX_BYTES:
        raise errors.invalid(f"The message is larger than {MAX_BYTES} bytes.", field="message")
    return text, tuple(cards or ())


def _thread(
    space: st.Space, body: Mapping[str, Any], query: Mapping[str, str]
) -> tuple[str, str | None]:
    """The thread name (existing or new) and the thread key to record."""
    option = query.get("messageReplyOption", "MESSAGE_REPLY_OPTION_UNSPECIFIED")
    if option not in _OPTIONS:
        raise errors.invalid(f"Invalid messageReplyOption {option!r}.", field="messageReplyOption")
    new = f"{space.name}/threads/{_new_id().split('.')[0]}"
    if option == "MESSAGE_REPLY_OPTION_UNSPECIFIED":
        return new, None  # "Starts a new thread... ignores any thread ID or threadKey"
    if space.space_type != "SPACE":
        raise errors.invalid(
            "messageReplyOption is only supported in named spaces.", field="messageReplyOption"
        )
    raw = body.get("thread")
    thread: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    name = str(thread.get("name", "") or "")
    key = str(thread.get("threadKey", "") or query.get("threadKey", "") or "") or None
    for earlier in space.messages:
        if (name and earlier.thread == name) or (key and earlier.thread_key == key):
            return earlier.thread, earlier.thread_key
    if option == "REPLY_MESSAGE_OR_FAIL":
        raise errors.not_found(f"Thread {name or key} not found in {space.name}.")
    return new, key


def create(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/spaces/{space}/messages."""
    store, caller = world.store, req.caller
    auth.require_any(caller, sc.MESSAGES_CREATE, method=req.method)
    body = req.json()
    text, cards = _content(body, caller)
    message_id = req.query.get("messageId")
    if message_id is not None and not _CLIENT_ID.match(message_id):
        raise errors.invalid(
            "messageId must start with client- and hold at most 63 lowercase letters, digits "
            "and hyphens.",
            field="messageId",
        )
    request_id = req.query.get("requestId")
    request_key = f"{caller.label}:{request_id}" if request_id else None
    with store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=False)
        for earlier in space.messages:
            if request_key is not None and earlier.request_key == request_key:
                return handling.Reply(resources.message(store, space, earlier))
        name = f"{space.name}/messages/{message_id or _new_id()}"
        if any(m.name == name for m in space.messages):
            raise errors.already_exists(f"A message named {name} already exists.")
        thread, thread_key = _thread(space, body, req.query)
        person = caller.person
        message = st.Message(
            name=name,
            sender=f"users/{store.app.id}" if person is None else f"users/{person.id}",
            sender_type="BOT" if person is None else "HUMAN",
            text=text,
            cards=cards,
            thread=thread,
            thread_key=thread_key,
            create_time=st.now_rfc3339(),
            request_key=request_key,
        )
        space.messages.append(message)
        return handling.Reply(resources.message(store, space, message))
