"""``spaces.members`` create/get/list/patch/delete with the rules of reference §3-§7.

Strict choices on UNCONFIRMED points (each repeated where it is applied):

- a duplicate direct add (JOINED or INVITED) is 409 ALREADY_EXISTS, like an add covered by a group;
- ``role`` in a create body is ignored: memberships are created as ROLE_MEMBER;
- patch takes only the canonical ``spaces/S/members/{id}``: an email alias (or ``members/app``)
  is 400 INVALID_ARGUMENT;
- patching a group, app or INVITED membership is 400 FAILED_PRECONDITION;
- an under-privileged caller gets 403 PERMISSION_DENIED;
- demoting or removing the sole Owner (ROLE_MANAGER) is 400 FAILED_PRECONDITION;
- deleting a non-member and getting an ex-member are 404 NOT_FOUND; revoking an invitation works;
- ``showInvited`` and ``showGroups`` need user authentication (400 with app auth);
- ``chat.import`` is not accepted (the emulator has no import-mode spaces);
- with user auth only Owners and Managers may add or remove others (``manage_members`` in the seed
  can open it to members); anyone may remove themselves.
- a space whose member list is restricted (``view_members`` in the seed, the
  ``viewSpaceMembership`` permission setting) answers get/list with 403 to people it excludes,
  even for their own membership; the app gets only what members see (see
  :func:`workspace_emulator.access.visible_to_members`) and 403 on get of the rest.
"""

from __future__ import annotations

from typing import Any

from workspace_emulator import (
    access,
    auth,
    errors,
    filtering,
    handling,
    memberships,
    paging,
    resources,
)
from workspace_emulator import store as st

_ADMIN_WRITE = ("chat.admin.memberships",)
_ADMIN_READ = ("chat.admin.memberships", "chat.admin.memberships.readonly")
_READ = ("chat.app.memberships", "chat.bot", "chat.memberships", "chat.memberships.readonly")
_WRITE = ("chat.app.memberships", "chat.memberships")
_SELF_APP = "chat.memberships.app"


def _member_id(store: st.Store, segment: str) -> str:
    """``{member}`` of a membership name: numeric id, email alias or ``app`` → stored id."""
    if segment == "app":
        return store.app.id
    if "@" in segment:
        person = store.person_by_email(segment)
        return person.id if person is not None else segment
    return segment


def _caller_role(store: st.Store, space: st.Space, caller: auth.Caller) -> str | None:
    if caller.person is None:
        return None
    membership = space.memberships.get(caller.person.id)
    return membership.role if membership is not None else "ROLE_MEMBER"


def create(world: handling.World, req: handling.Request) -> handling.Reply:
    """POST v1/spaces/{space}/members."""
    store, caller = world.store, req.caller
    admin = access.authorize(req, admin_scopes=_ADMIN_WRITE, scopes=(*_WRITE, _SELF_APP))
    body = req.json()
    member, group = body.get("member"), body.get("groupMember")
    if (member is None) == (group is None):
        raise errors.invalid("Exactly one of member or groupMember must be set.", field="member")
    with store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=admin)
        if group is not None:
            membership = _new_group(world, req, space, group, admin=admin)
        else:
            membership = _new_user(world, req, space, member, admin=admin)
        memberships.add(world, space, membership, source="api")
        return handling.Reply(_render(store, space, membership, caller))


def _new_group(
    world: handling.World, req: handling.Request, space: st.Space, group: Any, *, admin: bool
) -> st.Membership:
    caller = req.caller
    if caller.is_app:
        raise errors.denied("Apps cannot add Google Groups to spaces with app authentication.")
    if not admin and not caller.has("chat.memberships"):
        raise errors.denied("Adding a group needs the chat.memberships scope.")
    name = str(group.get("name", "")) if isinstance(group, dict) else ""
    if not name.startswith("groups/") or not name[7:] or "@" in name:
        # Group email aliases are not supported (reference §2.3).
        raise errors.invalid(f"Invalid group resource name {name!r}.", field="groupMember.name")
    if space.space_type != "SPACE":
        raise errors.invalid("Groups can only be added to spaces of type SPACE.")
    found = world.store.groups.get(name[7:])
    if found is None:
        raise errors.not_found(f"Group {name} not found.")
    if not admin:
        _require_manage(world.store, space, caller)
    if found.id in space.memberships:
        raise errors.already_exists(f"Group {name} is already a member of {space.name}.")
    return st.Membership(
        found.id, "GROUP", "MEMBERSHIP_ROLE_UNSPECIFIED", "JOINED", st.now_rfc3339()
    )


def _new_user(
    world: handling.World, req: handling.Request, space: st.Space, member: Any, *, admin: bool
) -> st.Membership:
    store, caller = world.store, req.caller
    name = str(member.get("name", "")) if isinstance(member, dict) else ""
    kind = member.get("type") if isinstance(member, dict) else None
    if not name.startswith("users/") or not name[6:] or "/" in name[6:]:
        raise errors.invalid(
            f"Missing or malformed user resource name {name!r}. The name must follow the format "
            "users/{user}, where {user} is the user's id or email; an app must be users/app.",
            field="membership.member.name",
        )
    ref = name[6:]
    if ref == "app" or ref in store.apps:
        if kind not in (None, "BOT"):
            raise errors.invalid("users/app must have type BOT.", field="membership.member.type")
        if ref not in ("app", store.app.id):
            raise errors.denied("Apps cannot add other apps to a space.")
        if caller.is_app or admin:
            raise errors.denied("Adding the calling app requires user authentication.")
        if store.app.id in space.memberships:
            raise errors.already_exists(f"The app is already a member of {space.name}.")
        return st.Membership(store.app.id, "BOT", "ROLE_MEMBER", "JOINED", st.now_rfc3339())
    if kind not in (None, "HUMAN"):
        raise errors.invalid(f"{name} is a person; type must be HUMAN.", field="member.type")
    if not admin and not caller.has("chat.memberships") and not caller.has("chat.app.memberships"):
        raise errors.denied("chat.memberships.app only allows adding the calling app.")
    if "@" in ref:
        person = store.person_for_email(ref)
    elif ref.isdigit():
        person = store.people.get(ref)
    else:
        raise errors.invalid(f"Missing or malformed user resource name {name!r}.", field="name")
    if person is None:
        raise errors.not_found(f"User {name} not found.")
    if person.external and ref.isdigit():
        raise errors.invalid("Users outside the organisation must be named by email.")
    if person.external and (caller.is_app or admin):
        raise errors.denied(
            "Users outside the organisation cannot be added with app authentication or admin "
            "access."
        )
    if person.external and not space.external_user_allowed:
        raise errors.precondition(f"{space.name} does not allow external users.")
    if space.space_type == "DIRECT_MESSAGE":
        raise errors.precondition("Members cannot be added to a direct message.")
    if not admin and not caller.is_app:
        _require_manage(store, space, caller)
    if person.id in space.memberships:
        # UNCONFIRMED for direct duplicates: strict reading, same answer as the group case.
        raise errors.already_exists(f"users/{person.id} is already a member of {space.name}.")
    covering = store.covering_group(space, person.email)
    if covering is not None:
        raise errors.already_exists(
            f"users/{person.id} is already a member of {space.name} through {covering.email}."
        )
    state: st.State = "INVITED" if person.external or not person.auto_accept else "JOINED"
    # `role` in the body is ignored (UNCONFIRMED: strict reading); promote with patch.
    return st.Membership(person.id, "HUMAN", "ROLE_MEMBER", state, st.now_rfc3339())


def _require_manage(store: st.Store, space: st.Space, caller: auth.Caller) -> None:
    """User auth: adding/removing others needs Owner/Manager unless the space opens it."""
    role = _caller_role(store, space, caller)
    if space.manage_members == "members" or role in st.MANAGER_ROLES:
        return
    raise errors.denied("Only space owners and managers can manage members in this space.")


def _render(
    store: st.Store, space: st.Space, m: st.Membership, caller: auth.Caller
) -> dict[str, Any]:
    return resources.membership(store, space, m, for_app=caller.is_app)


def _existing(store: st.Store, space: st.Space, segment: str) -> st.Membership:
    membership = space.memberships.get(_member_id(store, segment))
    if membership is None:
        raise errors.not_found(f"Membership {space.name}/members/{segment} not found.")
    return membership


def get(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/spaces/{space}/members/{member}."""
    store, caller = world.store, req.caller
    admin = access.authorize(req, admin_scopes=_ADMIN_READ, scopes=_READ)
    with store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=admin)
        everyone = access.require_member_list(world, req, space, admin=admin)
        membership = _existing(store, space, req.params[1])
        if membership.kind == "BOT" and (caller.is_app or admin):
            # Apps cannot see app memberships (not even their own); neither can admin access.
            raise errors.not_found(f"Membership {space.name}/members/{req.params[1]} not found.")
        if not everyone and not access.visible_to_members(space, membership):
            raise errors.denied(
                f"{space.name}/members/{req.params[1]} is hidden by the space's "
                "viewSpaceMembership setting."
            )
        return handling.Reply(_render(store, space, membership, caller))


_LIST_PARAMS = ("filter", "pageSize", "showGroups", "showInvited", "useAdminAccess")


def list_(world: handling.World, req: handling.Request) -> handling.Reply:
    """GET v1/spaces/{space}/members."""
    store, caller = world.store, req.caller
    admin = access.authorize(req, admin_scopes=_ADMIN_READ, scopes=_READ)
    size = paging.page_size(req.query.get("pageSize"), default=100, maximum=1000)
    parsed = filtering.parse(req.query.get("filter", ""))
    show_groups, show_invited = req.flag("showGroups"), req.flag("showInvited")
    if caller.is_app and (show_invited or show_groups):
        # showInvited needs user auth (documented); showGroups too (UNCONFIRMED: strict).
        raise errors.invalid("showInvited and showGroups require user authentication.")
    if admin and not parsed.excludes_apps():
        raise errors.invalid(
            'With useAdminAccess the filter must contain member.type = "HUMAN" or '
            'member.type != "BOT".',
            field="filter",
        )
    with store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=admin)
        everyone = access.require_member_list(world, req, space, admin=admin)
        visible = paging.arrange(
            (
                m
                for m in space.memberships.values()
                if (everyone or access.visible_to_members(space, m))
                and (m.kind != "GROUP" or show_groups)
                and (m.state != "INVITED" or show_invited)
                and (m.kind != "BOT" or not (caller.is_app or admin))
                and parsed.matches(m)
            ),
            name=lambda m: m.member_id,
            seed=store.order_seed,
        )
        rendered = [_render(store, space, m, caller) for m in visible]
    bound = {k: req.query[k] for k in _LIST_PARAMS if k in req.query}
    bound["parent"] = req.params[0]
    chunk, token = world.pager.page(
        rendered, size=size, token=req.query.get("pageToken"), params=bound, field="pageToken"
    )
    body: dict[str, Any] = {}
    if chunk:
        body["memberships"] = chunk
    if token:
        body["nextPageToken"] = token
    return handling.Reply(body)


def patch(world: handling.World, req: handling.Request) -> handling.Reply:
    """PATCH v1/spaces/{space}/members/{member}?updateMask=role."""
    store, caller = world.store, req.caller
    admin = access.authorize(req, admin_scopes=_ADMIN_WRITE, scopes=_WRITE)
    mask = [p.strip() for p in req.query.get("updateMask", "").split(",") if p.strip()]
    if not mask:
        raise errors.invalid("updateMask is required.", field="updateMask")
    unknown = [p for p in mask if p not in ("role", "*")]
    if unknown:
        raise errors.invalid(f"Unsupported updateMask path(s): {unknown}.", field="updateMask")
    role = req.json().get("role")
    if role not in st.ROLES:
        raise errors.invalid(f"Invalid role {role!r}.", field="membership.role")
    segment = req.params[1]
    if "@" in segment or segment == "app":
        # Email alias on patch is UNCONFIRMED: strict reading, only the canonical name works.
        raise errors.invalid(
            "patch needs the canonical membership name spaces/{space}/members/{id}.", field="name"
        )
    with store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=admin)
        target = _existing(store, space, segment)
        if target.kind != "HUMAN" or target.state != "JOINED":
            raise errors.precondition("Only joined human memberships have a role to change.")
        if role != "ROLE_MEMBER" and space.space_type != "SPACE":
            raise errors.invalid(f"{role} only exists in spaces of type SPACE.", field="role")
        if caller.is_app and space.created_by != "app":
            # "you can only update memberships in spaces created by the Chat app"
            # (developers.google.com/workspace/chat/update-members)
            raise errors.denied(
                "With app authentication roles can only change in spaces the app created."
            )
        if not caller.is_app and not admin:
            _check_role_change(_caller_role(store, space, caller), target.role, str(role))
        if (
            target.role == "ROLE_MANAGER"
            and role != "ROLE_MANAGER"
            and len(space.joined_owners()) == 1
        ):
            raise errors.precondition(
                "The only owner of a space cannot be demoted; make someone else an owner first."
            )
        changed = memberships.set_role(world, space, target, role, source="api")
        return handling.Reply(_render(store, space, changed, caller))


def _check_role_change(caller_role: str | None, current: str, wanted: str) -> None:
    """Owner: anything. Manager: not to/from Owner. Member: nothing (403)."""
    if caller_role == "ROLE_MANAGER":
        return
    if caller_role == "ROLE_ASSISTANT_MANAGER":
        if current == "ROLE_MANAGER" or wanted == "ROLE_MANAGER":
            raise errors.denied("Managers cannot make owners or change an owner's role.")
        return
    raise errors.denied("Only space owners and managers can change roles.")


def delete(world: handling.World, req: handling.Request) -> handling.Reply:
    """DELETE v1/spaces/{space}/members/{member}."""
    store, caller = world.store, req.caller
    admin = access.authorize(req, admin_scopes=_ADMIN_WRITE, scopes=(*_WRITE, _SELF_APP))
    with store.lock:
        space = access.reachable_space(world, req, f"spaces/{req.params[0]}", admin=admin)
        target = _existing(store, space, req.params[1])
        _check_delete(store, space, target, caller, admin=admin, segment=req.params[1])
        memberships.remove(world, space, target, source="api")
        return handling.Reply(resources.removed(space, target.member_id))


def _check_delete(
    store: st.Store,
    space: st.Space,
    target: st.Membership,
    caller: auth.Caller,
    *,
    admin: bool,
    segment: str,
) -> None:
    if target.kind == "BOT":
        if target.member_id != store.app.id:
            raise errors.denied("Apps can never remove other apps' memberships.")
        if caller.is_app or admin or not (caller.has(_SELF_APP) or caller.has("chat.memberships")):
            raise errors.denied(
                "The app can only be removed with user authentication (chat.memberships.app)."
            )
        return
    if not admin and not caller.has("chat.memberships") and not caller.has("chat.app.memberships"):
        raise errors.denied("chat.memberships.app only allows removing the calling app.")
    if target.kind == "GROUP" and caller.is_app:
        raise errors.denied("Apps cannot remove Google Groups with app authentication.")
    if (
        target.role == "ROLE_MANAGER"
        and target.state == "JOINED"
        and len(space.joined_owners()) == 1
    ):
        raise errors.precondition(
            "The only owner of a space cannot be removed; make someone else an owner first."
        )
    if admin:
        return
    if caller.is_app:
        # "To delete memberships for space managers ... If you're using app authentication the
        # Chat app must be the space creator" (spaces.members.delete reference). Strict: Owners
        # and Managers both count as space managers.
        if target.role in st.MANAGER_ROLES and space.created_by != "app":
            raise errors.denied(
                "With app authentication managers can only be removed in spaces the app created."
            )
        return
    is_self = caller.person is not None and caller.person.id == target.member_id
    if is_self:
        return
    role = _caller_role(store, space, caller)
    if target.role == "ROLE_MANAGER" and role != "ROLE_MANAGER":
        raise errors.denied("Only owners can remove an owner.")
    _require_manage(store, space, caller)
