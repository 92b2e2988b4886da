"""Fixtures of the HR bridges suite: a SCIM client in process, a recording publisher, a clock,
signed webhook requests, and an emulated HR vendor API on 127.0.0.1.

- ``scim``: ``scim(method, path, json=..., token=..., headers=...)`` -> werkzeug test response,
  against a ``ScimApp`` on an in-memory store; ``published`` lists what it published.
- ``vendor_api``: a loopback HTTP server answering BambooHR's and HiBob's employee reads from
  ``vendor_api.records`` (and counting the calls), so webhooks are fetched for real.
- ``decode(event)``: the event through ``chatsync.domain.events`` as Pub/Sub would deliver it.

``firestore_host`` (the gcloud Firestore emulator) is the reconcile suite's fixture, shared.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from reconcile.conftest import firestore_host  # noqa: F401  (a fixture, used by name)

TOKEN = "s3cret-scim-token"
NOW = 1_795_000_000.0
"""A fixed "now" (2026-11-18): timestamps and event times in this suite are relative to it."""
BAMBOO_KEY = "bamboo-private-key"
HIBOB_KEY = "hibob-webhook-secret"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingPublisher:
    """Keeps what it was asked to publish; ``fail_next`` makes the next publishes raise."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.failures = 0
        self.lock = threading.Lock()

    def publish(self, event: Mapping[str, Any], *, ordering_key: str) -> None:
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("Pub/Sub unavailable (injected)")
            self.events.append(dict(event))
            self.keys.append(ordering_key)

    def fail_next(self, count: int = 1) -> None:
        self.failures = count

    def types(self) -> list[str]:
        return [e["event_type"] for e in self.events]


def decode(event: Mapping[str, Any]) -> Any:
    """The one typed event chatsync decodes from *event*, published as the bridges publish."""
    from chatsync.domain import events
    from chatsync.domain.bridges import hr_messages

    message = {
        "data": base64.b64encode(json.dumps(dict(event)).encode()).decode(),
        "attributes": hr_messages.attributes(event),
        "messageId": "m-" + str(event["event_id"]),
        "orderingKey": hr_messages.ordering_key(event),
    }
    (decoded,) = events.decode_message(message, message_id=message["messageId"])
    return decoded


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def bridge_store() -> Any:
    from chatsync.adapters.bridges.memory_store import MemoryBridgeStore

    return MemoryBridgeStore()


@pytest.fixture
def log_records() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def scim_app(
    bridge_store: Any,
    publisher: RecordingPublisher,
    clock: Clock,
    log_records: list[dict[str, Any]],
) -> Any:
    from chatsync import bridge_runtime as wiring
    from chatsync.app.bridges.settings import BridgeSettings
    from chatsync.app.logs import Logger

    settings = BridgeSettings(store="memory", group_domain="example.com", scim_source="entra")
    log = Logger(stream=io.StringIO(), sink=log_records.append, secrets=(TOKEN,))
    return wiring.scim_app(
        settings, token=TOKEN, bridge_store=bridge_store, sink=publisher, clock=clock, log=log
    )


ScimCall = Callable[..., Any]


@pytest.fixture
def scim(scim_app: Any) -> ScimCall:
    """``scim("POST", "/Users", json={...})``: one request with the bearer token (or ``token``)."""
    client = Client(scim_app.wsgi)

    def call(
        method: str,
        path: str,
        *,
        json: object = None,
        data: bytes | None = None,
        token: str | None = TOKEN,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        sent = {"Content-Type": "application/scim+json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        body = data if data is not None else (None if json is None else _dumps(json))
        return client.open(f"/scim/v2{path}", method=method, data=body, headers=sent)

    return call


def _dumps(value: object) -> bytes:
    return json.dumps(value).encode()


def entra_user(user_name: str, **extra: Any) -> dict[str, Any]:
    """A user as Entra ID's default attribute mappings send it (learn.microsoft.com,
    "Tutorial: Develop a sample SCIM endpoint", Create User request)."""
    doc: dict[str, Any] = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": user_name.split("@", maxsplit=1)[0],
        "userName": user_name,
        "active": True,
        "displayName": user_name.split("@", maxsplit=1)[0].replace(".", " ").title(),
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ana Silva", "familyName": "Silva", "givenName": "Ana"},
        "title": "Software Engineer",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Platform",
            "employeeNumber": "E1042",
        },
    }
    doc.update(extra)
    return doc


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": list(operations),
    }


# -- the emulated HR vendor APIs ------------------------------------------------------------------
@dataclass
class VendorApi:
    """BambooHR ``GET /bamboo/v1/employees/<id>/`` and HiBob ``POST /hibob/v1/people/<id>``."""

    url: str = ""
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    """(method, path, Authorization header) of every request."""

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        self.calls.append((request.method, request.path, request.headers.get("Authorization", "")))
        parts = [p for p in request.path.split("/") if p]
        employee = parts[-1] if parts else ""
        record = self.records.get(f"{parts[0]}:{employee}") if parts else None
        if not request.headers.get("Authorization", "").startswith("Basic "):
            response = Response(status=401)
        elif record is None:
            response = Response(json.dumps({"error": "not found"}), status=404)
        else:
            response = Response(json.dumps(record), content_type="application/json")
        return response(environ, start_response)


@pytest.fixture
def vendor_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[VendorApi]:
    from chatsync.tools.hr_serving import LocalServer

    api = VendorApi()
    with LocalServer(api.app) as server:
        api.url = server.url
        monkeypatch.setenv("CHATSYNC_BAMBOOHR_API_URL", f"{server.url}/bamboo")
        monkeypatch.setenv("CHATSYNC_BAMBOOHR_API_KEY", "bamboo-api-key")
        monkeypatch.setenv("CHATSYNC_HIBOB_API_URL", f"{server.url}/hibob")
        monkeypatch.setenv("CHATSYNC_HIBOB_SERVICE_USER_ID", "svc-user")
        monkeypatch.setenv("CHATSYNC_HIBOB_SERVICE_USER_TOKEN", "svc-token")
        monkeypatch.setenv("CHATSYNC_BAMBOOHR_WEBHOOK_KEY", BAMBOO_KEY)
        monkeypatch.setenv("CHATSYNC_HIBOB_WEBHOOK_KEY", HIBOB_KEY)
        yield api


@contextmanager
def scim_server(token: str, env: Mapping[str, str], *extra: str) -> Iterator[str]:
    """``chatsync scim serve --port 0`` in its own process group; yields its base URL."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "chatsync.tools.cli", "scim", "serve"),
            *("--port", "0", "--token", token, *extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(env),
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("SCIM base URL: "), f"the SCIM server did not start: {line!r}"
        yield line.removeprefix("SCIM base URL: ").strip()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def scim_send(token: str, method: str, url: str, body: object) -> dict[str, Any]:
    """One SCIM request with the bearer token; the JSON answer (empty for no body)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
    return dict(json.loads(text)) if text else {}
