"""Structured JSON log lines fit for Cloud Logging: one line per decision, with ``severity``.

Every applied or skipped change is one record carrying the event id, person, space, role before
and after, and the rule that decided it. Tokens never reach a log line; emails are replaced by a
salted hash when ``CHATSYNC_HASH_EMAILS`` is on.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)(bearer\s+|access_token=|token=)[^\s&\"',;]+")
_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


def redact(text: str) -> str:
    """Remove anything shaped like a bearer token or token parameter."""
    return _BEARER.sub(r"\1[redacted]", text)


class Logger:
    """Writes JSON lines to ``stream``; ``sink`` (tests, the demo) sees each record as a dict."""

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        level: str = "INFO",
        hash_emails: bool = False,
        salt: str = "chatsync",
        sink: Callable[[dict[str, Any]], None] | None = None,
        fmt: str = "json",
        secrets: tuple[str, ...] = (),
        **bound: Any,
    ) -> None:
        self.stream = stream
        self.secrets = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))
        """Literal values (configured tokens) masked wherever they appear, whatever their shape."""
        self.fmt = fmt
        self.level = _LEVELS.get(level, 20)
        self.hash_emails = hash_emails
        self.salt = salt
        self.sink = sink
        self.bound = bound

    def bind(self, **fields: Any) -> Logger:
        return Logger(
            stream=self.stream,
            level=_name(self.level),
            hash_emails=self.hash_emails,
            salt=self.salt,
            sink=self.sink,
            fmt=self.fmt,
            secrets=self.secrets,
            **{**self.bound, **fields},
        )

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = redact(text)
        if self.hash_emails:
            text = _EMAIL.sub(
                lambda m: (
                    "email:"
                    + hashlib.sha256((self.salt + m.group(0).lower()).encode()).hexdigest()[:16]
                ),
                text,
            )
        return text

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._mask(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._clean(v) for v in value]
        return value

    def log(self, severity: str, message: str, **fields: Any) -> None:
        if _LEVELS.get(severity, 20) < self.level:
            return
        record = {
            "severity": severity,
            "message": message,
            "time": time.time(),
            **self.bound,
            **fields,
        }
        record = {k: self._clean(v) for k, v in record.items()}
        if self.sink is not None:
            self.sink(record)
        stream = self.stream if self.stream is not None else sys.stdout
        line = text_line(record) if self.fmt == "text" else json.dumps(record, default=str)
        stream.write(line + "\n")
        stream.flush()

    def debug(self, message: str, **fields: Any) -> None:
        self.log("DEBUG", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("INFO", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.log("WARNING", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("ERROR", message, **fields)


def _name(level: int) -> str:
    return next((k for k, v in _LEVELS.items() if v == level), "INFO")


_QUIET = frozenset(
    {
        "severity",
        "message",
        "time",
        "entry_point",
        "message_id",
        "event_id",
        "event_type",
        "person",
        "space",
        "action",
        "role_before",
        "role_after",
        "rule",
        "outcome",
        "run_id",
        "attempts",
        "reason",
    }
)


def text_line(record: dict[str, Any]) -> str:
    """A short human form of a record: ``INFO  add x to spaces/S as member  [rule 'r' ...]``."""
    severity = str(record.get("severity", "INFO"))
    parts = [f"{severity:<7} {record.get('message', '')}"]
    rules = record.get("rule")
    if rules:
        parts.append("  [" + "; ".join(str(r) for r in rules) + "]")
    extra = {k: v for k, v in record.items() if k not in _QUIET}
    if extra:
        parts.append("  " + " ".join(f"{k}={v}" for k, v in extra.items()))
    return "".join(parts)
