"""The OAuth 2.0 token endpoint (``POST /token``, as ``https://oauth2.googleapis.com/token``).

Only the grant service accounts use is served: ``grant_type=urn:ietf:params:oauth:grant-type:
jwt-bearer`` with ``assertion=<JWT>`` (RFC 7523), form-encoded, which is what
``google.oauth2.service_account.Credentials`` sends. The assertion's claims are ``iss`` (the
service account), ``scope`` (space-separated scope URLs), ``aud``, ``iat``, ``exp`` and, for
domain-wide delegation, ``sub`` (the user to act for). Checks, in order, with Google's answers
(developers.google.com/identity/protocols/oauth2/service-account, "JWT error codes"):

- ``grant_type`` is the JWT-bearer grant, else 400 ``unsupported_grant_type``;
- ``assertion`` is present (400 ``invalid_request``), a JWT signed RS256 (400 ``invalid_grant``);
- ``iss`` is a service account of the seed, else 400 ``invalid_grant`` "Invalid grant: account
  not found";
- the signature was made with that account's key, else 400 ``invalid_grant`` "Invalid JWT
  Signature.";
- ``aud`` is the token endpoint, else 400 ``invalid_grant`` "Invalid JWT: Failed audience
  check..." (wording UNCONFIRMED);
- ``iat``/``exp`` span at most an hour around now, else 400 ``invalid_grant`` "Invalid JWT: Token
  must be a short-lived token (60 minutes)...";
- ``scope`` is one or more scope URLs, else 400 ``invalid_scope`` "Invalid OAuth scope or ID
  token audience provided.";
- with ``sub``: an active user of the organisation, else 400 ``invalid_grant`` "Invalid email or
  User ID"; then *every* requested scope must be on the Admin console's delegation list for the
  client id, else the whole token fails with 401 ``unauthorized_client``.

The ``unauthorized_client`` answer is the whole token failing for one scope too many, as
delegation does (reference §15); its wording is the one Google returns (quoted in n8n's
docs, "Gmail Trigger node common issues", and in google-auth's own tests). The audience check
wording is UNCONFIRMED. ``iat``/``exp`` are checked against the real wall clock (the client's
clock), with five minutes of skew allowed; the issued token's hour runs on the emulator's clock.

Without ``sub`` the token is the service account's own: with Chat it acts as the Chat app. No
scope is refused here then: Chat refuses unapproved ``chat.app.*`` scopes when they are used
(:mod:`workspace_emulator.auth`), as Google does.

:func:`key_file` renders the JSON key file of an account, with ``token_uri`` pointing here.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from workspace_emulator import errors, handling, keys, tokens
from workspace_emulator import scopes as sc

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
AUDIENCES = (
    GOOGLE_TOKEN_URI,
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
)
"""Audiences Google's token endpoint answers to (google-auth always writes the first)."""
MAX_LIFETIME = 3600
SKEW = 300
UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
SHORT_LIVED = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)

Answer = tuple[int, dict[str, Any]]


class Refusal(Exception):
    """An OAuth error answer: ``{"error", "error_description"}`` with an HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def answer(self) -> Answer:
        """The HTTP status and JSON body Google's token endpoint sends."""
        return self.status, {"error": self.error, "error_description": self.description}


def token(
    world: handling.World,
    body: bytes,
    *,
    base_url: str,
    wall: Callable[[], float] = time.time,
) -> Answer:
    """Answer ``POST /token`` with a form-encoded body; *base_url* is the emulator's URL."""
    try:
        return 200, _grant(world, _form(body), base_url, wall())
    except Refusal as refusal:
        return refusal.answer()


def asker(body: bytes) -> str:
    """Who a token request claims to be, for the calls log: ``iss[ for sub]``, or empty."""
    try:
        claims = keys.decode(_form(body).get("assertion", "")).claims
    except (Refusal, keys.BadJwt):
        return ""
    subject = claims.get("sub")
    return str(claims.get("iss", "")) + (f" for {subject}" if subject else "")


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal("invalid_request", "The request body must be form-encoded.") from exc
    return dict(pairs)


def _grant(world: handling.World, form: Mapping[str, str], base_url: str, now: float) -> Any:
    grant_type = form.get("grant_type", "")
    if grant_type != JWT_BEARER:
        raise Refusal("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    assertion = form.get("assertion")
    if not assertion:
        raise Refusal("invalid_request", "Missing required parameter: assertion")
    try:
        jwt = keys.decode(assertion)
    except keys.BadJwt as exc:
        raise Refusal("invalid_grant", f"Invalid JWT: {exc}") from exc
    if jwt.header.get("alg") != "RS256":
        raise Refusal("invalid_grant", "Invalid JWT: the signing algorithm must be RS256.")
    claims = jwt.claims
    store = world.store
    account = store.tenant.account(str(claims.get("iss", "")))
    if account is None:
        raise Refusal("invalid_grant", "Invalid grant: account not found")
    if not world.keys.verify(account.email, jwt.signed, jwt.signature):
        raise Refusal("invalid_grant", "Invalid JWT Signature.")
    audience = claims.get("aud")
    if audience not in (*AUDIENCES, base_url + "token"):
        raise Refusal(
            "invalid_grant",
            f"Invalid JWT: Failed audience check. The expected value was {GOOGLE_TOKEN_URI} "
            f"but was {audience}",
        )
    _check_times(claims, now)
    requested = _scopes(claims.get("scope"))
    subject = claims.get("sub")
    if subject is None:
        issued = world.tokens.issue(account.email, requested, None)
    else:
        person = store.person_by_email(str(subject))
        if person is None or person.external or person.suspended:
            raise Refusal("invalid_grant", "Invalid email or User ID")
        allowed = store.tenant.delegated_scopes(account)
        if allowed is None or not requested <= allowed:
            raise Refusal("unauthorized_client", UNAUTHORIZED_CLIENT, status=401)
        issued = world.tokens.issue(account.email, requested, person.email)
    return {
        "access_token": issued,
        "expires_in": int(tokens.LIFETIME) - 1,
        "token_type": "Bearer",
    }


def _check_times(claims: Mapping[str, Any], now: float) -> None:
    iat, exp = claims.get("iat"), claims.get("exp")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp))
    if not numbers:
        raise Refusal("invalid_grant", SHORT_LIVED)
    issued, expires = float(iat), float(exp)  # type: ignore[arg-type]
    if issued > now + SKEW or expires <= now - SKEW or not 0 < expires - issued <= MAX_LIFETIME:
        raise Refusal("invalid_grant", SHORT_LIVED)


def _scopes(raw: Any) -> frozenset[str]:
    """The requested scopes in short form; any that is not a scope URL fails the request."""
    parts = str(raw or "").split()
    if not parts or not all(p.startswith(sc.PREFIX) and len(p) > len(sc.PREFIX) for p in parts):
        raise Refusal("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    return frozenset(sc.short(p) for p in parts)


def key_file(world: handling.World, email: str, *, base_url: str) -> dict[str, Any]:
    """A service account JSON key file whose ``token_uri`` is this emulator's token endpoint."""
    account = world.store.tenant.account(email)
    if account is None:
        raise errors.not_found(f"No service account {email} in the seed (service_accounts).")
    project = account.email.split("@", 1)[1].split(".", 1)[0]
    quoted = urllib.parse.quote(account.email)
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": world.keys.key_id(account.email),
        "private_key": world.keys.private_pem(account.email),
        "client_email": account.email,
        "client_id": account.client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": base_url + "token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{quoted}",
        "universe_domain": "googleapis.com",
    }
