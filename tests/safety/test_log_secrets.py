"""The logger masks configured secrets literally, in messages and nested fields, after bind."""

from __future__ import annotations

import io
import json

from chatsync.app.logs import Logger


def test_configured_secrets_are_masked_everywhere() -> None:
    """Whatever shape the token has, it never reaches the stream or the sink."""
    secret = "app;scopes=x,zz-canary-1"
    out = io.StringIO()
    seen: list[dict[str, object]] = []
    log = Logger(stream=out, sink=seen.append, secrets=(secret, "")).bind(run="r")
    log.error(f"call failed: Invalid token {secret!r}", detail={"body": [f"token={secret}"]})
    assert secret not in out.getvalue()
    assert "zz-canary-1" not in json.dumps(seen)
    assert "[redacted]" in out.getvalue()


def test_short_or_empty_secrets_are_ignored() -> None:
    """An unset token (empty) or a trivial one does not blank out ordinary text."""
    out = io.StringIO()
    Logger(stream=out, secrets=("", "app")).info("app added alice")
    assert "app added alice" in out.getvalue()
