"""OAuth scope names: which principal kind each scope exists for, and the scope lists of the
methods whose lists are long (Workspace Events, ``spaces.messages.create``).

The lists are copied from the discovery documents bundled with google-api-python-client
(``googleapiclient/discovery_cache/documents/{workspaceevents.v1,chat.v1}.json``);
``tests/emulator/test_events_scopes.py`` compares them with the installed documents so a new
client release that changes them fails loudly. Scopes are kept in short form
(``chat.bot`` for ``https://www.googleapis.com/auth/chat.bot``).
"""

from __future__ import annotations

PREFIX = "https://www.googleapis.com/auth/"

APP_ONLY = frozenset({"chat.bot"})
"""Scopes only app authentication can carry (besides every ``chat.app.*``)."""


def short(scope: str) -> str:
    """``https://www.googleapis.com/auth/chat.bot`` → ``chat.bot``."""
    return scope.removeprefix(PREFIX)


def is_app_scope(scope: str) -> bool:
    """``chat.bot`` and ``chat.app.*``: scopes of app authentication."""
    return scope.startswith("chat.app.") or scope in APP_ONLY


def is_user_chat_scope(scope: str) -> bool:
    """A Chat scope of user authentication (``chat.memberships``, ``chat.admin.spaces``...)."""
    return scope.startswith("chat.") and not is_app_scope(scope)


def needs_approval(scope: str) -> bool:
    """App scopes that need a one-time administrator approval: every ``chat.app.*``.

    developers.google.com/workspace/chat/authenticate-authorize-chat-app: "methods that support
    app authorization with authorization scopes that have names that begin
    https://www.googleapis.com/auth/chat.app.* require one-time administrator approval";
    ``chat.bot`` does not.
    """
    return scope.startswith("chat.app.")


_NON_CHAT = (
    "drive",
    "drive.file",
    "drive.metadata",
    "drive.metadata.readonly",
    "drive.readonly",
    "meetings.space.created",
    "meetings.space.readonly",
)
_USER_CHAT = (
    "chat.memberships",
    "chat.memberships.readonly",
    "chat.messages",
    "chat.messages.reactions",
    "chat.messages.reactions.readonly",
    "chat.messages.readonly",
    "chat.spaces",
    "chat.spaces.readonly",
    "chat.users.availability",
    "chat.users.availability.readonly",
    "chat.users.readstate",
    "chat.users.readstate.readonly",
)
_APP_CHAT = (
    "chat.app.all.memberships.readonly",
    "chat.app.all.messages.readonly",
    "chat.app.all.spaces.readonly",
    "chat.app.all.users.readstate.readonly",
    "chat.app.memberships",
    "chat.app.memberships.readonly",
    "chat.app.messages.readonly",
    "chat.app.spaces",
    "chat.app.spaces.readonly",
)

EVENTS_WRITE = frozenset((*_APP_CHAT, *_USER_CHAT, *_NON_CHAT))
"""``subscriptions.create``, ``.patch``, ``.reactivate``: user Chat scopes and ``chat.app.*``;
not ``chat.bot``, no ``chat.admin.*`` (workspaceevents v1 discovery, rev 20261004)."""

EVENTS_READ = frozenset(("chat.bot", *_USER_CHAT, *_NON_CHAT))
"""``subscriptions.list``, ``.get``, ``.delete``: ``chat.bot`` and user Chat scopes; no
``chat.app.*``, no ``chat.admin.*`` (workspaceevents v1 discovery, rev 20261004)."""

MEMBERSHIP_EVENTS = frozenset(
    (
        "chat.memberships",
        "chat.memberships.readonly",
        "chat.app.memberships",
        "chat.app.memberships.readonly",
    )
)
"""What a subscription to membership events needs besides a scope the method accepts
(reference §11.2: membership events need ``chat.memberships(.readonly)`` or, with app
authentication, ``chat.app.memberships(.readonly)``; the per-event scopes are listed in
developers.google.com/workspace/events/guides/events-chat). Without one: 403, the strict
reading of an undocumented status (UNCONFIRMED)."""

MESSAGES_CREATE = frozenset(("chat.bot", "chat.messages", "chat.messages.create"))
"""``spaces.messages.create`` (chat v1 discovery): ``chat.bot`` with app authentication,
``chat.messages(.create)`` with user authentication. ``chat.import`` is accepted by Google for
import-mode spaces only, which the emulator does not model."""
