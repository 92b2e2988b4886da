"""Google credentials for the Chat and Directory clients, chosen by settings.

- ``CHATSYNC_ACCESS_TOKEN`` set: a fixed bearer token (the local emulator's convention).
- ``auth_mode=app``: the runtime service account acts as the Chat app (``chat.app.memberships``,
  approved once by an admin). Application Default Credentials, no key.
- ``auth_mode=admin``: domain-wide delegation to ``admin_subject`` with
  ``chat.admin.memberships``; every Chat call then carries ``useAdminAccess=true``.

Directory reads always go through domain-wide delegation to ``admin_subject``. Delegation is
keyless: JWTs are signed by the IAM Credentials signJwt API as the runtime account itself.
The snapshot upload (``CHATSYNC_SNAPSHOT_URI``) runs as the runtime account, no delegation.
"""

from __future__ import annotations

from typing import Any

from chatsync.app.settings import Settings

SCOPE = "https://www.googleapis.com/auth/"
CHAT_APP_SCOPES = (SCOPE + "chat.app.memberships", SCOPE + "chat.app.spaces")
CHAT_ADMIN_SCOPES = (SCOPE + "chat.admin.memberships", SCOPE + "chat.admin.spaces.readonly")
DIRECTORY_SCOPES = (
    SCOPE + "admin.directory.user.readonly",
    SCOPE + "admin.directory.group.readonly",
)
STORAGE_SCOPES = (SCOPE + "devstorage.read_write",)
TOKEN_URI = "https://oauth2.googleapis.com/token"


def chat_credentials(settings: Settings) -> Any:
    if settings.access_token:
        return _static(settings.access_token)
    if settings.auth_mode == "admin":
        return _delegated(settings, CHAT_ADMIN_SCOPES)
    import google.auth

    credentials, _project = google.auth.default(scopes=list(CHAT_APP_SCOPES))
    return credentials


def directory_credentials(settings: Settings) -> Any:
    token = settings.directory_token or settings.access_token
    if token:
        return _static(token)
    return _delegated(settings, DIRECTORY_SCOPES)


def storage_credentials(settings: Settings) -> Any:
    """For the snapshot upload (``adapters.bucket``): the runtime account, as itself."""
    if settings.access_token:
        return _static(settings.access_token)
    import google.auth

    credentials, _project = google.auth.default(scopes=list(STORAGE_SCOPES))
    return credentials


def _static(token: str) -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(token=token)


def _delegated(settings: Settings, scopes: tuple[str, ...]) -> Any:
    """Keyless domain-wide delegation: sign the JWT with IAM signJwt as the runtime account."""
    import google.auth
    from google.auth import iam
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    source, _project = google.auth.default(scopes=[SCOPE + "cloud-platform"])
    account = settings.service_account or getattr(source, "service_account_email", "")
    request = Request()
    if not account or account == "default":
        source.refresh(request)
        account = str(getattr(source, "service_account_email", ""))
    signer = iam.Signer(request, source, account)
    return service_account.Credentials(
        signer, account, TOKEN_URI, scopes=list(scopes), subject=settings.admin_subject
    )
