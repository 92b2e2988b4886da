"""IAM Credentials signBlob/signJwt, and keyless domain-wide delegation end to end: the runtime
account's own token → google.auth.iam.Signer → service_account.Credentials with a subject."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import google.auth.jwt
import google.auth.transport.requests
import pytest
from google.auth import crypt, iam
from google.auth.exceptions import TransportError
from google.oauth2 import service_account
from tests.emulator.conftest import DEPLOYER, RUNTIME, SCOPE, STRANGER

from workspace_emulator.redirect import EmulatorRequest

pytestmark = pytest.mark.tenant

SIGN_BLOB = f"v1/projects/-/serviceAccounts/{RUNTIME}:signBlob"
SIGN_JWT = f"v1/projects/-/serviceAccounts/{RUNTIME}:signJwt"


def token_of(credentials: Any) -> str:
    """A fresh access token of *credentials* from the emulator's token endpoint."""
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


def test_sign_blob_answers_key_id_and_a_verifiable_signature(
    sa_credentials: Any, key_file: Any, raw: Any
) -> None:
    """signBlob returns keyId and signedBlob, an RS256 signature by the account's key."""
    token = token_of(sa_credentials("cloud-platform"))
    answer = raw("POST", SIGN_BLOB, token=token, body={"payload": base64.b64encode(b"hi").decode()})

    info = key_file(RUNTIME)
    assert answer.status == 200
    assert answer.body["keyId"] == info["private_key_id"]
    signature = base64.b64decode(answer.body["signedBlob"])
    assert crypt.RSAVerifier.from_string(public_pem(info)).verify(b"hi", signature)
    assert not crypt.RSAVerifier.from_string(public_pem(info)).verify(b"ho", signature)


def public_pem(info: dict[str, Any]) -> bytes:
    """The public key (PEM) of a key file."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_sign_jwt_answers_a_jwt_with_the_key_id(
    sa_credentials: Any, key_file: Any, raw: Any
) -> None:
    """signJwt signs the given claims (adding exp an hour ahead when missing); google-auth
    verifies the result with the account's public key."""
    token = token_of(sa_credentials("cloud-platform"))
    now = int(time.time())
    claims = {"iss": RUNTIME, "sub": "mo.admin@example.com", "aud": "x", "iat": now}
    answer = raw("POST", SIGN_JWT, token=token, body={"payload": json.dumps(claims)})
    later = int(time.time())

    info = key_file(RUNTIME)
    decoded = google.auth.jwt.decode(
        answer.body["signedJwt"], certs=public_pem(info), verify=True, audience="x"
    )
    header = google.auth.jwt.decode_header(answer.body["signedJwt"])
    assert now + 3600 <= decoded.pop("exp") <= later + 3600
    assert decoded == claims
    assert header["kid"] == answer.body["keyId"] == info["private_key_id"]


def test_sign_jwt_refuses_an_expiry_beyond_twelve_hours(sa_credentials: Any, raw: Any) -> None:
    """exp more than 12 hours ahead is 400, as IAM answers."""
    token = token_of(sa_credentials("cloud-platform"))
    claims = {"iss": RUNTIME, "exp": int(time.time()) + 13 * 3600}

    assert raw("POST", SIGN_JWT, token=token, body={"payload": json.dumps(claims)}).status == 400


def test_sign_jwt_refuses_claims_that_are_not_an_object(sa_credentials: Any, raw: Any) -> None:
    """A payload that is not a JSON object of claims is 400."""
    token = token_of(sa_credentials("cloud-platform"))

    assert raw("POST", SIGN_JWT, token=token, body={"payload": "[1]"}).status == 400


def test_a_token_creator_may_sign_for_another_account(sa_credentials: Any, raw: Any) -> None:
    """The deployer holds Token Creator on the runtime account (seed): it may sign as it."""
    token = token_of(sa_credentials("cloud-platform", email=DEPLOYER))
    answer = raw("POST", SIGN_BLOB, token=token, body={"payload": "aGk="})

    assert answer.status == 200


@pytest.mark.parametrize("path", [SIGN_BLOB, SIGN_JWT])
def test_anyone_else_is_refused_as_iam_does(sa_credentials: Any, raw: Any, path: str) -> None:
    """An account without Token Creator on the target: 403 Permission ... denied."""
    token = token_of(sa_credentials("cloud-platform", email=STRANGER))
    answer = raw("POST", path, token=token, body={"payload": "e30="})

    permission = "iam.serviceAccounts." + path.rpartition(":")[2]
    assert (answer.status, answer.body["error"]["message"]) == (
        403,
        f"Permission '{permission}' denied on resource (or it may not exist).",
    )
    assert answer.body["error"]["details"][0]["reason"] == "IAM_PERMISSION_DENIED"


def test_an_account_needs_token_creator_even_on_itself(sa_credentials: Any, raw: Any) -> None:
    """stranger (token_creators: []) may not sign as itself: the role is not implicit."""
    token = token_of(sa_credentials("cloud-platform", email=STRANGER))
    path = f"v1/projects/-/serviceAccounts/{STRANGER}:signBlob"

    assert raw("POST", path, token=token, body={"payload": "aGk="}).status == 403


def test_signing_needs_a_cloud_platform_or_iam_scope(sa_credentials: Any, raw: Any) -> None:
    """A token with only chat.bot cannot call IAM: 403 scope insufficient."""
    token = token_of(sa_credentials("chat.bot"))
    answer = raw("POST", SIGN_BLOB, token=token, body={"payload": "aGk="})

    assert answer.status == 403
    assert answer.body["error"]["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


@pytest.mark.parametrize("token", ["app", "user:mo.admin@example.com"])
def test_convention_tokens_cannot_sign(raw: Any, token: str) -> None:
    """The bearer convention names no service account: IAM refuses it."""
    assert raw("POST", SIGN_BLOB, token=token, body={"payload": "aGk="}).status == 403


def keyless(emu: Any, sa_credentials: Any, *scopes: str, subject: str) -> Any:
    """What adapters.credentials builds: IAM Signer over the runtime account's own token."""
    source = sa_credentials("cloud-platform")
    signer = iam.Signer(EmulatorRequest(emu.url), source, RUNTIME)
    return service_account.Credentials(
        signer, RUNTIME, emu.token_uri, scopes=[SCOPE + s for s in scopes], subject=subject
    )


def test_keyless_delegation_reads_the_directory(emu: Any, sa_credentials: Any, api: Any) -> None:
    """signBlob-signed assertion → delegated token → Directory read as the admin."""
    creds = keyless(
        emu, sa_credentials, "admin.directory.group.readonly", subject="mo.admin@example.com"
    )
    groups = api("admin", "directory_v1", creds).groups().list(customer="my_customer").execute()

    assert {g["email"] for g in groups["groups"]} == {
        "eng-leads@example.com",
        "platform-core@example.com",
    }
    methods = [c["method"] for c in emu.calls()]
    assert methods == [
        "oauth2.token",
        "iamcredentials.serviceAccounts.signBlob",
        "oauth2.token",
        "directory.groups.list",
    ]


def test_keyless_delegation_is_held_to_the_delegation_list(emu: Any, sa_credentials: Any) -> None:
    """The signed path meets the same allow-list: one extra scope fails the token."""
    from google.auth.exceptions import RefreshError

    creds = keyless(
        emu, sa_credentials, "chat.admin.memberships", "chat.spaces", subject="mo.admin@example.com"
    )

    with pytest.raises(RefreshError, match="unauthorized_client"):
        creds.refresh(google.auth.transport.requests.Request())


def test_keyless_signing_without_the_grant_fails_in_the_signer(
    emu: Any, sa_credentials: Any
) -> None:
    """A source account without Token Creator: google-auth's Signer raises TransportError."""
    source = sa_credentials("cloud-platform", email=STRANGER)
    signer = iam.Signer(EmulatorRequest(emu.url), source, RUNTIME)

    with pytest.raises(TransportError, match="signBlob"):
        signer.sign(b"payload")
