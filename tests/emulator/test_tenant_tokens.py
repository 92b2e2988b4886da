"""The token endpoint with google-auth's real service account credentials (domain-wide
delegation and app tokens), and what the issued tokens may then do."""

from __future__ import annotations

import time
from typing import Any

import google.auth.jwt
import google.auth.transport.requests
import pytest
from google.auth.exceptions import RefreshError
from tests.emulator.conftest import DELEGATED, DEPLOYER, RUNTIME, SCOPE, STRANGER

pytestmark = pytest.mark.tenant

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UNAUTHORIZED_CLIENT = {
    "error": "unauthorized_client",
    "error_description": "Client is unauthorized to retrieve access tokens using this method, "
    "or client not authorized for any of the scopes requested.",
}


def assertion(credentials: Any, **claims: Any) -> str:
    """A JWT-bearer assertion signed with *credentials*' key, claims as google-auth writes them."""
    now = int(time.time())
    payload = {
        "iss": credentials.service_account_email,
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
        "scope": SCOPE + "chat.bot",
    }
    payload.update(claims)
    return google.auth.jwt.encode(credentials.signer, payload).decode()


def refresh_error(credentials: Any) -> dict[str, Any]:
    """Refresh *credentials*, which must fail; the token endpoint's JSON answer."""
    with pytest.raises(RefreshError) as info:
        credentials.refresh(google.auth.transport.requests.Request())
    answer = info.value.args[1]
    assert isinstance(answer, dict)
    return answer


def test_delegated_admin_reads_the_directory(sa_credentials: Any, api: Any) -> None:
    """A delegated token for an admin, with allowed scopes, lists users as that admin."""
    creds = sa_credentials("admin.directory.user.readonly", subject="mo.admin@example.com")
    users = api("admin", "directory_v1", creds).users().list(customer="my_customer").execute()

    assert "ana.silva@example.com" in {u["primaryEmail"] for u in users["users"]}
    assert creds.token.startswith("ya29.")


def test_delegation_asking_for_every_allowed_scope_succeeds(sa_credentials: Any) -> None:
    """The whole delegation list at once is fine: the check is a subset check."""
    creds = sa_credentials(*DELEGATED, subject="mo.admin@example.com")
    creds.refresh(google.auth.transport.requests.Request())

    assert creds.valid


def test_one_scope_off_the_delegation_list_fails_the_whole_token(sa_credentials: Any) -> None:
    """Asking for an allowed scope plus one the Admin console lacks: unauthorized_client."""
    creds = sa_credentials(
        "admin.directory.user.readonly", "chat.memberships", subject="mo.admin@example.com"
    )

    assert refresh_error(creds) == UNAUTHORIZED_CLIENT


def test_unauthorized_client_is_http_401_with_googles_wording(
    sa_credentials: Any, raw: Any
) -> None:
    """On the wire the refusal is 401 with exactly Google's error and description."""
    signed = assertion(
        sa_credentials(), sub="mo.admin@example.com", scope=SCOPE + "admin.directory.user"
    )
    answer = raw("POST", "token", token=None, form={"grant_type": JWT_BEARER, "assertion": signed})

    assert (answer.status, answer.body) == (401, UNAUTHORIZED_CLIENT)


def test_an_account_without_a_delegation_entry_cannot_impersonate(sa_credentials: Any) -> None:
    """A client id the Admin console does not list is unauthorized_client for any scope."""
    creds = sa_credentials("admin.directory.user.readonly", subject="mo.admin@example.com")
    stranger = sa_credentials(
        "admin.directory.user.readonly", subject="mo.admin@example.com", email=STRANGER
    )

    assert refresh_error(stranger) == UNAUTHORIZED_CLIENT
    creds.refresh(google.auth.transport.requests.Request())


@pytest.mark.parametrize("subject", ["nobody@example.com", "old.timer@example.com"])
def test_subject_must_be_an_active_user(sa_credentials: Any, subject: str) -> None:
    """An unknown or suspended subject: invalid_grant "Invalid email or User ID"."""
    answer = refresh_error(sa_credentials("admin.directory.user.readonly", subject=subject))

    assert answer == {"error": "invalid_grant", "error_description": "Invalid email or User ID"}


def test_non_admin_subject_gets_a_token_but_no_admin_access(
    sa_credentials: Any, api: Any, refused: Any
) -> None:
    """A delegated token for a non-admin works, but useAdminAccess calls are 403."""
    creds = sa_credentials("chat.admin.memberships", subject="ana.silva@example.com")
    request = (
        api("chat", "v1", creds)
        .spaces()
        .members()
        .list(parent="spaces/AAAAnoapp", useAdminAccess=True, filter='member.type = "HUMAN"')
    )

    refusal = refused(request)

    assert creds.valid
    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")


def test_non_admin_subject_cannot_read_the_directory(
    sa_credentials: Any, api: Any, refused: Any
) -> None:
    """Directory reads need the subject to be an admin: 403 Not Authorized for anyone else."""
    creds = sa_credentials("admin.directory.user.readonly", subject="ana.silva@example.com")
    refusal = refused(api("admin", "directory_v1", creds).users().list(customer="my_customer"))

    assert refusal.http_status == 403
    assert refusal.error["message"] == "Not Authorized to access this resource/api"


def test_delegated_admin_uses_admin_access_in_a_space_the_app_is_not_in(
    sa_credentials: Any, api: Any
) -> None:
    """Admin access is unaffected by app membership: the admin lists spaces/AAAAnoapp."""
    creds = sa_credentials("chat.admin.memberships", subject="mo.admin@example.com")
    listing = (
        api("chat", "v1", creds)
        .spaces()
        .members()
        .list(parent="spaces/AAAAnoapp", useAdminAccess=True, filter='member.type = "HUMAN"')
        .execute()
    )

    assert {m["member"]["name"] for m in listing["memberships"]} == {
        "users/100000000005",
        "users/100000000004",
    }


def test_app_token_with_chat_bot_reads_where_the_app_is(sa_credentials: Any, api: Any) -> None:
    """Without a subject the account acts as the Chat app: chat.bot needs no approval."""
    creds = sa_credentials("chat.bot")
    listing = api("chat", "v1", creds).spaces().members().list(parent="spaces/AAAAeng").execute()

    assert {m["member"]["name"] for m in listing["memberships"]} == {
        "users/100000000002",
        "users/100000000001",
    }


def test_approved_app_scope_writes(sa_credentials: Any, api: Any, emu: Any) -> None:
    """chat.app.memberships, approved in the seed, adds a member with app authentication."""
    creds = sa_credentials("chat.app.memberships")
    api("chat", "v1", creds).spaces().members().create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/li.wei@example.com"}}
    ).execute()

    [space] = [s for s in emu.state()["spaces"] if s["name"] == "spaces/AAAAeng"]
    assert "li.wei@example.com" in {m.get("email") for m in space["memberships"]}
    assert emu.calls()[-1]["account"] == RUNTIME


def test_unapproved_app_scope_does_not_count(
    emu: Any, sa_credentials: Any, api: Any, refused: Any
) -> None:
    """Without the admin's approval the token is issued, but Chat refuses its chat.app scope."""
    seed = emu.emulator.original_seed | {"app": {"id": "900000000001", "approved_scopes": []}}
    emu.reset(seed)
    creds = sa_credentials("chat.app.memberships")
    refusal = refused(api("chat", "v1", creds).spaces().members().list(parent="spaces/AAAAeng"))

    assert creds.valid
    assert (refusal.http_status, refusal.status) == (403, "PERMISSION_DENIED")
    assert "approved by an administrator" in refusal.error["message"]


def test_app_token_cannot_read_the_directory(sa_credentials: Any, api: Any, refused: Any) -> None:
    """A service account without a subject is nobody in the directory: 403."""
    creds = sa_credentials("admin.directory.user.readonly")
    refusal = refused(api("admin", "directory_v1", creds).users().get(userKey="100000000001"))

    assert refusal.http_status == 403


def test_account_of_a_project_without_chat_app_is_404_on_chat(
    sa_credentials: Any, api: Any, refused: Any
) -> None:
    """An account whose project has no Chat app: Chat answers "Google Chat app not found"."""
    creds = sa_credentials("chat.bot", email=DEPLOYER)
    refusal = refused(api("chat", "v1", creds).spaces().get(name="spaces/AAAAeng"))

    assert refusal.http_status == 404
    assert refusal.error["message"].startswith("Google Chat app not found.")


def test_delegation_from_a_project_without_chat_app_is_404_on_chat(
    emu: Any, sa_credentials: Any, api: Any, refused: Any
) -> None:
    """User authentication needs a Chat app in the project too (reference §7.2): 404."""
    seed = emu.emulator.original_seed | {"domain_wide_delegation": {DEPLOYER: ["chat.spaces"]}}
    emu.reset(seed)
    creds = sa_credentials("chat.spaces", subject="raj.mehta@example.com", email=DEPLOYER)
    refusal = refused(api("chat", "v1", creds).spaces().get(name="spaces/AAAAeng"))

    assert creds.valid
    assert refusal.error["message"].startswith("Google Chat app not found.")


def test_expired_token_is_401_and_google_auth_refreshes(
    emu: Any, sa_credentials: Any, api: Any
) -> None:
    """After an hour of emulator time the token is refused; the client refreshes and retries."""
    chat = api("chat", "v1", sa_credentials("chat.bot"))
    chat.spaces().get(name="spaces/AAAAeng").execute()
    emu.advance(3600)
    since = len(emu.calls())

    chat.spaces().get(name="spaces/AAAAeng").execute()

    after = [(c["method"], c["status"]) for c in emu.calls(since)]
    assert after == [("spaces.get", 401), ("oauth2.token", 200), ("spaces.get", 200)]


def test_a_token_never_issued_is_401(raw: Any) -> None:
    """A made-up ya29 token is UNAUTHENTICATED."""
    answer = raw("GET", "v1/spaces/AAAAeng", token="ya29.emu-made-up")

    assert (answer.status, answer.body["error"]["status"]) == (401, "UNAUTHENTICATED")


def test_reset_forgets_issued_tokens(emu: Any, sa_credentials: Any, raw: Any) -> None:
    """Tokens issued before a reset are refused after it."""
    creds = sa_credentials("chat.bot")
    creds.refresh(google.auth.transport.requests.Request())
    assert raw("GET", "v1/spaces/AAAAeng", token=creds.token).status == 200

    emu.reset()

    assert raw("GET", "v1/spaces/AAAAeng", token=creds.token).status == 401


def test_signature_by_another_accounts_key_is_refused(sa_credentials: Any, raw: Any) -> None:
    """An assertion naming RUNTIME but signed with STRANGER's key: Invalid JWT Signature."""
    forged = assertion(sa_credentials(email=STRANGER), iss=RUNTIME)
    answer = raw("POST", "token", token=None, form={"grant_type": JWT_BEARER, "assertion": forged})

    assert (answer.status, answer.body["error_description"]) == (400, "Invalid JWT Signature.")


@pytest.mark.parametrize(
    ("claims", "error", "description"),
    [
        ({"iss": "ghost@x.iam.gserviceaccount.com"}, "invalid_grant", "account not found"),
        ({"aud": "https://example.com/token"}, "invalid_grant", "Failed audience check"),
        ({"iat": 1_000_000, "exp": 1_003_600}, "invalid_grant", "short-lived token"),
        ({"exp": int(time.time()) + 7200}, "invalid_grant", "short-lived token"),
        ({"scope": "chat.bot"}, "invalid_scope", "Invalid OAuth scope"),
        ({"scope": ""}, "invalid_scope", "Invalid OAuth scope"),
    ],
)
def test_bad_assertions_are_refused_as_google_does(
    sa_credentials: Any, raw: Any, claims: dict[str, Any], error: str, description: str
) -> None:
    """Unknown issuer, wrong audience, bad times, missing or short scopes: 400 with a reason."""
    signed = assertion(sa_credentials(), **claims)
    answer = raw("POST", "token", token=None, form={"grant_type": JWT_BEARER, "assertion": signed})

    assert (answer.status, answer.body["error"]) == (400, error)
    assert description in answer.body["error_description"]


def test_other_grant_types_are_unsupported(raw: Any) -> None:
    """Only the JWT-bearer grant is served: unsupported_grant_type otherwise."""
    answer = raw("POST", "token", token=None, form={"grant_type": "refresh_token"})

    assert (answer.status, answer.body["error"]) == (400, "unsupported_grant_type")


def test_key_file_points_at_the_emulator(emu: Any, key_file: Any, raw: Any) -> None:
    """The control API hands out a key file whose token_uri is the emulator's token endpoint."""
    info = raw("POST", "emulator/v1/service-account-key", body={"email": RUNTIME}).body

    assert info["token_uri"] == emu.token_uri
    assert info["client_id"] == "110000000000000000001"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert info["private_key_id"] == key_file(RUNTIME)["private_key_id"]


def test_key_file_of_an_unknown_account_is_404(raw: Any) -> None:
    """Only seeded service accounts have keys."""
    answer = raw(
        "POST", "emulator/v1/service-account-key", body={"email": "ghost@x.iam.gserviceaccount.com"}
    )

    assert answer.status == 404
