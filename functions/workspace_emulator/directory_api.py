"""The Admin SDK Directory v1 subset chatsync reads: users.get/list, groups.list, members.list.

Paths are the ones googleapiclient builds for ``admin``/``directory_v1``
(``/admin/directory/v1/...``). A caller needs a matching ``admin.directory.*`` scope and must be
an administrator (:func:`_require_admin`); the convention ``app`` token has the read-only scopes
by default and stands in for domain-wide delegation to an admin. ``groups.list?userKey=``
returns the user's *direct* groups, as the real API does;
``members.list?includeDerivedMembership=true`` adds the users of nested groups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workspace_emulator import auth, errors, handling, paging
from workspace_emulator import store as st

_USER_SCOPES = ("admin.directory.user", "admin.directory.user.readonly")
_GROUP_SCOPES = ("admin.directory.group", "admin.directory.group.readonly")
_MEMBER_SCOPES = (
    *_GROUP_SCOPES,
    "admin.directory.group.member",
    "admin.directory.group.member.readonly",
)


def _not_found(what: str) -> errors.ApiError:
    return errors.ApiError("NOT_FOUND", f"Resource Not Found: {what}", legacy_reason="notFound")


def _bad(message: str) -> errors.ApiError:
    return errors.ApiError("INVALID_ARGUMENT", message, legacy_reason="invalid")


def _max_results(req: handling.Request, *, default: int, maximum: int) -> int:
    raw = req.query.get("maxResults")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise _bad(f"Invalid value for maxResults: {raw!r} (1-{maximum}).")
    return int(raw)


def _require_admin(req: handling.Request) -> None:
    """The Directory's admin view is for administrators: 403 otherwise.

    A user token (also one got by domain-wide delegation) must be a directory admin's; a service
    account without a subject is nobody in the directory and is refused ("the service account
    must impersonate an administrator of the domain"; Google's answer is
    ``403 Not Authorized to access this resource/api``, legacy reason ``forbidden``). The
    convention ``app`` token stands in for a delegated admin and may read.
    """
    caller = req.caller
    if caller.person is not None and caller.person.admin:
        return
    if caller.person is None and caller.convention:
        return
    raise errors.ApiError(
        "PERMISSION_DENIED", "Not Authorized to access this resource/api", legacy_reason="forbidden"
    )


def _check_customer(store: st.Store, req: handling.Request) -> None:
    customer, domain = req.query.get("customer"), req.query.get("domain")
    if customer is None and domain is None:
        raise _bad("Bad Request: customer or domain is required.")
    if customer is not None and customer not in ("my_customer", store.customer):
        raise _not_found("customer")
    if domain is not None and domain.lower() not in store.domains:
        raise _not_found("domain")


def user_json(
    person: st.Person, *, projection: str = "basic", mask: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A Directory user resource."""
    given, _, family = person.name.partition(" ")
    body: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": person.id,
        "primaryEmail": person.email,
        "name": {"fullName": person.name, "givenName": given, "familyName": family},
        "isAdmin": person.admin,
        "suspended": person.suspended,
        "archived": person.archived,
        "orgUnitPath": person.org_unit_path,
        "emails": [{"address": person.email, "primary": True}],
    }
    organization = {
        k: v
        for k, v in (
            ("title", person.title),
            ("department", person.department),
            ("costCenter", person.cost_center),
            ("location", person.location),
        )
        if v is not None
    }
    if organization:
        body["organizations"] = [{**organization, "primary": True, "customType": ""}]
    if person.manager:
        body["relations"] = [{"type": "manager", "value": person.manager}]
    if person.location:
        body["locations"] = [{"type": "desk", "area": person.location}]
    if projection == "full":
        body["customSchemas"] = {k: dict(v) for k, v in person.custom.items()}
    elif projection == "custom":
        body["customSchemas"] = {k: dict(v) for k, v in person.custom.items() if k in mask}
    return body


def _projection(req: handling.Request) -> tuple[str, tuple[str, ...]]:
    projection = req.query.get("projection", "basic")
    if projection not in ("basic", "custom", "full"):
        raise _bad(f"Invalid value for projection: {projection!r}.")
    mask = tuple(m for m in req.query.get("customFieldMask", "").split(",") if m)
    if projection == "custom" and not mask:
        raise _bad("customFieldMask is required when projection=custom.")
    return projection, mask


def users_get(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET admin/directory/v1/users/{userKey} (id or primary email)."""
    auth.require_any(req.caller, _USER_SCOPES, method=req.method)
    _require_admin(req)
    projection, mask = _projection(req)
    store, key = world.store, req.params[0]
    with store.lock:
        person = store.person_by_email(key) if "@" in key else store.people.get(key)
        if person is None or person.external:
            raise _not_found("userKey")
        return handling.Reply(user_json(person, projection=projection, mask=mask))


def users_list(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET admin/directory/v1/users?customer=|domain=."""
    auth.require_any(req.caller, (*_USER_SCOPES, "cloud-platform"), method=req.method)
    _require_admin(req)
    store = world.store
    _check_customer(store, req)
    projection, mask = _projection(req)
    size = _max_results(req, default=100, maximum=500)
    if req.query.get("query"):
        raise _bad("The emulator does not support the users.list query parameter.")
    with store.lock:
        people = store.directory_users()
        domain = req.query.get("domain")
        if domain is not None:
            people = [p for p in people if p.email.lower().endswith("@" + domain.lower())]
        by_email = req.query.get("orderBy") == "email"
        people = paging.arrange(
            people,
            name=lambda p: p.id,
            seed=store.order_seed,
            key=(lambda p: p.email.lower()) if by_email else None,
        )
        if req.query.get("sortOrder") == "DESCENDING":
            people.reverse()
        # Only the page is rendered: 100,000 users are listed in 200 requests.
        return _page(
            world,
            req,
            people,
            size=size,
            kind="admin#directory#users",
            key="users",
            keep_empty=True,
            render=lambda p: user_json(p, projection=projection, mask=mask),
        )


def _group_json(group: st.Group) -> dict[str, Any]:
    return {
        "kind": "admin#directory#group",
        "id": group.id,
        "email": group.email,
        "name": group.name,
        "directMembersCount": str(len(group.members)),
    }


def groups_list(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET admin/directory/v1/groups?userKey=|customer=|domain=."""
    auth.require_any(req.caller, _GROUP_SCOPES, method=req.method)
    _require_admin(req)
    store = world.store
    size = _max_results(req, default=200, maximum=200)
    user_key = req.query.get("userKey")
    with store.lock:
        if user_key is not None:
            person = store.person_by_email(user_key) if "@" in user_key else None
            person = person or store.people.get(user_key)
            email = person.email if person is not None else user_key
            if person is None and store.group_by_key(user_key) is None:
                raise _not_found("userKey")
            groups = store.groups_of(email)
        else:
            _check_customer(store, req)
            groups = list(store.groups.values())
            domain = req.query.get("domain")
            if domain is not None:
                groups = [g for g in groups if g.email.lower().endswith("@" + domain.lower())]
        groups = paging.arrange(groups, name=lambda g: g.id, seed=store.order_seed)
        rendered = [_group_json(g) for g in groups]
    return _page(world, req, rendered, size=size, kind="admin#directory#groups", key="groups")


def members_list(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET admin/directory/v1/groups/{groupKey}/members."""
    auth.require_any(req.caller, _MEMBER_SCOPES, method=req.method)
    _require_admin(req)
    store = world.store
    size = _max_results(req, default=200, maximum=200)
    roles = {r.strip().upper() for r in req.query.get("roles", "").split(",") if r.strip()}
    derived = req.flag("includeDerivedMembership")
    with store.lock:
        group = store.group_by_key(req.params[0])
        if group is None:
            raise _not_found("groupKey")
        rendered = [_member_json(store, m) for m in group.members]
        if derived:
            seen = {m.email.lower() for m in group.members}
            for email in store.flattened_members(group):
                if email not in seen:
                    seen.add(email)
                    rendered.append(_member_json(store, st.GroupMember(email=email)))
        if roles:
            rendered = [m for m in rendered if m["role"] in roles]
        rendered = paging.arrange(rendered, name=lambda m: str(m["email"]), seed=store.order_seed)
    return _page(world, req, rendered, size=size, kind="admin#directory#members", key="members")


def _member_json(store: st.Store, member: st.GroupMember) -> dict[str, Any]:
    if member.type == "GROUP":
        group = store.group_by_key(member.email)
        member_id = group.id if group is not None else st.derived_id(member.email, prefix="0")
    else:
        person = store.person_by_email(member.email)
        member_id = person.id if person is not None else st.derived_id(member.email)
    return {
        "kind": "admin#directory#member",
        "id": member_id,
        "email": member.email,
        "role": member.role,
        "type": member.type,
        "status": member.status,
    }


def _page(
    world: handling.World,
    req: handling.Request,
    items: Sequence[Any],
    *,
    size: int,
    kind: str,
    key: str,
    keep_empty: bool = False,
    render: Callable[[Any], dict[str, Any]] | None = None,
) -> handling.Reply:
    """One page of a Directory list, its token bound to the request's other parameters.
    users.list always carries its list; groups and members omit an empty one, as Google does.
    ``render`` turns each item of the page into its JSON (None: the items are JSON already)."""
    bound = {k: v for k, v in req.query.items() if k != "pageToken"}
    chunk, token = world.pager.page(
        items, size=size, token=req.query.get("pageToken"), params=bound, field="pageToken"
    )
    if render is not None:
        chunk = [render(item) for item in chunk]
    body: dict[str, Any] = {"kind": kind}
    if chunk or keep_empty:
        body[key] = chunk
    if token:
        body["nextPageToken"] = token
    return handling.Reply(body)
