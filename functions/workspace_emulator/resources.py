"""Chat REST resources as JSON: Membership and Space, camelCase, canonical names."""

from __future__ import annotations

from typing import Any

from workspace_emulator import store as st


def membership(
    store: st.Store, space: st.Space, m: st.Membership, *, for_app: bool
) -> dict[str, Any]:
    """A Membership as the API returns it.

    ``member`` carries only ``name`` and ``type`` under user auth (the strict reading of the
    affinity rule); app auth also gets ``displayName``.
    """
    body: dict[str, Any] = {
        "name": f"{space.name}/members/{m.member_id}",
        "state": m.state,
        "role": m.role,
        "createTime": m.create_time,
    }
    if m.kind == "GROUP":
        body["groupMember"] = {"name": f"groups/{m.member_id}"}
        return body
    member: dict[str, Any] = {"name": f"users/{m.member_id}", "type": m.kind}
    if m.kind == "HUMAN":
        person = store.people.get(m.member_id)
        if for_app and person is not None:
            member["displayName"] = person.name
        body["affiliation"] = "EXTERNAL" if person is not None and person.external else "INTERNAL"
    elif for_app:
        app = store.apps.get(m.member_id)
        member["displayName"] = app.display_name if app else "app"
    body["member"] = member
    return body


def removed(space: st.Space, member_id: str) -> dict[str, Any]:
    """What delete answers and what a deleted event carries: name and NOT_A_MEMBER only."""
    return {"name": f"{space.name}/members/{member_id}", "state": "NOT_A_MEMBER"}


def space(s: st.Space, *, access: bool = True, permissions: bool = True) -> dict[str, Any]:
    """A Space as spaces.get/list/create return it.

    ``access``/``permissions`` False leave out ``accessSettings`` / ``permissionSettings``: what
    app authentication sees without ``chat.app.spaces``, or in a space the app did not create
    (see ``spaces_api.render``).
    """
    body: dict[str, Any] = {
        "name": s.name,
        "spaceType": s.space_type,
        "spaceThreadingState": "THREADED_MESSAGES"
        if s.space_type == "SPACE"
        else "UNTHREADED_MESSAGES",
        "spaceHistoryState": "HISTORY_ON",
        "externalUserAllowed": s.external_user_allowed,
        "membershipCount": s.membership_count(),
        "createTime": s.create_time,
        "spaceUri": f"https://chat.google.com/room/{s.space_id}",
    }
    if access:
        body["accessSettings"] = {"accessState": "PRIVATE"}
    if s.display_name:
        body["displayName"] = s.display_name
    if s.space_type == "SPACE" and permissions:
        body["permissionSettings"] = {
            "manageMembersAndGroups": _setting(s.manage_members),
            "viewSpaceMembership": _setting(s.view_members),
        }
    if s.space_type == "DIRECT_MESSAGE":
        body["singleUserBotDm"] = False
    return body


def _setting(audience: st.Audience) -> dict[str, bool]:
    """A ``PermissionSetting`` triple (``managersAllowed`` means Owners)."""
    roles = st.AUDIENCE_ROLES[audience]
    return {
        "managersAllowed": True,
        "assistantManagersAllowed": "ROLE_ASSISTANT_MANAGER" in roles,
        "membersAllowed": "ROLE_MEMBER" in roles,
    }


def message(store: st.Store, s: st.Space, m: st.Message) -> dict[str, Any]:
    """A Message as spaces.messages.create returns it (and the state endpoint shows it)."""
    sender: dict[str, Any] = {"name": m.sender, "type": m.sender_type}
    if m.sender_type == "BOT":
        sender["displayName"] = store.app.display_name
    body: dict[str, Any] = {
        "name": m.name,
        "sender": sender,
        "createTime": m.create_time,
        "thread": {"name": m.thread, **({"threadKey": m.thread_key} if m.thread_key else {})},
        "space": {"name": s.name, "spaceType": s.space_type},
    }
    if m.text is not None:
        body["text"] = m.text
        body["argumentText"] = m.text
    if m.cards:
        body["cardsV2"] = [dict(c) for c in m.cards]
    message_id = m.name.rpartition("/")[2]
    if message_id.startswith("client-"):
        body["clientAssignedMessageId"] = message_id
    return body
