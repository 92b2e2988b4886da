"""List order and opaque page tokens bound to the parameters of the first request.

Order: Google documents no order for most lists (members, spaces, subscriptions, directory
users without ``orderBy``), and where it documents one (``spaceEvents`` oldest first) equal keys
are left open. :func:`arrange` sorts by the documented key, if any, then by a hash of the seed's
``order_seed`` and each item's name, so a client that relies on an accidental order sees it
change when the seed value changes, while paging through one list stays consistent.

Tokens: a page token is the position of the next page and a fingerprint of the other request
parameters, encrypted and authenticated (AES-GCM) with a key only this emulator holds, so it is
not a readable offset and cannot be forged. Google says every other parameter must stay the same
while paging; the emulator takes the strict reading and answers 400 INVALID_ARGUMENT when they
differ (reference §3.3), and 400 for a token it did not issue.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workspace_emulator import errors

T = TypeVar("T")
_NONCE = 12


def arrange(
    items: Iterable[T],
    *,
    name: Callable[[T], str],
    seed: int,
    key: Callable[[T], Any] | None = None,
) -> list[T]:
    """*items* sorted by *key* (when the API documents an order), ties by hash(seed, name)."""

    def tie(item: T) -> str:
        return hashlib.sha256(f"{seed}:{name(item)}".encode()).hexdigest()

    if key is None:
        return sorted(items, key=tie)
    documented = key
    return sorted(items, key=lambda item: (documented(item), tie(item)))


def _fingerprint(params: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(params.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class Pager:
    """Cuts lists into pages and seals the tokens; one per emulator (its key never leaves)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._aead = AESGCM(key if key is not None else AESGCM.generate_key(bit_length=128))

    def _seal(self, offset: int, params: Mapping[str, str]) -> str:
        nonce = os.urandom(_NONCE)
        plain = json.dumps({"o": offset, "p": _fingerprint(params)}).encode()
        sealed = nonce + self._aead.encrypt(nonce, plain, None)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def _open(self, token: str) -> tuple[int, str]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], None)
            decoded = json.loads(plain)
            return int(decoded["o"]), str(decoded["p"])
        except (ValueError, KeyError, TypeError, InvalidTag) as exc:
            raise errors.invalid("Invalid page token.", field="pageToken") from exc

    def page(
        self,
        items: Sequence[T],
        *,
        size: int,
        token: str | None,
        params: Mapping[str, str],
        field: str,
    ) -> tuple[list[T], str | None]:
        """One page of *items* and the token for the next one (None on the last page)."""
        offset = 0
        if token:
            offset, bound = self._open(token)
            if bound != _fingerprint(params):
                msg = "The page token does not match the other parameters of the original request."
                raise errors.invalid(msg, field=field)
        chunk = list(items[offset : offset + size])
        if offset + size >= len(items):
            return chunk, None
        return chunk, self._seal(offset + size, params)


def page_size(raw: str | None, *, default: int, maximum: int, field: str = "pageSize") -> int:
    """Parse a page size: default when absent, clamped to *maximum*, negative → 400."""
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError as exc:
        raise errors.invalid(f"Invalid value for {field}: {raw!r}.", field=field) from exc
    if size < 0:
        raise errors.invalid(f"{field} must not be negative.", field=field)
    if size == 0:
        return default
    return min(size, maximum)
