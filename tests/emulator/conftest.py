"""Fixtures for the emulator conformance suite.

One emulator per session on a free port (minimal seed), reset before every test. Tests talk to it
the way chatsync does: googleapiclient with static discovery and token credentials whose token is
the emulator's caller convention (``app``, ``user:<email>``, optionally ``;scopes=...``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import pytest
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from workspace_emulator.server import EmulatorServer

SEED = Path(__file__).resolve().parents[2] / "functions/workspace_emulator/seeds/minimal.yaml"
SCOPE = "https://www.googleapis.com/auth/"
RUNTIME = "chatsync@emulator-project.iam.gserviceaccount.com"
DEPLOYER = "deployer@ops-project.iam.gserviceaccount.com"
STRANGER = "stranger@emulator-project.iam.gserviceaccount.com"
DELEGATED = (
    "admin.directory.user.readonly",
    "admin.directory.group.readonly",
    "chat.admin.memberships",
    "chat.admin.spaces.readonly",
)
"""What the minimal seed's Admin console lets RUNTIME ask for on behalf of a user."""

# The minimal seed, as the tests use it:
#   ana.silva 100000000001: Manager (ROLE_ASSISTANT_MANAGER) in AAAAeng, member in AAAAuser
#   raj.mehta 100000000002: sole Owner of AAAAeng (created by the app) and AAAAuser (created by Raj)
#   li.wei 100000000003: in no space; in platform-core, which is nested in eng-leads
#   mo.admin 100000000004: Workspace admin; sam.lee 100000000005: auto_accept false
#   spaces/AAAAchat: a GROUP_CHAT; spaces/AAAAuser also holds another bot 900000000002
#   spaces/AAAAnoapp: created by sam.lee (Owner), mo.admin a Manager; the app is not a member
# Tenant: chatsync@emulator-project... acts as the Chat app, may ask for admin.directory.*.readonly,
#   chat.admin.memberships and chat.admin.spaces.readonly for a user (domain-wide delegation);
#   deployer@ops-project... may sign for it (no Chat app); stranger@... has no grant at all.
#   Approved for the app: chat.app.memberships(.readonly), chat.app.spaces.


@dataclass(frozen=True)
class Raw:
    """A raw HTTP answer."""

    status: int
    headers: dict[str, str]
    body: Any


@pytest.fixture(scope="session")
def emu_session() -> Iterator[EmulatorServer]:
    with EmulatorServer(SEED) as server:
        yield server


@pytest.fixture
def emu(emu_session: EmulatorServer) -> EmulatorServer:
    """The minimal world, freshly reset (quotas on, real time, no latency, retry hints on)."""
    emu_session.reset()
    emu_session.set_time_scale(1.0)
    emu_session.set_quotas(True)
    emu_session.set_latency(0.0)
    emu_session.set_retry_hints(True)
    emu_session.configure_events(None, None)
    return emu_session


@pytest.fixture
def chat(emu: EmulatorServer) -> Callable[..., Any]:
    """``chat(token)`` → a googleapiclient Chat v1 service acting as that caller."""
    return lambda token="app": _client("chat", "v1", emu.url, token)


@pytest.fixture
def directory(emu: EmulatorServer) -> Callable[..., Any]:
    """``directory(token)`` → an Admin SDK Directory v1 service."""
    return lambda token="app": _client("admin", "directory_v1", emu.url, token)


@pytest.fixture
def workspaceevents(emu: EmulatorServer) -> Callable[..., Any]:
    """``workspaceevents(token)`` → a Workspace Events v1 service."""
    return lambda token="app": _client("workspaceevents", "v1", emu.url, token)


_CACHE: dict[tuple[str, str, str, str], Any] = {}


def _client(api: str, version: str, url: str, token: str) -> Any:
    key = (api, version, url, token)
    if key not in _CACHE:
        credentials = google.oauth2.credentials.Credentials(token=token)
        _CACHE[key] = build(
            api,
            version,
            credentials=credentials,
            client_options={"api_endpoint": url},
            static_discovery=True,
        )
    return _CACHE[key]


@pytest.fixture
def key_file(emu: EmulatorServer) -> Callable[[str], dict[str, Any]]:
    """``key_file(email)`` → the JSON key file the emulator hands out for a seeded account."""
    return emu.service_account_key


@pytest.fixture
def sa_credentials(emu: EmulatorServer) -> Callable[..., service_account.Credentials]:
    """``sa_credentials(*short_scopes, subject=None, email=RUNTIME)``: google-auth's real
    service account credentials from the emulator's key file (token_uri = the emulator)."""

    def make(
        *scopes: str, subject: str | None = None, email: str = RUNTIME
    ) -> service_account.Credentials:
        return service_account.Credentials.from_service_account_info(
            emu.service_account_key(email), scopes=[SCOPE + s for s in scopes], subject=subject
        )

    return make


@pytest.fixture
def api(emu: EmulatorServer) -> Callable[..., Any]:
    """``api(name, version, credentials)`` → a googleapiclient service with real credentials."""
    return lambda name, version, credentials: build(
        name,
        version,
        credentials=credentials,
        client_options={"api_endpoint": emu.url},
        static_discovery=True,
    )


@pytest.fixture
def raw(emu: EmulatorServer) -> Callable[..., Raw]:
    """``raw(method, path, token=..., body=... | form=...)`` → :class:`Raw`, for what
    googleapiclient hides (``form`` posts form-encoded, as to the token endpoint)."""

    def call(
        method: str,
        path: str,
        *,
        token: str | None = "app",
        body: Any = None,
        form: dict[str, str] | None = None,
    ) -> Raw:
        data = None if body is None else json.dumps(body).encode()
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(emu.url + path.lstrip("/"), data=data, method=method)
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        if form is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        elif data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Raw(response.status, dict(response.headers), json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Raw(error.code, dict(error.headers), json.loads(error.read()))

    return call


@dataclass(frozen=True)
class Refusal:
    """A Google JSON error as googleapiclient received it."""

    http_status: int
    error: dict[str, Any]

    @property
    def status(self) -> str:
        """The canonical status name (``PERMISSION_DENIED``...)."""
        return str(self.error["status"])

    @property
    def reason(self) -> str | None:
        """The ErrorInfo reason, if any."""
        for detail in self.error.get("details", []):
            if detail.get("@type") == "type.googleapis.com/google.rpc.ErrorInfo":
                return str(detail["reason"])
        return None

    def detail(self, type_name: str) -> dict[str, Any]:
        """The first detail of ``type.googleapis.com/google.rpc.<type_name>``."""
        wanted = f"type.googleapis.com/google.rpc.{type_name}"
        return next(d for d in self.error["details"] if d["@type"] == wanted)


@pytest.fixture
def refused() -> Callable[[Any], Refusal]:
    """``refused(request)`` executes a googleapiclient request that must fail."""

    def run(request: Any) -> Refusal:
        with pytest.raises(HttpError) as info:
            request.execute()
        body = json.loads(info.value.content)
        assert body["error"]["code"] == info.value.status_code
        return Refusal(info.value.status_code, body["error"])

    return run
