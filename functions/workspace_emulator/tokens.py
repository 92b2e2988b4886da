"""Access tokens the emulator's token endpoint issued, and what each one stands for.

A token is an opaque string (``ya29.`` followed by random characters, the prefix Google's
access tokens carry) mapped to a :class:`Grant`. Tokens live for an hour of the emulator's
clock (``advance`` can expire them; googleapiclient then refreshes on the 401) and are forgotten
on reset. What a grant may do is decided when it is used (:mod:`workspace_emulator.auth`), so a
changed seed (an admin approval withdrawn, a user suspended) applies at once.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

LIFETIME = 3600.0
"""Seconds an issued token is valid (``expires_in`` says 3599, as Google's answers do)."""
PREFIX = "ya29."


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token was issued for: a service account, possibly acting for a user (``subject``)."""

    account: str
    scopes: frozenset[str]
    subject: str | None
    expires: float


class TokenTable:
    """Issued tokens; thread-safe. *clock* is the emulator's clock (epoch seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, account: str, scopes: frozenset[str], subject: str | None) -> str:
        """A new token for *account* (and *subject*) with *scopes*."""
        token = PREFIX + "emu-" + secrets.token_urlsafe(32)
        grant = Grant(account, scopes, subject, self._clock() + LIFETIME)
        with self._lock:
            self._grants[token] = grant
        return token

    def find(self, token: str) -> Grant | None:
        """The grant behind *token*, expired or not; None for a token never issued."""
        with self._lock:
            return self._grants.get(token)

    def expired(self, grant: Grant) -> bool:
        """Whether *grant* is past its lifetime on the emulator's clock."""
        return grant.expires <= self._clock()

    def clear(self) -> None:
        """Forget every token (reset)."""
        with self._lock:
            self._grants.clear()
