"""Changing memberships, whoever asks (an API call or a person in the Chat UI), and the
Workspace Events each direct change emits.

Rules about *who may* change what live in :mod:`workspace_emulator.members_api`; this module only
applies a change that has been allowed, keeps the store consistent and notifies
:class:`~workspace_emulator.events.Events`. Changes that arrive through a Google Group are never
materialised as memberships here, so no event is emitted for them (as in real Chat).
"""

from __future__ import annotations

from typing import Literal

from workspace_emulator import handling, resources
from workspace_emulator import store as st

Source = Literal["api", "manual"]


def add(
    world: handling.World, space: st.Space, membership: st.Membership, *, source: Source
) -> st.Membership:
    """Store a new direct membership and emit ``membership.v1.created``."""
    space.memberships[membership.member_id] = membership
    payload = resources.membership(world.store, space, membership, for_app=True)
    world.events.membership_changed(space.name, "created", payload, source=source)
    return membership


def set_role(
    world: handling.World,
    space: st.Space,
    membership: st.Membership,
    role: st.Role,
    *,
    source: Source,
) -> st.Membership:
    """Change a role and emit ``membership.v1.updated`` (nothing when the role is unchanged)."""
    if membership.role == role:
        return membership
    changed = st.Membership(
        membership.member_id, membership.kind, role, membership.state, membership.create_time
    )
    space.memberships[membership.member_id] = changed
    payload = resources.membership(world.store, space, changed, for_app=True)
    world.events.membership_changed(space.name, "updated", payload, source=source)
    return changed


def remove(
    world: handling.World, space: st.Space, membership: st.Membership, *, source: Source
) -> None:
    """Drop a membership and emit ``membership.v1.deleted`` (name + NOT_A_MEMBER only)."""
    del space.memberships[membership.member_id]
    payload = resources.removed(space, membership.member_id)
    world.events.membership_changed(space.name, "deleted", payload, source=source)
