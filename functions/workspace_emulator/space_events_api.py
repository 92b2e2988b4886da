"""``spaces.spaceEvents`` list and get (reference §11.4): catch-up reads of membership events.

- ``filter`` is required and must name at least one ``event_types:"..."``; several are joined
  with ``OR``, and optionally ``AND start_time="RFC3339"`` (exclusive) ``AND end_time="..."``
  (inclusive). AND binds looser than OR (AIP-160), parentheses around the OR group are allowed.
  ``AND`` between event types, ``OR`` with a time, a repeated time: 400 INVALID_ARGUMENT.
- Batch types are returned with their plain type. Listing them in the filter is 400 (strict
  reading of "omit batch event types", UNCONFIRMED); so is an unknown type.
- ``start_time`` more than 28 days back, or ``end_time`` before ``start_time``: 400 (strict,
  UNCONFIRMED: Google might clamp instead). Without ``start_time`` the last 28 days are listed.
- Oldest first; ``pageSize`` default 100, clamped to 1000, negative 400 (UNCONFIRMED numbers,
  the members.list ones); page tokens bound to the other parameters.
- The caller must be a member of the space (404 otherwise, as for members); user callers a
  restricted member list hides from get 403 (viewSpaceMembership).
- Payloads show each membership's *current* state; one no longer in the space (or hidden from
  the app by viewSpaceMembership) is an empty Membership ``{}``.
- Only membership events are recorded: message, reaction and space types are accepted in the
  filter and match nothing.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from workspace_emulator import (
    access,
    errors,
    events,
    handling,
    paging,
    resources,
    space_events,
)
from workspace_emulator import store as st

_SCOPES = (
    "chat.app.memberships",
    "chat.app.memberships.readonly",
    "chat.memberships",
    "chat.memberships.readonly",
)
"""Scopes that let a caller read membership events (discovery lists more, for other types)."""

KNOWN_TYPES = frozenset(
    {
        *(f"google.workspace.chat.membership.v1.{k}" for k in ("created", "updated", "deleted")),
        *(f"google.workspace.chat.message.v1.{k}" for k in ("created", "updated", "deleted")),
        *(f"google.workspace.chat.reaction.v1.{k}" for k in ("created", "deleted")),
        "google.workspace.chat.space.v1.updated",
    }
)
_TYPE = re.compile(r'^event_types\s*:\s*"([^"]*)"$')
_TIME = re.compile(r'^(start_time|end_time)\s*=\s*"([^"]*)"$')
_AND = re.compile(r"\s+AND\s+")
_OR = re.compile(r"\s+OR\s+")


def _parse_time(text: str, key: str) -> float:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.invalid(f"{key} must be an RFC 3339 timestamp, not {text!r}.") from exc
    if moment.tzinfo is None:
        raise errors.invalid(f"{key} needs a time zone offset: {text!r}.", field="filter")
    return moment.timestamp()


def parse_filter(text: str) -> tuple[frozenset[str], dict[str, float]]:
    """The event types and the ``start_time``/``end_time`` bounds of a filter, or 400."""
    types: set[str] = set()
    times: dict[str, float] = {}
    seen_types = False
    for conjunct in _AND.split(text.strip()):
        term = conjunct.strip()
        time_match = _TIME.match(term)
        if time_match is not None:
            key = time_match.group(1)
            if key in times:
                raise errors.invalid(f"{key} appears twice in the filter.", field="filter")
            times[key] = _parse_time(time_match.group(2), key)
            continue
        if term.startswith("(") and term.endswith(")"):
            term = term[1:-1].strip()
        if seen_types:
            raise errors.invalid("Event types can only be combined with OR.", field="filter")
        seen_types = True
        for part in _OR.split(term):
            type_match = _TYPE.match(part.strip())
            if type_match is None:
                raise errors.invalid(f"Invalid filter term {part.strip()!r}.", field="filter")
            event_type = type_match.group(1)
            if event_type.rpartition(".")[2].startswith("batch"):
                raise errors.invalid(
                    f"Omit batch event types ({event_type}): they come with the plain type.",
                    field="filter",
                )
            if event_type not in KNOWN_TYPES:
                raise errors.invalid(f"Unsupported event type {event_type!r}.", field="filter")
            types.add(event_type)
    if not types:
        raise errors.invalid('filter must name at least one event_types:"...".', field="filter")
    return frozenset(types), times


def _space(world: handling.World, req: handling.Request) -> tuple[st.Space, bool]:
    """The space (404 unless the caller is a member) and whether every member is visible."""
    space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=False)
    return space, access.require_member_list(world, req, space, admin=False)


def _render(
    world: handling.World,
    req: handling.Request,
    space: st.Space,
    event: space_events.SpaceEvent,
    *,
    everyone: bool,
) -> dict[str, Any]:
    items = []
    for name in event.memberships:
        current = space.memberships.get(name.rpartition("/")[2])
        shown = current is not None and (everyone or access.visible_to_members(space, current))
        membership: dict[str, Any] = {}
        if shown and current is not None:
            membership = resources.membership(
                world.store, space, current, for_app=req.caller.is_app
            )
        items.append({"membership": membership})
    data: dict[str, Any] = {"memberships": items} if event.is_batch else items[0]
    return {
        "name": event.name,
        "eventTime": events.stamp(event.time),
        "eventType": event.event_type,
        event.data_field: data,
    }


_BOUND = ("filter", "pageSize")


def list_(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/spaces/{space}/spaceEvents?filter=..."""
    access.authorize(req, admin_scopes=(), scopes=_SCOPES)
    types, times = parse_filter(req.query.get("filter", ""))
    size = paging.page_size(req.query.get("pageSize"), default=100, maximum=1000)
    now = world.now()
    start = times.get("start_time", now - space_events.LOOK_BACK)
    end = times.get("end_time", now)
    if start < now - space_events.LOOK_BACK:
        raise errors.invalid("start_time can be at most 28 days ago.", field="filter")
    if end < start:
        raise errors.invalid("end_time is before start_time.", field="filter")
    with world.store.lock, world.events.lock:
        space, everyone = _space(world, req)
        # Oldest first (documented); events of the same microsecond in no documented order.
        found = [
            _render(world, req, space, e, everyone=everyone)
            for e in paging.arrange(
                world.events.log.between(space.name, start, end),
                name=lambda e: e.name,
                seed=world.store.order_seed,
                key=lambda e: e.time,
            )
            if e.base_type in types
        ]
    bound = {k: req.query[k] for k in _BOUND if k in req.query} | {"parent": req.params[0]}
    chunk, token = world.pager.page(
        found, size=size, token=req.query.get("pageToken"), params=bound, field="pageToken"
    )
    body: dict[str, Any] = {"spaceEvents": chunk} if chunk else {}
    if token:
        body["nextPageToken"] = token
    return handling.Reply(body)


def get(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/spaces/{space}/spaceEvents/{event}: one event, if within the 28 days."""
    access.authorize(req, admin_scopes=(), scopes=_SCOPES)
    with world.store.lock, world.events.lock:
        space, everyone = _space(world, req)
        event = world.events.log.get(f"{space.name}/spaceEvents/{req.params[1]}")
        if event is None or event.time <= world.now() - space_events.LOOK_BACK:
            raise errors.not_found(f"{space.name}/spaceEvents/{req.params[1]} not found.")
        return handling.Reply(_render(world, req, space, event, everyone=everyone))
