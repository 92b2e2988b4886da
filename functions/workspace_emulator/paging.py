"""Opaque page tokens bound to the parameters of the first request.

Google says every other parameter must stay identical while paging; the emulator takes the strict
reading and answers 400 INVALID_ARGUMENT when they differ.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TypeVar

from workspace_emulator import errors

T = TypeVar("T")


def _fingerprint(params: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(params.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def page(
    items: Sequence[T], *, size: int, token: str | None, params: Mapping[str, str], field: str
) -> tuple[list[T], str | None]:
    """One page of *items* and the token for the next one (None on the last page)."""
    offset = 0
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset = int(decoded["o"])
            bound = str(decoded["p"])
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.invalid("Invalid page token.", field="pageToken") from exc
        if bound != _fingerprint(params):
            msg = "The page token does not match the other parameters of the original request."
            raise errors.invalid(msg, field=field)
    chunk = list(items[offset : offset + size])
    if offset + size >= len(items):
        return chunk, None
    raw = json.dumps({"o": offset + size, "p": _fingerprint(params)}).encode()
    return chunk, base64.urlsafe_b64encode(raw).decode()


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
