"""Fixtures of the rules-as-code suite: the CLI on the demo emulator (the reconcile suite's
``cli``), edited copies of the demo rules, and a local stand-in for Cloud Storage's upload."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from tests.conftest import DEMO_RULES, DEMO_SEED
from tests.reconcile.conftest import cli, env  # noqa: F401  (the reconcile suite's fixtures)

ENGINEERING = "spaces/AAAAengineering"


def edited_rules(tmp_path: Path, *edits: tuple[str, str], name: str = "new-rules.yaml") -> str:
    """A copy of the demo rules with each (old, new) text replaced; every edit must apply."""
    text = DEMO_RULES.read_text()
    for old, new in edits:
        assert old in text, f"the demo rules no longer contain {old!r}"
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


NARROW_ENGINEERING = (
    "org_unit_path: {prefix: /Engineering}",
    "org_unit_path: {prefix: /Engineering/Platform}",
)
"""The one-word prefix change of issue 18: Engineering keeps only /Engineering/Platform."""


def seed_users() -> dict[str, dict[str, Any]]:
    """The demo org's Directory users by email, as the emulator seed declares them."""
    seed = yaml.safe_load(DEMO_SEED.read_text())
    return {u["email"]: u for u in seed["directory"]["users"]}


@dataclass
class FakeBucket:
    """Cloud Storage's simple upload, on loopback: records each request, answers as scripted."""

    url: str = ""
    uploads: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    """Answers for the next uploads, in order; 200 once they run out."""

    def documents(self) -> list[Any]:
        return [json.loads(u["body"]) for u in self.uploads if u["status"] == 200]


@pytest.fixture
def bucket() -> Iterator[FakeBucket]:
    fake = FakeBucket()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            status = fake.statuses.pop(0) if fake.statuses else 200
            fake.uploads.append(
                {
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "authorization": self.headers.get("Authorization", ""),
                    "content_type": self.headers.get("Content-Type", ""),
                    "body": self.rfile.read(length).decode(),
                    "status": status,
                }
            )
            answer = json.dumps({"kind": "storage#object"} if status == 200 else {"error": {}})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
