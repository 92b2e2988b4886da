"""The emulator without the socket: state, call log, faults, quotas and request dispatch.

:class:`Emulator.dispatch` takes one HTTP request for a Google API or the token endpoint
(method, raw path, headers, body) and returns ``(status, headers, json_body)``;
:mod:`workspace_emulator.endpoints` sends control requests elsewhere and
:mod:`workspace_emulator.server` only moves bytes. Order of checks for an API call: route (404)
→ modelled latency → injected fault → authentication (401) → query parameters (400) → quota
(429) → the method's own rules. ``POST /token`` (:mod:`workspace_emulator.oauth_api`) has no
faults, latency or quota.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from workspace_emulator import (
    auth,
    errors,
    events,
    faults,
    handling,
    keys,
    lifecycle,
    memberships,
    oauth_api,
    paging,
    quotas,
    resources,
    routes,
    seeding,
    tokens,
)
from workspace_emulator import store as st

Answer = handling.Answer


class Emulator:
    """One emulated Workspace: directory, spaces, memberships, and the knobs tests turn."""

    def __init__(
        self,
        seed: Mapping[str, Any] | str | Path | None = None,
        *,
        time_scale: float = 1.0,
        quotas_enabled: bool = True,
        latency_ms: float = 0.0,
        retry_hints: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.original_seed = seeding.read(seed)
        self.clock = quotas.ScaledClock(1.0)
        self.clock.set_scale(time_scale)
        self.world = handling.World(
            seeding.load(self.original_seed),
            events.Events(self.clock.epoch),
            tokens.TokenTable(self.clock.epoch),
            keys.KeyRing(),
            paging.Pager(),
        )
        self.quotas = quotas.Quotas(self.clock, enabled=quotas_enabled)
        self.faults = faults.Faults()
        self.latency_ms = 0.0
        self.retry_hints = retry_hints
        self.set_latency(latency_ms)
        self._sleep = sleep
        self._calls: list[dict[str, Any]] = []
        self._calls_lock = threading.Lock()

    # -- the Python API behind EmulatorServer ---------------------------------------------------

    def reset(self, seed: Mapping[str, Any] | str | Path | None = None) -> None:
        """Reload *seed* (or the original one); clear calls, faults, events and quota use.

        The emulator's clock goes back to the wall clock (undoing :meth:`advance`); issued access
        tokens are forgotten (signing keys are kept). Configuration (time scale, quotas on or
        off, latency, retry hints) stays as it is.
        """
        raw = seeding.read(seed) if seed is not None else self.original_seed
        self.world.store = seeding.load(raw)
        self.world.tokens.clear()
        self.world.events.clear()
        self.clock.resync()
        self.faults.clear()
        self.quotas.reset()
        with self._calls_lock:
            self._calls.clear()

    def state(self) -> dict[str, Any]:
        """Every space with its memberships, and the directory."""
        return seeding.snapshot(self.world.store)

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        """The API call log from index *since* on."""
        with self._calls_lock:
            return [dict(c) for c in self._calls[since:]]

    def events(self) -> list[dict[str, Any]]:
        """Every emitted Workspace Events message, after sending any lifecycle event now due."""
        lifecycle.tick(self.world.events)
        return self.world.events.messages()

    def advance(self, seconds: float) -> float:
        """Move the emulator's clock *seconds* ahead; send what became due; return the time.

        Lifecycle events (reminders, expiry) fire in time order, open event batches close, and
        quota buckets refill as if the time had passed.
        """
        self.clock.advance(seconds)
        self.world.events.close_batches()
        lifecycle.tick(self.world.events)
        return self.clock.epoch()

    def suspend_subscription(
        self, name: str, reason: str = "ENDPOINT_PERMISSION_DENIED"
    ) -> dict[str, Any]:
        """Suspend a subscription as Google does when delivery fails; sends ``suspended``."""
        return lifecycle.suspend(self.world.events, name, reason)

    def set_time_scale(self, scale: float) -> None:
        """Make quota time run *scale* times faster than the wall clock."""
        self.clock.set_scale(scale)

    def set_latency(self, latency_ms: float) -> None:
        """Every API call waits *latency_ms* milliseconds first (0 = none), faults or not."""
        if latency_ms < 0:
            msg = f"latency_ms must not be negative, got {latency_ms}"
            raise ValueError(msg)
        self.latency_ms = float(latency_ms)

    def messages(self, space: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with spaces.messages.create (one space or all), space by space,
        oldest first within each."""
        store = self.world.store
        with store.lock:
            return [
                resources.message(store, s, m)
                for s in store.spaces.values()
                if space is None or s.name == space
                for m in s.messages
            ]

    def service_account_key(self, email: str, base_url: str) -> dict[str, Any]:
        """A JSON key file for a seeded service account; ``token_uri`` is *base_url* + token."""
        with self.world.store.lock:
            return oauth_api.key_file(self.world, email, base_url=base_url)

    def manual_change(
        self,
        space: str,
        user: str,
        action: str,
        role: str | None = None,
        actor: str = "user:admin",
    ) -> dict[str, Any]:
        """Change a membership as a person would in the Chat UI (no API rules, no quota)."""
        store = self.world.store
        with store.lock:
            target = store.spaces.get(space)
            if target is None:
                raise errors.not_found(f"Space {space} not found.")
            person = store.person_for_email(user) if "@" in user else store.people.get(user)
            if person is None:
                raise errors.not_found(f"User {user} not found.")
            current = target.memberships.get(person.id)
            result: dict[str, Any] = {"action": action, "actor": actor, "space": space}
            if action == "add":
                if current is not None or store.covering_group(target, person.email):
                    raise errors.already_exists(f"{user} is already a member of {space}.")
                wanted = _role(role or "member", target)
                state: st.State = (
                    "INVITED" if person.external or not person.auto_accept else "JOINED"
                )
                added = st.Membership(person.id, "HUMAN", wanted, state, st.now_rfc3339())
                memberships.add(self.world, target, added, source="manual")
                result["membership"] = resources.membership(store, target, added, for_app=True)
            elif action in ("remove", "role"):
                if current is None:
                    raise errors.not_found(f"{user} is not a member of {space}.")
                sole = current.role == "ROLE_MANAGER" and len(target.joined_owners()) == 1
                if action == "remove":
                    if sole:
                        raise errors.precondition("The only owner of a space cannot be removed.")
                    memberships.remove(self.world, target, current, source="manual")
                    result["membership"] = resources.removed(target, person.id)
                else:
                    wanted = _role(role or "", target)
                    if sole and wanted != "ROLE_MANAGER":
                        raise errors.precondition("The only owner of a space cannot be demoted.")
                    changed = memberships.set_role(
                        self.world, target, current, wanted, source="manual"
                    )
                    result["membership"] = resources.membership(
                        store, target, changed, for_app=True
                    )
            else:
                raise errors.invalid(f"action must be add, remove or role, not {action!r}.")
            return result

    # -- HTTP -----------------------------------------------------------------------------------

    def dispatch(
        self, http_method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        """Answer one API or token request (*headers* keyed in lower case)."""
        split = urllib.parse.urlsplit(raw_path)
        segments = [urllib.parse.unquote(s) for s in split.path.strip("/").split("/")]
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        entry: dict[str, Any] = {"method": "unknown", "http_method": http_method}
        entry |= {"path": split.path, "status": 0, "caller": ""}
        if (http_method, segments) == ("POST", ["token"]):
            entry["method"] = "oauth2.token"
            entry["account"] = oauth_api.asker(body)
            base_url = f"http://{headers.get('host', '127.0.0.1')}/"
            status, payload = oauth_api.token(self.world, body, base_url=base_url)
            self._log(entry, status)
            return status, {"Cache-Control": "no-store"}, payload
        found = routes.find(http_method, segments)
        if found is None:
            error = errors.not_found(f"The requested URL {split.path} was not found.")
            return self._answer_error(entry, error)
        route, params = found
        entry["method"] = route.method
        lifecycle.tick(self.world.events)
        if self.latency_ms > 0:
            entry["latency_ms"] = self.latency_ms
            self._sleep(self.latency_ms / 1000)
        fault = self.faults.take(route.method)
        if fault is not None:
            entry["fault"] = True
            if fault.delay > 0:
                self._sleep(fault.delay)
            injected = fault.error(route.method, scale=self.clock.scale)
            if injected is not None:
                return self._answer_error(entry, injected)
        try:
            caller = auth.parse(headers.get("authorization"), self.world.store, self.world.tokens)
            entry["caller"] = caller.label
            if caller.account is not None:
                entry["account"] = caller.account
            unknown = sorted(set(query) - route.params - routes.STANDARD_PARAMS)
            if unknown:
                raise errors.invalid(
                    f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot bind '
                    "query parameter. Field could not be found in request message.",
                    field=unknown[0],
                )
            parsed_body = _json_body(body)
            space = params[route.space_param] if route.space_param is not None else None
            self.quotas.charge(route.method, space)
            request = handling.Request(route.method, params, query, parsed_body, caller)
            reply = route.handler(self.world, request)
        except errors.ApiError as error:
            return self._answer_error(entry, error)
        self._log(entry, reply.status)
        return reply.status, dict(reply.headers), reply.body

    def _answer_error(self, entry: dict[str, Any], error: errors.ApiError) -> Answer:
        if error.code == 429 and not self.retry_hints:
            error = errors.without_retry_hints(error)
        self._log(entry, error.code)
        return error.code, dict(error.headers), error.body()

    def _log(self, entry: dict[str, Any], status: int) -> None:
        entry["status"] = status
        entry["time"] = time.time()
        with self._calls_lock:
            self._calls.append(entry)


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise errors.invalid(f"Invalid JSON payload received: {exc}.") from exc


def _role(raw: str, space: st.Space) -> st.Role:
    role = seeding.SEED_ROLES.get(raw.lower())
    if role is None:
        raise errors.invalid(f"role must be owner, manager or member (or an enum), not {raw!r}.")
    if role != "ROLE_MEMBER" and space.space_type != "SPACE":
        raise errors.invalid("Only spaces of type SPACE have owners and managers.")
    return role
