"""What an API handler receives and returns: :class:`Request`, :class:`Reply`, :class:`World`.

Handlers are plain functions ``(world, request) -> Reply`` that raise
:class:`~workspace_emulator.errors.ApiError` to refuse; :mod:`workspace_emulator.server` does the
HTTP, the call log, faults and quotas around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workspace_emulator import auth, errors

Answer = tuple[int, dict[str, str], Any]
"""What the emulator answers an HTTP request: status, extra headers, JSON body."""

if TYPE_CHECKING:
    from workspace_emulator import events, keys, paging, tokens
    from workspace_emulator import store as st


@dataclass(frozen=True, slots=True)
class Request:
    """One API call, decoded: path parameters, query, JSON body and the caller."""

    method: str
    params: tuple[str, ...]
    query: Mapping[str, str]
    body: Mapping[str, Any] | None
    caller: auth.Caller

    def flag(self, name: str) -> bool:
        """A boolean query parameter; anything but true/false (any case, or 1/0) is 400."""
        raw = self.query.get(name)
        if raw is None:
            return False
        lowered = raw.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise errors.invalid(f"Invalid value for {name}: {raw!r}.", field=name)

    def json(self) -> Mapping[str, Any]:
        """The JSON body, or 400 when absent or not an object."""
        if not isinstance(self.body, Mapping):
            raise errors.invalid("Request body must be a JSON object.")
        return self.body


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer."""

    body: Mapping[str, Any] | list[Any]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class World:
    """The mutable state handlers act on. ``store`` is swapped by reset.

    ``tokens`` are the access tokens the token endpoint issued (cleared by reset), ``keys`` the
    service accounts' signing keys (kept), ``pager`` seals page tokens.
    """

    store: st.Store
    events: events.Events
    tokens: tokens.TokenTable
    keys: keys.KeyRing
    pager: paging.Pager

    def now(self) -> float:
        """The emulator's clock, in seconds since the Unix epoch (moved by ``advance``)."""
        return self.events.clock()
