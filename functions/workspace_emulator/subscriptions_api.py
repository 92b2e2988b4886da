"""A minimal Workspace Events API v1: ``subscriptions`` create/get/list/patch/delete/reactivate.

Enough to test a renewal job and to route membership events (see
:mod:`workspace_emulator.events`). Subscriptions expire on the emulator's clock (the wall clock
unless scaled or advanced): at most 4 h with resource data in the payload, 7 days without;
``ttl`` ``0s`` or unset means the maximum, a longer ``ttl`` is 400 (strict). Expired
subscriptions are gone (404); lifecycle events are in :mod:`workspace_emulator.lifecycle`.
Mutations answer a completed Operation. One subscription per target per caller (409
ALREADY_EXISTS). Batch event types cannot be subscribed to (400, strict: they are delivered
with their plain type).

Scopes are the discovery document's (:data:`workspace_emulator.scopes.EVENTS_WRITE` for create,
patch and reactivate: user Chat scopes and ``chat.app.*``, not ``chat.bot``;
:data:`~workspace_emulator.scopes.EVENTS_READ` for list, get and delete: ``chat.bot`` and user
Chat scopes, no ``chat.app.*``; no ``chat.admin.*`` anywhere). Creating or patching a
subscription to membership events also needs a memberships scope
(:data:`~workspace_emulator.scopes.MEMBERSHIP_EVENTS`).
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from workspace_emulator import auth, errors, events, handling, lifecycle, paging
from workspace_emulator import scopes as sc

_TOPIC = re.compile(r"^projects/[^/]+/topics/[^/]+$")
_TTL = re.compile(r"^(\d+)(?:\.\d+)?s$")
_FILTER_TYPE = re.compile(r'event_types\s*:\s*"([^"]+)"')
_FILTER_TARGET = re.compile(r'target_resource\s*=\s*"([^"]+)"')
WITH_RESOURCE_MAX = 4 * 3600.0
NAME_ONLY_MAX = 7 * 24 * 3600.0
SUBSCRIPTION_TYPE = "type.googleapis.com/google.apps.events.subscriptions.v1.Subscription"


def _operation(response: dict[str, Any], type_url: str = SUBSCRIPTION_TYPE) -> handling.Reply:
    return handling.Reply(
        {
            "name": f"operations/{uuid.uuid4().hex}",
            "done": True,
            "response": {"@type": type_url, **response},
        }
    )


def _maximum(sub: dict[str, Any]) -> float:
    include = bool((sub.get("payloadOptions") or {}).get("includeResource", False))
    return WITH_RESOURCE_MAX if include else NAME_ONLY_MAX


def _expiry(body: Any, sub: dict[str, Any], now: float) -> float:
    """Absolute expiry for a ``ttl`` (or ``expireTime``) in *body*; unset/0 → the maximum."""
    maximum = _maximum(sub)
    ttl = str(body.get("ttl", "") or "")
    if ttl:
        match = _TTL.match(ttl)
        if match is None:
            raise errors.invalid(f"Invalid ttl {ttl!r}.", field="ttl")
        seconds = float(ttl[:-1])
        if seconds > maximum:
            raise errors.invalid(f"ttl {ttl} exceeds the maximum of {maximum:.0f}s.", field="ttl")
        return now + (seconds or maximum)
    if body.get("expireTime"):
        try:
            parsed = datetime.datetime.fromisoformat(str(body["expireTime"]).replace("Z", "+00:00"))
        except ValueError as exc:
            raise errors.invalid("Invalid expireTime.", field="expireTime") from exc
        epoch = parsed.timestamp()
        if epoch - now > maximum:
            raise errors.invalid("expireTime is beyond the maximum.", field="expireTime")
        return epoch
    return now + maximum


def _live(world: handling.World, req: handling.Request) -> dict[str, Any]:
    name = f"subscriptions/{req.params[0]}"
    sub = world.events.subscriptions.get(name)
    if sub is None or sub["_expires"] <= world.now() or sub["_owner"] != req.caller.label:
        raise errors.not_found(f"Subscription {name} not found.")
    return sub


def create(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/subscriptions."""
    auth.require_any(req.caller, sc.EVENTS_WRITE, method=req.method)
    body = req.json()
    target = str(body.get("targetResource", ""))
    types = [str(t) for t in body.get("eventTypes") or []]
    topic = str((body.get("notificationEndpoint") or {}).get("pubsubTopic", ""))
    if not target.startswith("//chat.googleapis.com/spaces/"):
        raise errors.invalid("targetResource must be //chat.googleapis.com/spaces/{space}.")
    _check_types(types)
    _require_event_scopes(req, types)
    if not _TOPIC.match(topic):
        raise errors.invalid("notificationEndpoint.pubsubTopic must be projects/*/topics/*.")
    space_name = target.removeprefix("//chat.googleapis.com/")
    store = world.store
    with store.lock, world.events.lock:
        if space_name != "spaces/-":
            _require_member(world, req, space_name)
        elif req.caller.is_app:
            raise errors.invalid("spaces/- needs user authentication.")
        for existing in world.events.subscriptions.values():
            same = existing["targetResource"] == target and existing["_owner"] == req.caller.label
            if same and existing["_expires"] > world.now():
                raise errors.already_exists(f"A subscription for {target} already exists.")
        now = events.stamp(world.now())
        sub: dict[str, Any] = {
            "name": f"subscriptions/{uuid.uuid4().hex[:20]}",
            "uid": uuid.uuid4().hex,
            "targetResource": target,
            "eventTypes": types,
            "notificationEndpoint": {"pubsubTopic": topic},
            "payloadOptions": dict(body.get("payloadOptions") or {}),
            "state": "ACTIVE",
            "authority": "users/app"
            if req.caller.person is None
            else f"users/{req.caller.person.id}",
            "createTime": now,
            "updateTime": now,
            "etag": uuid.uuid4().hex[:12],
            "_owner": req.caller.label,
        }
        lifecycle.set_expiry(sub, _expiry(body, sub, world.now()), world.now())
        if not req.flag("validateOnly"):
            world.events.subscriptions[sub["name"]] = sub
        return _operation(lifecycle.render(sub))


def get(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/subscriptions/{id}."""
    auth.require_any(req.caller, sc.EVENTS_READ, method=req.method)
    with world.events.lock:
        return handling.Reply(lifecycle.render(_live(world, req)))


def list_(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/subscriptions?filter=event_types:"..." [AND target_resource="..."]."""
    auth.require_any(req.caller, sc.EVENTS_READ, method=req.method)
    text = req.query.get("filter", "")
    types = set(_FILTER_TYPE.findall(text))
    if not types:
        raise errors.invalid('filter must name at least one event_types:"...".', field="filter")
    target = _FILTER_TARGET.search(text)
    size = paging.page_size(req.query.get("pageSize"), default=50, maximum=100)
    now = world.now()
    with world.events.lock:
        found = [
            lifecycle.render(s)
            for s in paging.arrange(
                world.events.subscriptions.values(),
                name=lambda s: str(s["name"]),
                seed=world.store.order_seed,
            )
            if s["_expires"] > now
            and s["_owner"] == req.caller.label
            and types & set(s["eventTypes"])
            and (target is None or s["targetResource"] == target.group(1))
        ]
    bound = {k: v for k, v in req.query.items() if k != "pageToken"}
    chunk, token = world.pager.page(
        found, size=size, token=req.query.get("pageToken"), params=bound, field="pageToken"
    )
    body: dict[str, Any] = {"subscriptions": chunk} if chunk else {}
    if token:
        body["nextPageToken"] = token
    return handling.Reply(body)


def patch(world: handling.World, req: handling.Request) -> handling.Reply:
    """PATCH v1/subscriptions/{id}?updateMask=ttl|expire_time|event_types."""
    auth.require_any(req.caller, sc.EVENTS_WRITE, method=req.method)
    body = req.json()
    mask = {p.strip() for p in req.query.get("updateMask", "").split(",") if p.strip()}
    allowed = {"ttl", "expire_time", "expireTime", "event_types", "eventTypes", "*"}
    if not mask or mask - allowed:
        raise errors.invalid(f"Unsupported updateMask {sorted(mask)}.", field="updateMask")
    with world.events.lock:
        sub = dict(_live(world, req))
        if mask & {"event_types", "eventTypes", "*"} and "eventTypes" in body:
            sub["eventTypes"] = [str(t) for t in body["eventTypes"]]
            _check_types(sub["eventTypes"])
            _require_event_scopes(req, sub["eventTypes"])
        if mask & {"ttl", "expire_time", "expireTime", "*"}:
            lifecycle.set_expiry(sub, _expiry(body, sub, world.now()), world.now())
        lifecycle.touch(sub, world.now())
        if not req.flag("validateOnly"):
            world.events.subscriptions[sub["name"]] = sub
        return _operation(lifecycle.render(sub))


def delete(world: handling.World, req: handling.Request) -> handling.Reply:
    """DELETE v1/subscriptions/{id}."""
    auth.require_any(req.caller, sc.EVENTS_READ, method=req.method)
    with world.events.lock:
        try:
            sub = _live(world, req)
        except errors.ApiError:
            if req.flag("allowMissing"):
                return _operation({}, "type.googleapis.com/google.protobuf.Empty")
            raise
        etag = req.query.get("etag")
        if etag and etag != sub["etag"]:
            raise errors.ApiError("ABORTED", "The etag does not match the subscription.")
        if not req.flag("validateOnly"):
            del world.events.subscriptions[sub["name"]]
        return _operation({}, "type.googleapis.com/google.protobuf.Empty")


def reactivate(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/subscriptions/{id}:reactivate: only a SUSPENDED subscription (400 otherwise).

    The authorizing principal must still be a member of the target space (403 otherwise, the
    same check as create: the cause of a suspension has to be fixed first).
    """
    auth.require_any(req.caller, sc.EVENTS_WRITE, method=req.method)
    with world.store.lock, world.events.lock:
        sub = _live(world, req)
        if sub["state"] != "SUSPENDED":
            raise errors.precondition(
                f"{sub['name']} is {sub['state']}: only SUSPENDED subscriptions can be reactivated."
            )
        _require_member(world, req, sub["targetResource"].removeprefix("//chat.googleapis.com/"))
        sub["state"] = "ACTIVE"
        sub.pop("suspensionReason", None)
        lifecycle.touch(sub, world.now())
        return _operation(lifecycle.render(sub))


def _require_member(world: handling.World, req: handling.Request, space_name: str) -> None:
    """403 unless the authorizing principal is a member of the target space."""
    if space_name == "spaces/-":
        return
    store = world.store
    space = store.spaces.get(space_name)
    member = space is not None and (
        store.app_is_member(space)
        if req.caller.person is None
        else store.is_member(space, req.caller.person)
    )
    if not member:
        raise errors.denied("The authorizing principal must be a member of the space.")


def _require_event_scopes(req: handling.Request, types: list[str]) -> None:
    """Membership event types need a memberships scope the caller's kind may hold (403)."""
    membership = any(".membership." in t for t in types)
    if membership and not any(req.caller.has(s) for s in sc.MEMBERSHIP_EVENTS):
        raise errors.ApiError(
            "PERMISSION_DENIED",
            "Membership events need chat.memberships(.readonly) or, with app authentication, "
            "chat.app.memberships(.readonly).",
            reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            service="workspaceevents.googleapis.com",
        )


def _check_types(types: list[str]) -> None:
    """Plain Chat event types only; batch types come by themselves (400 when listed)."""
    if not types or not all(t.startswith("google.workspace.chat.") for t in types):
        raise errors.invalid("eventTypes must name Chat event types.", field="eventTypes")
    batch = [t for t in types if t.rpartition(".")[2].startswith("batch")]
    if batch:
        raise errors.invalid(
            f"{batch[0]} is delivered automatically; subscribe to the plain event type.",
            field="eventTypes",
        )
