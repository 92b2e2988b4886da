"""The Google Cloud and Admin console side of the emulated organisation: who may get tokens.

Seed fields (``docs/emulator.md``, "Tenant")::

    app:
      approved_scopes: [chat.app.memberships]     # what an admin approved for the Chat app
    service_accounts:
      - email: runner@proj.iam.gserviceaccount.com
        client_id: "110000000000000000001"        # optional: derived from the email
        chat_app: true                            # default: authenticates as the seed's Chat app
        token_creators: [runner@proj.iam.gserviceaccount.com]   # default: itself
    domain_wide_delegation:                       # Admin console > API controls
      "110000000000000000001": [admin.directory.user.readonly]   # by client id or email

- ``approved_scopes``: app authentication needs a one-time admin approval for every
  ``chat.app.*`` scope (developers.google.com/workspace/chat/authenticate-authorize-chat-app;
  support.google.com/a/answer/15137461). ``chat.bot`` needs none.
- ``token_creators``: who holds ``roles/iam.serviceAccountTokenCreator`` on the account, which
  ``signBlob``/``signJwt`` need, *also for the account itself* (reference/terraform.md: "Token
  Creator on itself"). The default models that grant; ``token_creators: []`` models its absence.
- ``chat_app: false``: an account of a project without the Chat app; Chat answers 404 "Google
  Chat app not found" (reference §13).
- ``domain_wide_delegation``: the Admin console's list of client ids and the scopes each may
  ask for on behalf of a user (``sub``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workspace_emulator import scopes as sc


class TenantSeedError(ValueError):
    """A tenant section that cannot be loaded; the message starts with the field path."""


def derived_client_id(email: str) -> str:
    """A stable 21-digit OAuth client id (what Google shows as "Unique ID") for an email."""
    digest = hashlib.sha256(("client:" + email.lower()).encode()).hexdigest()
    return "1" + str(int(digest[:24], 16) % 10**20).zfill(20)


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """A Cloud service account the emulator holds a signing key for."""

    email: str
    client_id: str
    chat_app: bool = True
    token_creators: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Tenant:
    """Service accounts, the Admin console's delegation list, and the Chat app's approvals."""

    accounts: Mapping[str, ServiceAccount] = field(default_factory=dict)
    delegation: Mapping[str, frozenset[str]] = field(default_factory=dict)
    approved_scopes: frozenset[str] = frozenset()

    def account(self, email: str) -> ServiceAccount | None:
        """A service account by email (case-insensitive, as Google treats addresses)."""
        return self.accounts.get(email.lower())

    def delegated_scopes(self, account: ServiceAccount) -> frozenset[str] | None:
        """The scopes the Admin console lets *account* ask for with a subject, or None."""
        by_id = self.delegation.get(account.client_id)
        by_email = self.delegation.get(account.email.lower())
        if by_id is None and by_email is None:
            return None
        return (by_id or frozenset()) | (by_email or frozenset())

    def may_sign_as(self, caller: str, target: ServiceAccount) -> bool:
        """Whether *caller* holds Token Creator on *target* (signBlob, signJwt)."""
        return caller.lower() in target.token_creators


def load(seed: Mapping[str, Any]) -> Tenant:
    """The tenant part of a seed (``app.approved_scopes``, ``service_accounts``, delegation)."""
    app = seed.get("app") or {}
    approved = frozenset(_scopes(app.get("approved_scopes"), "app.approved_scopes"))
    accounts: dict[str, ServiceAccount] = {}
    for i, raw in enumerate(_list(seed.get("service_accounts"), "service_accounts")):
        account = _account(raw, f"service_accounts[{i}]")
        if account.email in accounts:
            msg = f"service_accounts[{i}].email: {account.email!r} is listed twice"
            raise TenantSeedError(msg)
        accounts[account.email] = account
    delegation: dict[str, frozenset[str]] = {}
    raw_delegation = seed.get("domain_wide_delegation") or {}
    if not isinstance(raw_delegation, Mapping):
        msg = "domain_wide_delegation: expected a mapping of client id or email to scopes"
        raise TenantSeedError(msg)
    for key, scopes in raw_delegation.items():
        where = f"domain_wide_delegation[{key!r}]"
        delegation[str(key).lower()] = frozenset(_scopes(scopes, where))
    return Tenant(accounts=accounts, delegation=delegation, approved_scopes=approved)


def _account(raw: Any, where: str) -> ServiceAccount:
    if not isinstance(raw, Mapping):
        raise TenantSeedError(f"{where}: expected a mapping with an email")
    email = raw.get("email")
    if not isinstance(email, str) or not email.endswith(".gserviceaccount.com"):
        msg = f"{where}.email: expected a service account address (...gserviceaccount.com)"
        raise TenantSeedError(f"{msg}, found {email!r}")
    client_id = str(raw.get("client_id") or derived_client_id(email))
    if not client_id.isdigit():
        raise TenantSeedError(f"{where}.client_id: expected digits, found {client_id!r}")
    creators = raw.get("token_creators", [email])
    return ServiceAccount(
        email=email.lower(),
        client_id=client_id,
        chat_app=bool(raw.get("chat_app", True)),
        token_creators=frozenset(
            str(c).lower() for c in _list(creators, f"{where}.token_creators")
        ),
    )


def _scopes(raw: Any, where: str) -> list[str]:
    scopes = [sc.short(str(s).strip()) for s in _list(raw, where)]
    bad = [s for s in scopes if not s or "/" in s or " " in s]
    if bad:
        raise TenantSeedError(f"{where}: not an OAuth scope: {bad[0]!r}")
    return scopes


def _list(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TenantSeedError(f"{where}: expected a list, found {type(raw).__name__}")
    return raw
