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

    Admins reach any space of the organisation; the app must be a member; a person must be a
    joined member, directly or through a group.
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
