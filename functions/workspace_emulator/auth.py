"""Who is calling: issued access tokens, the emulator's bearer-token convention, scope checks.

Two kinds of bearer token are accepted:

- tokens the emulator's token endpoint issued (:mod:`workspace_emulator.oauth_api`), as the real
  google-auth credential classes get them: a service account as the Chat app (no subject), or a
  user through domain-wide delegation (subject);
- the convention ``Authorization: Bearer <principal>[;scopes=<s1>,<s2>]`` where the principal is
  ``app`` (app authentication as the Chat app) or ``user:<email>`` (user authentication). Scopes
  may be short (``chat.app.memberships``) or full ``https://www.googleapis.com/auth/...`` URLs;
  without a ``scopes=`` part the defaults below apply. See ``docs/emulator.md``.

The convention ``app`` is a stand-in for everything production does with several credentials
(it may read the Directory, as a delegated admin would, and needs no admin approval); an issued
app token is held to the tenant's rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from workspace_emulator import errors, tokens
from workspace_emulator import scopes as sc
from workspace_emulator import store as st

DIRECTORY_READ = ("admin.directory.user.readonly", "admin.directory.group.readonly")
APP_DEFAULT_SCOPES = ("chat.app.memberships", "chat.app.spaces", "chat.bot", *DIRECTORY_READ)
USER_DEFAULT_SCOPES = ("chat.memberships", "chat.spaces")
ADMIN_EXTRA_SCOPES = ("chat.admin.memberships", "chat.admin.spaces", *DIRECTORY_READ)

CHAT_APP_NOT_FOUND = (
    "Google Chat app not found. To create a Chat app, you must turn on the Chat API and "
    "configure the app in the Google Cloud console."
)
"""What Chat answers a project without a configured Chat app (reference §13)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal with its granted scopes.

    ``account`` is the service account behind an issued token (None for the convention);
    ``unapproved`` the ``chat.app.*`` scopes the token asked for that no admin approved (they
    do not count; they make a refusal say why); ``chat_app`` is False when that account's
    project has no Chat app (Chat refuses even user authentication then).
    """

    kind: Literal["app", "user"]
    scopes: frozenset[str]
    person: st.Person | None = None
    account: str | None = None
    unapproved: frozenset[str] = frozenset()
    chat_app: bool = True

    @property
    def is_app(self) -> bool:
        """App authentication (the calling Chat app)."""
        return self.kind == "app"

    @property
    def convention(self) -> bool:
        """Whether the token is the emulator's convention rather than an issued one."""
        return self.account is None

    @property
    def label(self) -> str:
        """``app`` or ``user:<email>``, as the calls log records it."""
        return "app" if self.person is None else f"user:{self.person.email}"

    def has(self, scope: str) -> bool:
        """Whether the token carries *scope* (short form) and the principal may hold it."""
        if scope not in self.scopes:
            return False
        # Strict: a scope only counts for the principal kind it was made for.
        if self.is_app:
            return not sc.is_user_chat_scope(scope)
        return not sc.is_app_scope(scope)


def parse(header: str | None, store: st.Store, issued: tokens.TokenTable) -> Caller:
    """Turn an ``Authorization`` header into a caller, or raise 401."""
    if not header or not header.startswith("Bearer "):
        raise errors.unauthenticated(
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential."
        )
    token = header[len("Bearer ") :].strip()
    if token.startswith(tokens.PREFIX):
        return _issued(token, store, issued)
    principal, _, rest = token.partition(";")
    scopes: tuple[str, ...] | None = None
    if rest:
        key, _, value = rest.partition("=")
        if key.strip() != "scopes":
            raise errors.unauthenticated(f"Invalid token {token!r}: expected ';scopes=...'.")
        scopes = tuple(sc.short(s.strip()) for s in value.split(",") if s.strip())
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


def _issued(token: str, store: st.Store, issued: tokens.TokenTable) -> Caller:
    """A caller for a token the token endpoint issued, with the tenant's rules applied now."""
    grant = issued.find(token)
    if grant is None:
        raise errors.unauthenticated(
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential."
        )
    if issued.expired(grant):
        raise errors.unauthenticated(
            "Request had invalid authentication credentials. The access token has expired.",
            reason="ACCESS_TOKEN_EXPIRED",
        )
    account = store.tenant.account(grant.account)
    if account is None:
        raise errors.unauthenticated(f"The service account {grant.account} no longer exists.")
    if grant.subject is not None:
        person = store.person_by_email(grant.subject)
        if person is None or person.external or person.suspended:
            raise errors.unauthenticated(f"The delegated user {grant.subject} cannot sign in.")
        return Caller(
            "user", grant.scopes, person, account=account.email, chat_app=account.chat_app
        )
    approved = store.tenant.approved_scopes
    unapproved = frozenset(s for s in grant.scopes if sc.needs_approval(s) and s not in approved)
    return Caller(
        "app",
        grant.scopes - unapproved,
        account=account.email,
        unapproved=unapproved,
        chat_app=account.chat_app,
    )


def require_any(caller: Caller, scopes: Iterable[str], *, method: str) -> None:
    """Raise 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT unless the caller holds one of *scopes*.

    A token of an account whose project has no Chat app is 404 on Chat and Workspace Events
    before any scope counts, for user authentication too (reference §7.2, §13). One that only
    lacks an admin's approval for a ``chat.app.*`` scope it asked for is 403 saying so
    (message text UNCONFIRMED, reference §7.2).
    """
    wanted = tuple(scopes)
    service = service_of(method)
    chat_side = service in ("chat.googleapis.com", "workspaceevents.googleapis.com")
    if not caller.chat_app and chat_side:
        raise errors.not_found(CHAT_APP_NOT_FOUND)
    if any(caller.has(s) for s in wanted):
        return
    waiting = sorted(s for s in wanted if s in caller.unapproved)
    if waiting:
        raise errors.ApiError(
            "PERMISSION_DENIED",
            f"The Chat app is not approved by an administrator for {sc.PREFIX}{waiting[0]} "
            "(app authentication with chat.app.* scopes needs a one-time administrator "
            "approval).",
            reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            service=service,
        )
    raise errors.ApiError(
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        service=service,
    )


def service_of(method: str) -> str:
    """The Google service a method id belongs to (for ErrorInfo metadata)."""
    if method.startswith("directory."):
        return "admin.googleapis.com"
    if method.startswith("workspaceevents."):
        return "workspaceevents.googleapis.com"
    if method.startswith("iamcredentials."):
        return "iamcredentials.googleapis.com"
    return "chat.googleapis.com"
