"""googleapiclient services built the one way chatsync builds them: static discovery, an
explicit endpoint (Google's, or the local emulator's), a request timeout, one per thread
(httplib2 connections are not thread-safe) and one per credential set (``MethodServices``: each
API method is sent with the credentials the scope table names for it); and the one place HTTP
outcomes of any Google API become chatsync errors (``check_response``)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from typing import Any

from chatsync.domain import errors

_FIXES = {
    "PERMISSION_DENIED": (
        "admin auth: check that domain-wide delegation allows the scopes of "
        "chatsync/scopes.json for the runtime account's client id and that the admin subject "
        "has the Chat admin privilege; app auth: check that the Chat app is a member of the "
        "space and that an admin approved chat.app.memberships; app auth can change roles "
        "only in spaces the app created; run chatsync doctor"
    ),
    "UNAUTHENTICATED": "the credentials were refused: check the service account and its scopes",
    "NOT_FOUND": "the space does not exist or the app cannot see it: check the rules file",
    "FAILED_PRECONDITION": "Chat refused the change as it stands (e.g. the last owner)",
    "INVALID_ARGUMENT": "Chat rejected the request: check the resource names in the rules file",
}


class PerThreadService:
    """``get()`` returns this thread's service for ``api``/``version``, built on first use."""

    def __init__(
        self, api: str, version: str, credentials: Any, *, endpoint: str, timeout: float
    ) -> None:
        self.api = api
        self.version = version
        self._credentials = SharedCredentials(credentials)
        self._endpoint = endpoint
        self._timeout = timeout
        self._local = threading.local()

    def get(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build

            http = google_auth_httplib2.AuthorizedHttp(
                self._credentials, http=httplib2.Http(timeout=self._timeout)
            )
            service = build(
                self.api,
                self.version,
                http=http,
                static_discovery=True,
                client_options={"api_endpoint": self._endpoint},
            )
            self._local.service = service
        return service

    def resource(self, *path: str) -> Any:
        """This thread's collection at ``path`` (``"spaces", "members"``), built once per thread:
        googleapiclient builds a resource's method table on every ``spaces()``-style call (about
        2 ms each)."""
        built: dict[tuple[str, ...], Any] = self._local.__dict__.setdefault("resources", {})
        found = built.get(path)
        if found is None:
            found = self.get()
            for name in path:
                found = getattr(found, name)()
            built[path] = found
        return found


class SharedCredentials:
    """One credentials object for every thread's service: a token is fetched once, by the first
    thread that finds it stale, while the others wait and then send it. google-auth's credentials
    refresh without a lock, so threads that start together would each exchange their own token
    (a token request per thread per credential set, against the token endpoint's quota)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def before_request(self, request: Any, method: str, url: str, headers: Any) -> None:
        with self._lock:
            self._inner.before_request(request, method, url, headers)

    def refresh(self, request: Any) -> None:
        stale = getattr(self._inner, "token", None)
        with self._lock:
            # Refreshed by another thread while this one waited: send that token.
            if getattr(self._inner, "token", None) == stale:
                self._inner.refresh(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


CredentialsFor = Callable[[str], Any]
"""API method id (``chat.spaces.members.get``) -> the google-auth credentials to send it with."""


def per_method(credentials: Any) -> CredentialsFor:
    """Adapters take one credentials object (used for every method: a fixed emulator token) or a
    ``CredentialsFor`` (``adapters.credentials.CredentialSets.for_method``)."""
    if callable(credentials) and not hasattr(credentials, "before_request"):
        return credentials  # type: ignore[no-any-return]
    return lambda _method: credentials


class MethodServices:
    """``service(method)``: this thread's service for ``api`` built with ``method``'s credentials.

    One service per credential set and thread; a method the credentials callable refuses (not in
    the scope table) raises before anything is sent.
    """

    def __init__(
        self, api: str, version: str, credentials: Any, *, endpoint: str, timeout: float
    ) -> None:
        self.api = api
        self.version = version
        self._credentials_for = per_method(credentials)
        self._endpoint = endpoint
        self._timeout = timeout
        self._by_credentials: dict[int, PerThreadService] = {}
        self._lock = threading.Lock()

    def service(self, method: str) -> Any:
        return self._services(method).get()

    def collection(self, method: str) -> Any:
        """The collection ``method`` is called on, named by the method id's middle part
        (``chat.spaces.members.get``: ``spaces().members()``), built once per thread."""
        return self._services(method).resource(*method.split(".")[1:-1])

    def _services(self, method: str) -> PerThreadService:
        credentials = self._credentials_for(method)
        with self._lock:
            services = self._by_credentials.get(id(credentials))
            if services is None:
                services = PerThreadService(
                    self.api,
                    self.version,
                    credentials,
                    endpoint=self._endpoint,
                    timeout=self._timeout,
                )
                self._by_credentials[id(credentials)] = services
        return services


def execute(request: Any, *, method: str, call: str) -> Any:
    """Send a googleapiclient request built for ``method``; failures become chatsync errors.

    The request's own method id must be ``method``: the credentials were chosen for it, and a
    token must never be spent on a method the scope table gave another set.
    """
    built_for = getattr(request, "methodId", None)
    if built_for is not None and built_for != method:
        msg = f"{call}: request for {built_for} sent with the credentials of {method}"
        raise RuntimeError(msg)
    try:
        return request.execute(num_retries=0)
    except Exception as exc:
        raise check_response(exc, call=call) from exc


def check_response(exc: BaseException, *, call: str) -> errors.SyncError:
    """Translate a googleapiclient or socket failure into a chatsync error (raise it ``from``)."""
    from google.auth import exceptions as auth_errors
    from googleapiclient.errors import HttpError

    if isinstance(exc, auth_errors.GoogleAuthError):
        # Raised while getting a token, before the call: a refused delegation
        # (unauthorized_client), a refused signature, a token endpoint that is down.
        return errors.CredentialsRefused(
            f"{call} -> no token: {type(exc).__name__}: {str(exc)[:300]}; "
            "run chatsync doctor: it names the scope or grant to add"
        )
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        body = _content(exc)
        reason, message, delay = _error_fields(body)
        header_delay = exc.resp.get("retry-after")
        if delay is None and header_delay:
            delay = _seconds(header_delay)
        text = f"{call} -> {status} {reason or ''} {message}".strip()
        if 400 <= status < 500 and status != 429 and not _is_google_error(body):
            # Google APIs answer every error with a JSON error envelope; a page (HTML from a
            # web server, a proxy's text) means the endpoint is not the API at all.
            return errors.EndpointError(
                f"{call} -> {status} from {_where(exc)}: the server did not answer like a "
                f"Google API ({_kind(body)}); check the endpoint URL (--endpoint, "
                "CHATSYNC_CHAT_ENDPOINT / CHATSYNC_DIRECTORY_ENDPOINT)"
            )
        space = space_of(call)
        if status == 429:
            return errors.ChatRateLimited(
                text, status=status, reason=reason, body=body, delay=delay, space=space
            )
        if status >= 500:
            return errors.ChatUnavailable(
                text, status=status, reason=reason, body=body, delay=delay, space=space
            )
        fix = _FIXES.get(reason, "")
        return errors.ChatPermissionDenied(
            f"{text}; {fix}" if fix else text,
            status=status,
            reason=reason,
            body=body,
            space=space,
        )
    if isinstance(exc, ValueError):
        # googleapiclient could not parse a 2xx answer as JSON: not a Google API either.
        return errors.EndpointError(
            f"{call}: the answer is not JSON ({exc}); the server is not a Google API: check "
            "the endpoint URL (--endpoint, CHATSYNC_CHAT_ENDPOINT / CHATSYNC_DIRECTORY_ENDPOINT)"
        )
    if isinstance(exc, (TimeoutError, socket.timeout, ConnectionError, OSError)):
        return errors.ChatUnavailable(f"{call} -> {type(exc).__name__}: {exc}", status=0)
    return errors.ChatUnavailable(f"{call} -> {type(exc).__name__}: {exc}", status=0)


def _is_google_error(body: str) -> bool:
    """True for Google's error envelope: ``{"error": {"code": ..., "status": ...}}``."""
    try:
        return isinstance(json.loads(body).get("error"), dict)
    except (ValueError, AttributeError):
        return False


def _kind(body: str) -> str:
    start = body.lstrip()[:15].lower()
    if start.startswith(("<!doctype html", "<html")):
        return "an HTML page"
    return "a body that is not Google's JSON error" if start else "an empty body"


def _where(exc: Any) -> str:
    uri = str(getattr(exc, "uri", "") or "")
    return uri.split("?", 1)[0] or "the endpoint"


_SPACE = re.compile(r"(?<![\w/])spaces/[A-Za-z0-9_-]+")


def space_of(call: str) -> str:
    """The Chat space a call names (``spaces.members.get spaces/S/members/M`` -> ``spaces/S``),
    or empty: the error carries it, so log lines and notifications can say which space."""
    match = _SPACE.search(call)
    return match.group(0) if match else ""


def _content(exc: Any) -> str:
    raw = exc.content
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return str(raw)


def _error_fields(body: str) -> tuple[str, str, float | None]:
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return "", body[:200], None
    if not isinstance(error, dict):
        return "", body[:200], None
    delay = None
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = _seconds(str(detail.get("retryDelay", "")))
    return str(error.get("status", "")), str(error.get("message", ""))[:200], delay


def _seconds(text: str) -> float | None:
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)s?\s*", text)
    return float(match.group(1)) if match else None
