"""IAM Credentials ``signBlob`` and ``signJwt``: what keyless domain-wide delegation calls.

``POST v1/projects/-/serviceAccounts/{email}:signBlob`` with ``{"payload": <base64>}`` answers
``{"keyId", "signedBlob": <base64>}``; ``:signJwt`` with ``{"payload": <JSON claims as a
string>}`` answers ``{"keyId", "signedJwt"}`` (cloud.google.com/iam/docs/reference/
credentials/rest/v1/projects.serviceAccounts). ``google.auth.iam.Signer`` calls ``signBlob``
with the bearer token of its source credentials; google-auth then builds the JWT itself.

Who may sign: a service account's own token (``cloud-platform`` or ``iam`` scope) whose account
holds ``roles/iam.serviceAccountTokenCreator`` on the target (``token_creators`` in the seed,
which by default lists the account itself). Anyone else gets IAM's answer, 403 "Permission
'iam.serviceAccounts.signBlob' denied on resource (or it may not exist).", which is also the
answer for an account that does not exist (IAM does not reveal which).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from workspace_emulator import auth, errors, handling
from workspace_emulator import tenant as tn

_SCOPES = ("cloud-platform", "iam")
MAX_JWT_LIFETIME = 12 * 3600
"""signJwt refuses an ``exp`` more than 12 hours ahead (IAM Credentials reference)."""


def _denied(permission: str) -> errors.ApiError:
    return errors.ApiError(
        "PERMISSION_DENIED",
        f"Permission '{permission}' denied on resource (or it may not exist).",
        details=[
            {
                "@type": errors.ERROR_INFO,
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "iam.googleapis.com",
                "metadata": {"permission": permission},
            }
        ],
    )


def _target(world: handling.World, req: handling.Request, permission: str) -> tn.ServiceAccount:
    """The account to sign as, once the caller is allowed to; 403 otherwise."""
    auth.require_any(req.caller, _SCOPES, method=req.method)
    caller = req.caller.account if req.caller.person is None else None
    target = world.store.tenant.account(req.params[0])
    if caller is None or target is None or not world.store.tenant.may_sign_as(caller, target):
        raise _denied(permission)
    return target


def _payload(req: handling.Request) -> str:
    payload = req.json().get("payload")
    if not isinstance(payload, str) or not payload:
        raise errors.invalid("payload is required.", field="payload")
    return payload


def sign_blob(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/projects/-/serviceAccounts/{email}:signBlob."""
    target = _target(world, req, "iam.serviceAccounts.signBlob")
    try:
        data = base64.b64decode(_payload(req), validate=True)
    except binascii.Error as exc:
        raise errors.invalid("payload must be base64.", field="payload") from exc
    signature = world.keys.sign(target.email, data)
    return handling.Reply(
        {
            "keyId": world.keys.key_id(target.email),
            "signedBlob": base64.b64encode(signature).decode(),
        }
    )


def sign_jwt(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/projects/-/serviceAccounts/{email}:signJwt."""
    target = _target(world, req, "iam.serviceAccounts.signJwt")
    try:
        claims: Any = json.loads(_payload(req))
    except ValueError as exc:
        raise errors.invalid("payload must be a JSON object of claims.", field="payload") from exc
    if not isinstance(claims, dict):
        raise errors.invalid("payload must be a JSON object of claims.", field="payload")
    # "If the JWT Claims Set does not contain an expiration time (exp) claim, this claim is
    # added automatically, with a timestamp that is 1 hour in the future." (signJwt reference)
    exp = claims.setdefault("exp", int(time.time()) + 3600)
    if isinstance(exp, int | float) and exp > time.time() + MAX_JWT_LIFETIME:
        raise errors.invalid(
            "The expiration time (exp) must be no more than 12 hours in the future.",
            field="payload",
        )
    return handling.Reply(
        {
            "keyId": world.keys.key_id(target.email),
            "signedJwt": world.keys.sign_jwt(target.email, claims),
        }
    )
