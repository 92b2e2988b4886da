"""Google credentials, one per credential set of the scope table (``chatsync/scopes.json``).

Each API call is sent with the credentials of the set its method uses in the deployment's auth
mode (``CredentialSets.for_method``), so no token ever carries a scope its method does not
accept and every scope asked for is one the README and Terraform tell the admin to allow:

- ``delegated`` sets: domain-wide delegation impersonating CHATSYNC_ADMIN_SUBJECT, keyless. The
  runtime account's own token (Application Default Credentials, ``cloud-platform``) calls the
  IAM Credentials signBlob API through ``google.auth.iam.Signer`` to sign the JWT as itself,
  and the JWT is exchanged at CHATSYNC_TOKEN_URI for a token with exactly the set's scopes. The
  Admin console must allow *every* scope of the request for the client id, or the whole token
  fails with ``unauthorized_client``
  (developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority).
- ``app`` sets: the runtime account's own token (ADC) with the set's scopes: app
  authentication as the Chat app (chat.app.* need a one-time admin approval, chat.bot none:
  developers.google.com/workspace/chat/authenticate-authorize-chat-app).
- CHATSYNC_ACCESS_TOKEN set (the local emulator): that fixed token for every set, except the
  Directory's, which use CHATSYNC_DIRECTORY_TOKEN, and the app sets, which use
  CHATSYNC_APP_TOKEN, when those are set.

``iam.Signer`` has no endpoint setting (it builds ``https://iamcredentials.googleapis.com/...``
itself), so with CHATSYNC_IAM_ENDPOINT changed its requests for Google's host go there instead;
that and CHATSYNC_TOKEN_URI are how the emulator's tenant runs this very code in tests.

The snapshot upload (``CHATSYNC_SNAPSHOT_URI``) runs as the runtime account, no delegation
(``storage_credentials``).
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any

from chatsync.app.settings import Settings
from chatsync.domain import errors, scopes

IAM_HOST = "iamcredentials.googleapis.com"
CLOUD_PLATFORM = scopes.SCOPE_URL + "cloud-platform"
STORAGE_SCOPES = (scopes.SCOPE_URL + "devstorage.read_write",)


class CredentialSets:
    """The credentials of each set, built on first use and kept (tokens refresh themselves)."""

    def __init__(self, settings: Settings, table: scopes.ScopeTable | None = None) -> None:
        settings.require_credentials()
        self.settings = settings
        self.table = table or scopes.load()
        self.mode = settings.auth_mode
        self._built: dict[str, Any] = {}
        self._source: tuple[Any, str] | None = None
        self._lock = threading.Lock()

    # -- what the adapters call ------------------------------------------------------------------
    def for_method(self, method: str) -> Any:
        """The credentials ``method`` is sent with (``KeyError``: not in the table, not sent)."""
        return self.for_set(self.table.set_for(method, self.mode).name)

    def for_preflight(self, check: str) -> Any | None:
        """The credentials of doctor's ``check`` (None: not checked in this auth mode)."""
        found = self.table.preflight_set(check, self.mode)
        return None if found is None else self.for_set(found.name)

    def for_set(self, name: str) -> Any:
        with self._lock:
            built = self._built.get(name)
            if built is None:
                built = self._built[name] = self._build(self.table.sets[name])
            return built

    def refresh(self, name: str) -> None:
        """Get a fresh token for set ``name`` now (doctor's check that the exchange works);
        raises google-auth's error (``RefreshError``, ``TransportError``) if it is refused."""
        from google.auth.transport.requests import Request

        credentials = self.for_set(name)
        if self.settings.static_tokens:
            return
        credentials.refresh(_Redirected(Request(), self.settings.iam_endpoint))

    def probe(self, principal: scopes.Principal, scope: str) -> Any:
        """Fresh, uncached credentials for one scope (doctor: which scope does delegation
        refuse?)."""
        probe = scopes.CredentialSet(name=f"probe:{scope}", principal=principal, scopes=(scope,))
        return self._build(probe)

    # -- building --------------------------------------------------------------------------------
    def _build(self, credential_set: scopes.CredentialSet) -> Any:
        settings = self.settings
        if settings.static_tokens:
            directory = all(s.startswith("admin.directory.") for s in credential_set.scopes)
            own = settings.directory_token if directory else ""
            if not credential_set.delegated:
                # The Chat app's own calls (chat.bot, chat.app.*): an emulator user token
                # (``user:...``, standing for delegated admin access) is not the app's.
                shared = settings.access_token
                own = settings.app_token or ("app" if shared.startswith("user:") else "")
            token = own or settings.access_token
            return _static(token or settings.directory_token or settings.app_token)
        if credential_set.delegated:
            return self._delegated(credential_set.urls)
        credentials, _project = _default(settings, list(credential_set.urls))
        return credentials

    def _delegated(self, urls: tuple[str, ...]) -> Any:
        """Keyless domain-wide delegation: the JWT is signed by IAM as the runtime account."""
        from google.auth import iam
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        source, account = self._runtime_account()
        request = _Redirected(Request(), self.settings.iam_endpoint)
        signer = iam.Signer(request, source, account)
        return service_account.Credentials(
            signer,
            account,
            self.settings.token_uri,
            scopes=list(urls),
            subject=self.settings.admin_subject,
        )

    def _runtime_account(self) -> tuple[Any, str]:
        """The runtime account's own credentials (``cloud-platform``, to call IAM) and email."""
        if self._source is None:
            from google.auth.transport.requests import Request

            source, _project = _default(self.settings, [CLOUD_PLATFORM])
            account = self.settings.service_account or str(
                getattr(source, "service_account_email", "")
            )
            if not account or account == "default":
                source.refresh(_Redirected(Request(), self.settings.iam_endpoint))
                account = str(getattr(source, "service_account_email", ""))
            self._source = (source, account)
        return self._source


def storage_credentials(settings: Settings) -> Any:
    """For the snapshot upload (``adapters.bucket``): the runtime account, as itself."""
    if settings.access_token:
        return _static(settings.access_token)
    credentials, _project = _default(settings, list(STORAGE_SCOPES))
    return credentials


def _default(settings: Settings, urls: list[str]) -> Any:
    """Application Default Credentials, or ``CredentialsRefused`` saying how to provide them
    (retryable: a deployment without credentials must not ack its events; the CLI says it as
    a configuration error)."""
    import google.auth
    from google.auth import exceptions

    try:
        return google.auth.default(scopes=urls)
    except exceptions.DefaultCredentialsError:
        endpoints = {settings.chat_endpoint, settings.directory_endpoint}
        local = [e for e in sorted(endpoints) if "googleapis.com" not in e]
        hint = (
            f"the endpoint {local[0]} is not Google's: for the local emulator pass "
            "--token app (CHATSYNC_ACCESS_TOKEN=app)"
            if local
            else "run `gcloud auth application-default login`, or set "
            "GOOGLE_APPLICATION_CREDENTIALS to a key file (on Cloud Functions the runtime "
            "service account is used)"
        )
        raise errors.CredentialsRefused(f"no Google credentials found: {hint}") from None


def _static(token: str) -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(token=token)


class _Redirected:
    """A google-auth transport that sends requests for IAM Credentials to ``iam_endpoint``
    (Google's by default: then nothing changes) and everything else unchanged."""

    def __init__(self, inner: Any, iam_endpoint: str) -> None:
        self.inner = inner
        self.base = iam_endpoint if iam_endpoint.endswith("/") else iam_endpoint + "/"
        self.default = urllib.parse.urlsplit(self.base).hostname == IAM_HOST

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        split = urllib.parse.urlsplit(url)
        if not self.default and split.hostname == IAM_HOST:
            url = self.base + split.path.lstrip("/") + (f"?{split.query}" if split.query else "")
        return self.inner(url, method=method, **kwargs)


class TokenChecks:
    """``chatsync doctor``'s token exchanges with the deployment's own credential sets."""

    def __init__(self, sets: CredentialSets) -> None:
        self.sets = sets

    @property
    def static(self) -> bool:
        return self.sets.settings.static_tokens

    def exchange(self, credential_set: str) -> str | None:
        """None if a token was issued for the set now; else the refusal, as google-auth says."""
        from google.auth import exceptions

        try:
            self.sets.refresh(credential_set)
        except exceptions.GoogleAuthError as exc:
            return f"{type(exc).__name__}: {str(exc)[:300]}"
        return None

    def refused(self, credential_set: str) -> tuple[str, ...]:
        """The set's scopes a token asked for alone is refused for: delegation fails a whole
        token for one scope the Admin console does not allow, so each is asked for alone."""
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        used = self.sets.table.sets[credential_set]
        if not used.delegated or self.static:
            return ()
        refused = []
        for scope in used.scopes:
            try:
                self.sets.probe(used.principal, scope).refresh(
                    _Redirected(Request(), self.sets.settings.iam_endpoint)
                )
            except exceptions.RefreshError as exc:
                if "unauthorized_client" in str(exc):
                    refused.append(scope)
        return tuple(refused)
