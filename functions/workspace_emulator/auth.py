"""Who is calling: the emulator's bearer-token convention and per-method scope checks.

``Authorization: Bearer <principal>[;scopes=<s1>,<s2>]`` where the principal is ``app`` (app
authentication as the Chat app) or ``user:<email>`` (user authentication). Scopes may be short
(``chat.app.memberships``) or full ``https://www.googleapis.com/auth/...`` URLs; without a
``scopes=`` part the defaults below apply. See ``docs/emulator.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from workspace_emulator import errors
from workspace_emulator import store as st

SCOPE_PREFIX = "https://www.googleapis.com/auth/"

DIRECTORY_READ = ("admin.directory.user.readonly", "admin.directory.group.readonly")
APP_DEFAULT_SCOPES = ("chat.app.memberships", "chat.app.spaces", "chat.bot", *DIRECTORY_READ)
USER_DEFAULT_SCOPES = ("chat.memberships", "chat.spaces")
ADMIN_EXTRA_SCOPES = ("chat.admin.memberships", "chat.admin.spaces", *DIRECTORY_READ)

APP_ONLY = ("chat.bot",)
"""Scopes only app authentication can carry (plus every ``chat.app.*``)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal with its granted scopes."""

    kind: Literal["app", "user"]
    scopes: frozenset[str]
    person: st.Person | None = None

    @property
    def is_app(self) -> bool:
        """App authentication (the calling Chat app)."""
        return self.kind == "app"

    @property
    def label(self) -> str:
        """``app`` or ``user:<email>``, as the calls log records it."""
        return "app" if self.person is None else f"user:{self.person.email}"

    def has(self, scope: str) -> bool:
        """Whether the token carries *scope* (short form) and the principal may hold it."""
        if scope not in self.scopes:
            return False
        # Strict: a scope only counts for the principal kind it was made for.
        app_scope = scope.startswith("chat.app.") or scope in APP_ONLY
        user_scope = scope.startswith("chat.") and not app_scope
        if self.is_app:
            return not user_scope
        return not app_scope


def short_scope(scope: str) -> str:
    """``https://www.googleapis.com/auth/chat.bot`` → ``chat.bot``."""
    return scope.removeprefix(SCOPE_PREFIX)


def parse(header: str | None, store: st.Store) -> Caller:
    """Turn an ``Authorization`` header into a caller, or raise 401."""
    if not header or not header.startswith("Bearer "):
        raise errors.unauthenticated(
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential."
        )
    token = header[len("Bearer ") :].strip()
    principal, _, rest = token.partition(";")
    scopes: tuple[str, ...] | None = None
    if rest:
        key, _, value = rest.partition("=")
        if key.strip() != "scopes":
            raise errors.unauthenticated(f"Invalid token {token!r}: expected ';scopes=...'.")
        scopes = tuple(short_scope(s.strip()) for s in value.split(",") if s.strip())
    principal = principal.strip()
    if principal == "app":
        return Caller("app", frozenset(scopes if scopes is not None else APP_DEFAULT_SCOPES))
    if principal.startswith("user:"):
        person = store.person_by_email(principal[5:])
        if person is None or person.external or person.suspended:
            raise errors.unauthenticated(f"Invalid credentials: unknown user {principal[5:]!r}.")
        if scopes is None:
            scopes = USER_DEFAULT_SCOPES + (ADMIN_EXTRA_SCOPES if person.admin else ())
        return Caller("user", frozenset(scopes), person)
    raise errors.unauthenticated(
        f"Invalid token {token!r}: expected 'app' or 'user:<email>' (emulator convention)."
    )


def require_any(caller: Caller, scopes: Iterable[str], *, method: str) -> None:
    """Raise 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT unless the caller holds one of *scopes*."""
    wanted = tuple(scopes)
    if any(caller.has(s) for s in wanted):
        return
    raise errors.ApiError(
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        service=service_of(method),
    )


def service_of(method: str) -> str:
    """The Google service a method id belongs to (for ErrorInfo metadata)."""
    if method.startswith("directory."):
        return "admin.googleapis.com"
    if method.startswith("workspaceevents."):
        return "workspaceevents.googleapis.com"
    return "chat.googleapis.com"
