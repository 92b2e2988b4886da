"""The scope table (``functions/chatsync/scopes.json``) as values: which token each call uses.

One file says, for every Google API method chatsync calls and each auth mode (``admin`` |
``app``), which *credential set* the call uses; a credential set is one token: its principal
(``delegated``: domain-wide delegation impersonating the admin subject; ``app``: the runtime
service account acting as the Chat app) and its scopes. The code builds one credentials object
per set from this table (``adapters.credentials``), Terraform reads the same file for its
outputs, and the README's setup steps are tested against it, so what the admin allows is what
the code asks for. A call to a method the table does not list is refused before it is sent.

Why one set per scope for delegation: Google accepts a call whose token carries any one scope
the method lists, but chatsync keeps each token's scopes within what its methods accept (a test
compares every set with the bundled discovery documents), so a set never asks for more than
the calls that use it need. Sources: developers.google.com/workspace/chat/authenticate-authorize,
developers.google.com/workspace/chat/admin-privileges (useAdminAccess with chat.admin.*),
developers.google.com/workspace/events/guides/auth (no chat.admin.* scope for Workspace Events).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

SCOPE_URL = "https://www.googleapis.com/auth/"
TABLE = Path(__file__).resolve().parents[1] / "scopes.json"
"""The packaged table (shipped with the function)."""

MODES = ("admin", "app")
PRINCIPALS = ("delegated", "app")

Principal = Literal["delegated", "app"]


class ScopeTableError(ValueError):
    """The table does not load; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class CredentialSet:
    """One token: who it acts as and with which scopes."""

    name: str
    principal: Principal
    scopes: tuple[str, ...]
    """Short names, e.g. ``chat.admin.memberships``."""
    why: str = ""
    optional: bool = False
    """Only ``chatsync doctor`` uses it, and only to check more; syncing never needs it."""

    @property
    def urls(self) -> tuple[str, ...]:
        """The scopes as OAuth asks for them (``https://www.googleapis.com/auth/...``)."""
        return tuple(SCOPE_URL + s for s in self.scopes)

    @property
    def delegated(self) -> bool:
        return self.principal == "delegated"

    @property
    def approval(self) -> tuple[str, ...]:
        """Scopes an admin must approve once for the Chat app (every ``chat.app.*``)."""
        return (
            tuple(s for s in self.scopes if s.startswith("chat.app.")) if not self.delegated else ()
        )


@dataclass(frozen=True, slots=True)
class PreflightCheck:
    """A read only ``chatsync doctor`` makes: the API method, and its set per mode (None: the
    check does not run in that mode)."""

    method: str
    sets: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class ScopeTable:
    """Credential sets, and the set each method uses per auth mode."""

    sets: Mapping[str, CredentialSet]
    methods: Mapping[str, Mapping[str, str]]
    """API method id (``chat.spaces.members.get``) -> auth mode -> credential set name."""
    preflight: Mapping[str, PreflightCheck]
    """Doctor's own reads, by check name."""
    source: str = str(TABLE)

    def set_for(self, method: str, mode: str) -> CredentialSet:
        """The credential set ``method`` uses in ``mode``; ``KeyError`` naming the method if the
        table does not list it (the call must not be made)."""
        try:
            return self.sets[self.methods[method][mode]]
        except KeyError:
            raise KeyError(
                f"{self.source}: methods: no credential set for {method!r} in auth mode "
                f"{mode!r}; add the method to the table before calling it"
            ) from None

    def preflight_set(self, check: str, mode: str) -> CredentialSet | None:
        """The set doctor's ``check`` reads with in ``mode`` (None: not checked in that mode)."""
        name = self.preflight[check].sets[mode]
        return None if name is None else self.sets[name]

    def used(self, mode: str, *, preflight: bool = False) -> tuple[CredentialSet, ...]:
        """Every set a method uses in ``mode`` (and, with ``preflight``, doctor's too), by name."""
        names = {per_mode[mode] for per_mode in self.methods.values()}
        if preflight:
            names |= {n for c in self.preflight.values() if (n := c.sets[mode]) is not None}
        return tuple(self.sets[n] for n in sorted(names))

    def delegated_scopes(self, mode: str) -> tuple[str, ...]:
        """What the Admin console's domain-wide delegation entry must allow in ``mode``."""
        return tuple(sorted({s for c in self.used(mode) if c.delegated for s in c.scopes}))

    def approval_scopes(self, mode: str, *, optional: bool = False) -> tuple[str, ...]:
        """The ``chat.app.*`` scopes an admin approves once for the Chat app in ``mode``
        (``optional``: only the sets only doctor uses)."""
        if optional:
            sets = [c for c in self.used(mode, preflight=True) if c.optional]
        else:
            sets = [c for c in self.used(mode) if not c.optional]
        return tuple(sorted({s for c in sets for s in c.approval}))

    def methods_of(self, set_name: str, mode: str) -> tuple[str, ...]:
        """The methods that use ``set_name`` in ``mode`` (doctor names them in a failure)."""
        found = {m for m, per_mode in self.methods.items() if per_mode.get(mode) == set_name}
        found |= {c.method for c in self.preflight.values() if c.sets.get(mode) == set_name}
        return tuple(sorted(found))


def parse(data: Any, *, source: str = str(TABLE)) -> ScopeTable:
    """The table from its JSON; ``ScopeTableError`` naming ``source`` and the field."""

    def fail(field: str, problem: str) -> ScopeTableError:
        return ScopeTableError(f"{source}: {field}: {problem}")

    if not isinstance(data, Mapping):
        raise fail("(top)", "expected an object with credentials and methods")
    raw_sets = data.get("credentials")
    if not isinstance(raw_sets, Mapping) or not raw_sets:
        raise fail("credentials", "expected a non-empty object of credential sets")
    sets: dict[str, CredentialSet] = {}
    for name, raw in raw_sets.items():
        where = f"credentials.{name}"
        if not isinstance(raw, Mapping):
            raise fail(where, "expected an object with principal and scopes")
        principal = raw.get("principal")
        if principal not in PRINCIPALS:
            raise fail(f"{where}.principal", f"expected one of {', '.join(PRINCIPALS)}")
        scopes = raw.get("scopes")
        if (
            not isinstance(scopes, list)
            or not scopes
            or not all(isinstance(s, str) and s and "/" not in s for s in scopes)
        ):
            raise fail(f"{where}.scopes", "expected short scope names, e.g. chat.bot")
        sets[str(name)] = CredentialSet(
            name=str(name),
            principal=principal,
            scopes=tuple(scopes),
            why=str(raw.get("why", "")),
            optional=bool(raw.get("optional", False)),
        )
    methods = _section(data, "methods", sets, fail)
    preflight = _preflight(data, sets, methods, fail)
    for method, per_mode in methods.items():
        for mode, name in per_mode.items():
            if sets[name].optional:
                raise fail(f"methods.{method}.{mode}", f"{name!r} is optional: doctor only")
    return ScopeTable(sets=sets, methods=methods, preflight=preflight, source=source)


def _preflight(
    data: Mapping[str, Any],
    sets: Mapping[str, CredentialSet],
    methods: Mapping[str, Any],
    fail: Any,
) -> dict[str, PreflightCheck]:
    raw = data.get("preflight") or {}
    if not isinstance(raw, Mapping):
        raise fail("preflight", "expected an object of doctor's checks")
    out: dict[str, PreflightCheck] = {}
    for check, entry in raw.items():
        where = f"preflight.{check}"
        if not isinstance(entry, Mapping) or set(entry) != {"method", *MODES}:
            raise fail(where, f"expected method and the auth modes {', '.join(MODES)}")
        method = entry["method"]
        if method not in methods:
            raise fail(f"{where}.method", f"{method!r} is not one of the table's methods")
        for mode in MODES:
            name = entry[mode]
            if name is not None and name not in sets:
                raise fail(f"{where}.{mode}", f"{name!r} is not a credential set (or null)")
        out[str(check)] = PreflightCheck(str(method), {m: entry[m] for m in MODES})
    return out


def _section(
    data: Mapping[str, Any], key: str, sets: Mapping[str, CredentialSet], fail: Any
) -> dict[str, dict[str, str]]:
    raw = data.get(key)
    if not isinstance(raw, Mapping) or not raw:
        raise fail(key, "expected an object of API method ids")
    out: dict[str, dict[str, str]] = {}
    for method, per_mode in raw.items():
        where = f"{key}.{method}"
        if not isinstance(per_mode, Mapping) or set(per_mode) != set(MODES):
            raise fail(where, f"expected exactly the auth modes {', '.join(MODES)}")
        for mode, name in per_mode.items():
            if name not in sets:
                raise fail(f"{where}.{mode}", f"{name!r} is not a credential set")
        out[str(method)] = {str(mode): str(name) for mode, name in per_mode.items()}
    return out


@cache
def load(path: str = str(TABLE)) -> ScopeTable:
    """The table at ``path`` (default: the packaged one), parsed once per process."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScopeTableError(f"{path}: cannot be read as JSON: {exc}") from exc
    return parse(data, source=path)
