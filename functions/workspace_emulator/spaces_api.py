"""``spaces`` create/get/list (reference §8).

With app authentication, spaces.get/list/create show ``accessSettings`` only to a token with
``chat.app.spaces``, and ``permissionSettings`` only with that scope and only in spaces the app
created, as the spaces.get reference documents ("App authentication has the following
limitations"); user authentication sees both. This is the documented way to tell the spaces an
app created (``chatsync doctor`` relies on it).

Strict choices: spaces.create only makes named spaces (``spaceType`` SPACE) and needs a
``displayName`` unique among the organisation's spaces (409 ALREADY_EXISTS otherwise, as the
create guide documents); with app authentication ``customer`` is required. A space created by the
app holds the app as a plain member and no Owner; one created by a person makes them its Owner.
``requestId`` makes create idempotent per caller.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from workspace_emulator import access, auth, errors, handling, paging, resources
from workspace_emulator import store as st

_LIST_FILTER = re.compile(
    r'^\s*(?:space_type|spaceType)\s*=\s*"(SPACE|GROUP_CHAT|DIRECT_MESSAGE)"\s*$'
)


def create(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/spaces."""
    store, caller = world.store, req.caller
    access.authorize(
        req,
        admin_scopes=(),
        scopes=("chat.app.spaces", "chat.app.spaces.create", "chat.spaces", "chat.spaces.create"),
    )
    body = req.json()
    space_type = body.get("spaceType", "SPACE")
    if space_type != "SPACE":
        raise errors.invalid("spaces.create only creates spaces of type SPACE.", field="spaceType")
    display_name = str(body.get("displayName", "")).strip()
    if not display_name:
        raise errors.invalid("A SPACE needs a displayName.", field="displayName")
    if caller.is_app and not str(body.get("customer", "")).startswith("customers/"):
        raise errors.invalid(
            "customer (customers/my_customer) is required when an app creates a space.",
            field="customer",
        )
    request_id = req.query.get("requestId")
    with store.lock:
        key = f"{caller.label}:{request_id}"
        if request_id and key in store.request_ids:
            return handling.Reply(render(store.spaces[store.request_ids[key]], caller))
        taken = {s.display_name.lower() for s in store.spaces.values() if s.space_type == "SPACE"}
        if display_name.lower() in taken:
            raise errors.already_exists(f"A space named {display_name!r} already exists.")
        name = f"spaces/AAAA{secrets.token_urlsafe(8).replace('-', 'x').replace('_', 'y')}"
        space = st.Space(
            name=name,
            space_type="SPACE",
            display_name=display_name,
            created_by="app" if caller.person is None else caller.person.email,
            create_time=st.now_rfc3339(),
            external_user_allowed=bool(body.get("externalUserAllowed", True)),
        )
        if caller.person is None:
            first = st.Membership(store.app.id, "BOT", "ROLE_MEMBER", "JOINED", space.create_time)
        else:
            first = st.Membership(
                caller.person.id, "HUMAN", "ROLE_MANAGER", "JOINED", space.create_time
            )
        space.memberships[first.member_id] = first
        store.spaces[name] = space
        if request_id:
            store.request_ids[key] = name
        return handling.Reply(render(space, caller))


def get(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/spaces/{space}."""
    admin = access.authorize(
        req,
        admin_scopes=("chat.admin.spaces", "chat.admin.spaces.readonly"),
        scopes=("chat.app.spaces", "chat.bot", "chat.spaces", "chat.spaces.readonly"),
    )
    with world.store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=admin)
        return handling.Reply(render(space, req.caller))


def list_(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/spaces: the spaces the caller is a member of."""
    access.authorize(
        req, admin_scopes=(), scopes=("chat.bot", "chat.spaces", "chat.spaces.readonly")
    )
    size = paging.page_size(req.query.get("pageSize"), default=100, maximum=1000)
    wanted = _types(req.query.get("filter", ""))
    store, caller = world.store, req.caller
    with store.lock:
        mine = paging.arrange(
            (
                s
                for s in store.spaces.values()
                if s.space_type in wanted
                and (
                    store.app_is_member(s)
                    if caller.person is None
                    else store.is_member(s, caller.person)
                )
            ),
            name=lambda s: s.name,
            seed=store.order_seed,
        )
        rendered = [render(s, caller) for s in mine]
    bound = {k: req.query[k] for k in ("filter", "pageSize") if k in req.query}
    chunk, token = world.pager.page(
        rendered, size=size, token=req.query.get("pageToken"), params=bound, field="pageToken"
    )
    body: dict[str, Any] = {"spaces": chunk} if chunk else {}
    if token:
        body["nextPageToken"] = token
    return handling.Reply(body)


def render(space: st.Space, caller: auth.Caller) -> dict[str, Any]:
    """The Space as ``caller`` may see it (app authentication: see the module docstring)."""
    if not caller.is_app:
        return resources.space(space)
    full = caller.has("chat.app.spaces")
    return resources.space(space, access=full, permissions=full and space.created_by == "app")


def _types(text: str) -> set[str]:
    if not text.strip():
        return {"SPACE", "GROUP_CHAT", "DIRECT_MESSAGE"}
    types = set()
    for part in text.split(" OR "):
        match = _LIST_FILTER.match(part)
        if match is None:
            raise errors.invalid(f"Invalid filter {text!r}.", field="filter")
        types.add(match.group(1))
    return types
