"""The product's real credential code against the emulator's tenant.

No fixed tokens here: the runtime account's key file comes from the emulator (its ``token_uri``
is the emulator's ``/token``) and is found through Application Default Credentials, delegated
tokens are signed by the emulator's IAM signBlob (CHATSYNC_IAM_ENDPOINT) and exchanged at its
token endpoint (CHATSYNC_TOKEN_URI), exactly as ``adapters.credentials`` does in production. The
demo seed's tenant: runtime account ``chatsync-fn@chatsync-demo...`` (the Chat app, Token
Creator on itself), domain-wide delegation of the four delegated scopes of
``chatsync/scopes.json``, and the app's approval of chat.app.memberships(.readonly) and
chat.app.spaces. ``tenant(...)`` reseeds it with one fact changed.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import DEMO_RULES, DEMO_SEED

RUNTIME = "chatsync-fn@chatsync-demo.iam.gserviceaccount.com"
CLIENT_ID = "110000000000000000001"
ADMIN = "it-admin@example.com"
SCOPE = "https://www.googleapis.com/auth/"
WRITES = ("spaces.members.create", "spaces.members.patch", "spaces.members.delete")


def demo_seed() -> dict[str, Any]:
    return dict(yaml.safe_load(DEMO_SEED.read_text(encoding="utf-8")))


@pytest.fixture
def tenant(emulator: Any) -> Callable[..., Any]:
    """``tenant(delegated=..., approved=..., token_creators=...)``: reseed the demo org with
    the Admin console's delegation list, the app's approvals or the signing grant changed."""

    def reseed(
        *,
        delegated: list[str] | None = None,
        approved: list[str] | None = None,
        token_creators: list[str] | None = None,
    ) -> Any:
        seed = copy.deepcopy(demo_seed())
        if delegated is not None:
            seed["domain_wide_delegation"] = {CLIENT_ID: delegated}
        if approved is not None:
            seed["app"]["approved_scopes"] = approved
        if token_creators is not None:
            seed["service_accounts"][0]["token_creators"] = token_creators
        emulator.reset(seed=seed)
        return emulator

    return reseed


@pytest.fixture
def real_env(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a deployment, pointed at the emulator: ADC from the runtime account's
    key file, the token endpoint and IAM at the emulator, no fixed token anywhere."""
    key = tmp_path / "runtime-key.json"
    key.write_text(json.dumps(emulator.service_account_key(RUNTIME)), encoding="utf-8")
    env = {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key),
        "CHATSYNC_TOKEN_URI": emulator.token_uri,
        "CHATSYNC_IAM_ENDPOINT": emulator.url,
        "CHATSYNC_SERVICE_ACCOUNT": RUNTIME,
        "CHATSYNC_ADMIN_SUBJECT": ADMIN,
        "CHATSYNC_CHAT_ENDPOINT": emulator.url,
        "CHATSYNC_DIRECTORY_ENDPOINT": emulator.url,
        "CHATSYNC_EVENTS_ENDPOINT": emulator.url,
        "CHATSYNC_RULES_FILE": str(DEMO_RULES),
        "CHATSYNC_ALLOW_DEMO_SPACES": "true",
        "CHATSYNC_ADMIN_SPACE": "spaces/AAAAchatsyncadmins",
        "CHATSYNC_STATE_BACKEND": "sqlite",
        "CHATSYNC_STATE_PATH": str(tmp_path / "state.sqlite3"),
    }
    for name in ("CHATSYNC_ACCESS_TOKEN", "CHATSYNC_DIRECTORY_TOKEN", "CHATSYNC_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def settings(real_env: dict[str, str]) -> Callable[..., Any]:
    """``settings(**overrides)``: Settings.from_env of the real environment."""
    from chatsync.app.settings import Settings

    return lambda **overrides: Settings.from_env(real_env, **overrides)


@pytest.fixture
def app(settings: Callable[..., Any]) -> Callable[..., Any]:
    """``app(**overrides)``: the pipeline exactly as the function builds it, in-memory state."""
    from chatsync.adapters.store import MemoryStore
    from chatsync.app.logs import Logger
    from chatsync.runtime import build_pipeline

    def build(**overrides: Any) -> Any:
        return build_pipeline(
            settings(**overrides), log=Logger(stream=io.StringIO()), store=MemoryStore()
        )

    return build


@pytest.fixture
def doctor(settings: Callable[..., Any]) -> Callable[..., Any]:
    """``doctor(**overrides)``: the preflight's checks, in process, with real credentials."""
    from chatsync.adapters.store import MemoryStore
    from chatsync.app import doctor as use_case
    from chatsync.runtime import build_doctor

    def run(**overrides: Any) -> list[Any]:
        return use_case.run(build_doctor(settings(**overrides), store=MemoryStore()))

    return run


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``chatsync ARGS`` in a fresh process with exactly the deployment's environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHATSYNC_")}
    return subprocess.run(
        [sys.executable, "-m", "chatsync.tools.cli", *args],
        capture_output=True,
        check=False,
        text=True,
        timeout=180,
        env={**clean, **env},
    )


def by_check(checks: list[Any], name: str) -> list[Any]:
    return [c for c in checks if c.check == name]


def writes(emulator: Any, since: int = 0) -> list[dict[str, Any]]:
    return [c for c in emulator.calls(since) if c["method"] in WRITES]
