"""Control endpoints under ``/emulator/v1/`` (no authentication): state, reset, faults, calls,
manual-change, events, config, advance, suspend-subscription, messages, service-account-key.
Errors use the same Google JSON shape as the API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workspace_emulator import errors, events
from workspace_emulator.emulator import Emulator
from workspace_emulator.handling import Answer


def handle(
    emu: Emulator,
    http_method: str,
    path: list[str],
    query: Mapping[str, str],
    body: bytes,
    *,
    base_url: str,
) -> Answer:
    """Answer one control request; *base_url* is the emulator's URL (for key files)."""
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        return _error(errors.invalid("Control request bodies must be JSON."))
    if not isinstance(payload, dict):
        return _error(errors.invalid("Control request bodies must be JSON objects."))
    key = (http_method, "/".join(path))
    try:
        return 200, {}, _route(emu, key, query, payload, base_url)
    except errors.ApiError as error:
        return _error(error)
    except (ValueError, TypeError, KeyError) as exc:
        return _error(errors.invalid(f"Bad control request: {exc!r}."))


def _error(error: errors.ApiError) -> Answer:
    return error.code, dict(error.headers), error.body()


def _route(
    emu: Emulator,
    key: tuple[str, str],
    query: Mapping[str, str],
    payload: dict[str, Any],
    base_url: str,
) -> Any:
    match key:
        case ("GET", "state"):
            return emu.state()
        case ("POST", "reset"):
            emu.reset(payload or None)
            return {"reset": True}
        case ("GET", "calls"):
            return emu.calls(int(query.get("since", "0")))
        case ("GET", "events"):
            return emu.events()
        case ("POST", "advance"):
            now = emu.advance(float(payload.get("seconds", 0)))
            return {"now": events.stamp(now)}
        case ("POST", "suspend-subscription"):
            return emu.suspend_subscription(
                str(payload["subscription"]),
                str(payload.get("reason", "ENDPOINT_PERMISSION_DENIED")),
            )
        case ("GET", "faults"):
            return emu.faults.describe()
        case ("POST", "faults"):
            _faults(emu, payload)
            return emu.faults.describe()
        case ("POST", "manual-change"):
            return emu.manual_change(
                str(payload["space"]),
                str(payload["user"]),
                str(payload["action"]),
                payload.get("role"),
                str(payload.get("actor", "user:admin")),
            )
        case ("GET", "messages"):
            return emu.messages(query.get("space"))
        case ("POST", "service-account-key"):
            return emu.service_account_key(str(payload["email"]), base_url)
        case ("GET", "config"):
            return _config(emu)
        case ("POST", "config"):
            if "time_scale" in payload:
                emu.set_time_scale(float(payload["time_scale"]))
            if "quotas" in payload:
                emu.quotas.enabled = bool(payload["quotas"])
            if "latency_ms" in payload:
                emu.set_latency(float(payload["latency_ms"]))
            if "retry_hints" in payload:
                emu.retry_hints = bool(payload["retry_hints"])
            sinks = {
                k: payload[k]
                for k in (
                    "pubsub_topic",
                    "push_url",
                    "emit_for_api_writes",
                    "coalesce",
                    "batch_window",
                )
                if k in payload
            }
            emu.world.events.configure(**sinks)
            return _config(emu)
    raise errors.not_found(f"No control endpoint {key[0]} /emulator/v1/{key[1]}.")


def _faults(emu: Emulator, payload: Mapping[str, Any]) -> None:
    """``{"clear": true}``, a scripted fault, ``{"scripted": [...]}``, ``{"random": {...}}``."""
    if payload.get("clear"):
        emu.faults.clear()
    scripted = list(payload.get("scripted") or [])
    if "method" in payload:
        scripted.append(payload)
    for item in scripted:
        retry_after = item.get("retry_after")
        emu.faults.fail_next(
            str(item["method"]),
            int(item.get("n", 1)),
            status=int(item.get("status", 503)),
            delay=float(item.get("delay", 0.0)),
            retry_after=None if retry_after is None else float(retry_after),
        )
    chance = payload.get("random")
    if chance:
        seed = chance.get("seed")
        emu.faults.set_random(
            float(chance["rate"]),
            statuses=tuple(int(s) for s in chance.get("statuses", (429, 500, 503))),
            latency=float(chance.get("latency", 0.0)),
            methods=tuple(chance.get("methods", ("*",))),
            seed=None if seed is None else int(seed),
        )


def _config(emu: Emulator) -> dict[str, Any]:
    return {
        **emu.world.events.describe(),
        "time_scale": emu.clock.scale,
        "quotas": emu.quotas.enabled,
        "latency_ms": emu.latency_ms,
        "retry_hints": emu.retry_hints,
        "now": events.stamp(emu.clock.epoch()),
    }
