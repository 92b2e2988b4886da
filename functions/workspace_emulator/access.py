"""Checks shared by the Chat handlers: scopes per mode, admin access, reaching a space."""

from __future__ import annotations

from workspace_emulator import auth, errors, handling
from workspace_emulator import store as st


def authorize(
    req: handling.Request, *, admin_scopes: tuple[str, ...], scopes: tuple[str, ...]
) -> bool:
    """Check the scopes for the call's mode; return whether ``useAdminAccess`` is on.

    Admin access needs user authentication by a directory admin holding an admin scope.
    """
    admin = req.flag("useAdminAccess")
    auth.require_any(req.caller, admin_scopes if admin else scopes, method=req.method)
    if admin and (req.caller.person is None or not req.caller.person.admin):
        raise errors.denied("The caller is not a Google Workspace administrator.")
    return admin


def reachable_space(
    world: handling.World, req: handling.Request, name: str, *, admin: bool
) -> st.Space:
    """The space if the caller can reach it, else 404 (existence is not revealed).

    Admins reach any space of the organisation; the app must be a member ("to get data about or
    perform actions in a Chat space, Chat apps must have membership in the space",
    developers.google.com/workspace/chat/authenticate-authorize-chat-app; the status is
    UNCONFIRMED, 404 is the strict choice: it reveals nothing); a person must be a joined
    member, directly or through a group.
    """
    space = world.store.spaces.get(name)
    if space is None:
        raise errors.not_found(f"Space {name} not found.")
    if admin:
        return space
    caller = req.caller
    if caller.is_app:
        if not world.store.app_is_member(space):
            raise errors.not_found(f"Space {name} not found or the app is not a member.")
    elif caller.person is None or not world.store.is_member(space, caller.person):
        raise errors.not_found(f"Space {name} not found or the caller is not a member.")
    return space


def sees_every_member(
    world: handling.World, req: handling.Request, space: st.Space, *, admin: bool
) -> bool:
    """Whether ``permissionSettings.viewSpaceMembership`` lets the caller see the whole list.

    Admin access is not bound by the space's setting (UNCONFIRMED: admins manage every space of
    the organisation). The app never counts as an Owner or Manager: under a restriction it sees
    what a plain member sees (reference §3.2/§3.3).
    """
    if admin or space.view_members == "members":
        return True
    person = req.caller.person
    if person is None:
        return False
    direct = space.memberships.get(person.id)
    role = direct.role if direct is not None and direct.state == "JOINED" else "ROLE_MEMBER"
    return role in st.AUDIENCE_ROLES[space.view_members]


def require_member_list(
    world: handling.World, req: handling.Request, space: st.Space, *, admin: bool
) -> bool:
    """403 for a person the space hides its member list from; else whether all is visible.

    User authentication gets PERMISSION_DENIED; app authentication gets on, with only the
    memberships members can see (:func:`visible_to_members`).
    """
    if sees_every_member(world, req, space, admin=admin):
        return True
    if req.caller.person is not None:
        raise errors.denied(
            f"The member list of {space.name} is only visible to "
            f"{space.view_members} (permissionSettings.viewSpaceMembership)."
        )
    return False


def visible_to_members(space: st.Space, membership: st.Membership) -> bool:
    """Under a restricted member list, what a plain member still sees.

    UNCONFIRMED: the reference only says app auth gets "an empty or partial list". The emulator
    shows the joined people the setting lets in (by default Owners and Managers: whom members
    must be able to reach) and nothing else, so a space without them lists empty.
    """
    allowed = st.AUDIENCE_ROLES[space.view_members]
    return (
        membership.kind == "HUMAN" and membership.state == "JOINED" and membership.role in allowed
    )
