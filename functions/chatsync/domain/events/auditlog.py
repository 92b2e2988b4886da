"""Google Workspace audit logs routed by an organization log sink to Pub/Sub.

The message data is a Cloud Logging ``LogEntry`` (event-sources.md §2a). Two streams matter:

* Admin audit (``protoPayload.serviceName = "admin.googleapis.com"``, method
  ``google.admin.AdminService.<event>``): the Reports event and its parameters sit in
  ``protoPayload.metadata.event[]``. Group member added / removed / updated -> ``GroupEvent``;
  a user created, suspended, deleted, renamed, moved to another org unit, with changed
  organization data (title, department...), custom fields or relations (a new manager:
  ``changeUserRelation``, the Reports event CHANGE_USER_RELATION of the user settings
  catalogue; its methodName follows the same lowerCamel rule, UNCONFIRMED from a captured entry)
  -> ``DirectoryUserEvent``. The Admin audit log does not say whether a group member is a user
  or a nested group: the pipeline looks the address up (``app.facts.subjects``) and a group
  stands for everyone in it.
* Enterprise Groups audit (``cloudidentity.googleapis.com``,
  ``...groups.v1.MembershipsService.*``): ``metadata.group`` and ``metadata.membershipDelta``
  (``member`` and ``roleDeltas`` ADD/REMOVE) -> ``GroupEvent``.

A user event only says *who* to look at: the person's facts are re-read from the Directory by
the pipeline, never guessed from ``OLD_VALUE``/``NEW_VALUE`` (their format is not documented).
The idempotency key is ``activityId.timeUsec:uniqQualifier`` for Admin entries, else the
entry's ``insertId``. An entry of either service with a method chatsync does not act on is left
unclaimed, so the envelope rejects it as an unsupported source naming the method.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from chatsync.domain import model
from chatsync.domain.events import fields, raw, types

ADMIN = "admin.googleapis.com"
CLOUD_IDENTITY = "cloudidentity.googleapis.com"
ADMIN_METHOD = "google.admin.AdminService."
MEMBERSHIPS_METHOD = "google.apps.cloudidentity.groups.v1.MembershipsService."

GROUP_METHODS: Mapping[str, str] = {
    "addGroupMember": "group.member_added",
    "removeGroupMember": "group.member_removed",
    "updateGroupMember": "group.member_role_changed",
}
"""Admin group methods -> the normalized ``GroupEvent`` type."""

USER_METHODS: Mapping[str, str] = {
    "createUser": "created",
    "suspendUser": "suspended",
    "unsuspendUser": "unsuspended",
    "deleteUser": "deleted",
    "undeleteUser": "undeleted",
    "archiveUser": "archived",
    "unarchiveUser": "unarchived",
    "renameUser": "renamed",
    "moveUserToOrgUnit": "moved_org_unit",
    "changeUserOrganization": "organization_changed",
    "changeUserCustomField": "custom_field_changed",
    "changeUserRelation": "relation_changed",
}
"""Admin user methods -> ``DirectoryUserEvent.change``; every one means "re-read this user"."""

MEMBERSHIP_METHODS = ("CreateMembership", "UpdateMembership", "DeleteMembership")
GROUP_ROLES = ("MEMBER", "MANAGER", "OWNER")
_DATA = "message.data"
_PROTO = "message.data.protoPayload"
_META = "message.data.protoPayload.metadata"


def matches(message: raw.RawMessage) -> bool:
    """Ours when the data is an audit LogEntry of a method this module decodes."""
    if "schema" in message.attributes or "ce-type" in message.attributes:
        return False
    payload = message.json_object()
    proto = payload.get("protoPayload") if payload is not None else None
    if not isinstance(proto, Mapping):
        return False
    service, method = proto.get("serviceName"), proto.get("methodName")
    if not isinstance(method, str):
        return False
    if service == ADMIN and method.startswith(ADMIN_METHOD):
        name = method.removeprefix(ADMIN_METHOD)
        return name in GROUP_METHODS or name in USER_METHODS
    if service == CLOUD_IDENTITY and method.startswith(MEMBERSHIPS_METHOD):
        return method.removeprefix(MEMBERSHIPS_METHOD) in MEMBERSHIP_METHODS
    return False


def decode(message: raw.RawMessage) -> tuple[types.Event, ...]:
    """Decode one audit LogEntry into group or user events."""
    where = message.where
    entry = fields.mapping(message.json(where), _DATA, where)
    proto = fields.child(entry, "protoPayload", _DATA, where)
    method = fields.string(proto, "methodName", _PROTO, where)
    where = where.typed(method)
    occurred_at = fields.timestamp(entry, "timestamp", _DATA, where)
    if fields.string(proto, "serviceName", _PROTO, where) == CLOUD_IDENTITY:
        return (
            _membership(
                message, entry, proto=proto, method=method, occurred_at=occurred_at, where=where
            ),
        )
    return _admin(message, entry, proto=proto, method=method, occurred_at=occurred_at, where=where)


# -- Admin audit ----------------------------------------------------------------------------------


def _admin(
    message: raw.RawMessage,
    entry: Mapping[str, object],
    *,
    proto: Mapping[str, object],
    method: str,
    occurred_at: datetime,
    where: fields.Where,
) -> tuple[types.Event, ...]:
    metadata = fields.child(proto, "metadata", _PROTO, where)
    base_id = _admin_event_id(entry, metadata, where)
    name = method.removeprefix(ADMIN_METHOD)
    wanted = _reports_name(name)
    items = metadata.get("event")
    if not isinstance(items, list) or not items:
        raise where.fail(f"{_META}.event", "expected a non-empty array of Reports events")
    out: list[types.Event] = []
    for i, item in enumerate(items):
        path = f"{_META}.event[{i}]"
        event = fields.mapping(item, path, where)
        if fields.string(event, "eventName", path, where) != wanted:
            continue  # another event of the same activity: not this method's
        params = _parameters(event, path, where)
        event_id = base_id if len(items) == 1 else f"{base_id}#{i}"
        user = _param_email(params, "USER_EMAIL", path, where)
        if name in GROUP_METHODS:
            event_type = GROUP_METHODS[name]
            meta = message.meta(
                event_id=event_id,
                event_type=event_type,
                occurred_at=occurred_at,
                source_system="google-admin-audit",
            )
            out.append(
                types.GroupEvent(
                    meta=meta,
                    group_email=_param_email(params, "GROUP_EMAIL", path, where),
                    member_email=user,
                    # Admin audit does not say whether USER_EMAIL is a user or a nested group.
                    member_type="user",
                    added=event_type != "group.member_removed",
                )
            )
            continue
        change = USER_METHODS[name]
        if change == "renamed" and "NEW_VALUE" in params:
            user = _param_email(params, "NEW_VALUE", path, where)  # the address that exists now
        meta = message.meta(
            event_id=event_id,
            event_type=f"user.{change}",
            occurred_at=occurred_at,
            source_system="google-admin-audit",
        )
        out.append(types.DirectoryUserEvent(meta=meta, email=user, change=change))
    if not out:
        raise where.fail(f"{_META}.event", f"no {wanted} event in the entry")
    return tuple(out)


def _reports_name(method: str) -> str:
    """``addGroupMember`` -> ``ADD_GROUP_MEMBER`` (the Reports API event name)."""
    return "".join("_" + c if c.isupper() else c.upper() for c in method).lstrip("_")


def _admin_event_id(
    entry: Mapping[str, object], metadata: Mapping[str, object], where: fields.Where
) -> str:
    activity = metadata.get("activityId")
    if isinstance(activity, Mapping):
        usec, qualifier = activity.get("timeUsec"), activity.get("uniqQualifier")
        if isinstance(usec, str | int) and isinstance(qualifier, str | int):
            return f"{usec}:{qualifier}"
    return fields.string(entry, "insertId", _DATA, where)


def _parameters(
    event: Mapping[str, object], path: str, where: fields.Where
) -> Mapping[str, object]:
    params = event.get("parameter")
    if not isinstance(params, list):
        raise where.fail(f"{path}.parameter", f"expected an array, got {fields.kind_of(params)}")
    out: dict[str, object] = {}
    for i, item in enumerate(params):
        param = fields.mapping(item, f"{path}.parameter[{i}]", where)
        name = fields.string(param, "name", f"{path}.parameter[{i}]", where)
        out[name] = param.get("value")
    return out


def _param_email(
    params: Mapping[str, object], name: str, path: str, where: fields.Where
) -> model.Email:
    return fields.checked(params, name, f"{path}.parameter", where, model.email)


# -- Enterprise Groups audit ----------------------------------------------------------------------


def _membership(
    message: raw.RawMessage,
    entry: Mapping[str, object],
    *,
    proto: Mapping[str, object],
    method: str,
    occurred_at: datetime,
    where: fields.Where,
) -> types.GroupEvent:
    metadata = fields.child(proto, "metadata", _PROTO, where)
    group = _prefixed(metadata, "group", "group", _META, where)
    delta = fields.child(metadata, "membershipDelta", _META, where)
    delta_path = f"{_META}.membershipDelta"
    member_value = fields.string(delta, "member", delta_path, where)
    member_type = member_value.partition(":")[0] if ":" in member_value else "user"
    if member_type not in ("user", "group"):
        raise where.fail(
            f"{delta_path}.member",
            f"{fields.show(member_value)} is not 'user:<email>' or 'group:<email>'",
        )
    member = _prefixed(delta, "member", member_type, delta_path, where)
    added, role, event_type = _role_deltas(delta, method, delta_path, where)
    meta = message.meta(
        event_id=fields.string(entry, "insertId", _DATA, where),
        event_type=event_type,
        occurred_at=occurred_at,
        source_system="cloudidentity-audit",
    )
    return types.GroupEvent(
        meta=meta,
        group_email=group,
        member_email=member,
        member_type=member_type,
        added=added,
        role=role,
    )


def _prefixed(
    obj: Mapping[str, object], key: str, prefix: str, path: str, where: fields.Where
) -> model.Email:
    """``group:eng@example.com`` (or a bare address) -> the email."""
    value = fields.string(obj, key, path, where)
    address = value.removeprefix(f"{prefix}:")
    try:
        return model.email(address)
    except ValueError as exc:
        raise where.fail(f"{path}.{key}", str(exc)) from None


def _role_deltas(
    delta: Mapping[str, object], method: str, path: str, where: fields.Where
) -> tuple[bool, str, str]:
    """(still a member?, the member's highest added role, the normalized event type).

    Removing MEMBER ends the membership; adding MEMBER starts it; any other delta is a role
    change of a member. Without deltas the method decides (Create / Delete).
    """
    raw_deltas = delta.get("roleDeltas") or []
    if not isinstance(raw_deltas, list):
        raise where.fail(
            f"{path}.roleDeltas", f"expected an array, got {fields.kind_of(raw_deltas)}"
        )
    changes: set[tuple[str, str]] = set()
    for i, item in enumerate(raw_deltas):
        item_path = f"{path}.roleDeltas[{i}]"
        d = fields.mapping(item, item_path, where)
        action = fields.one_of(d, "action", item_path, where, ("ADD", "REMOVE"))
        changes.add((action, fields.one_of(d, "role", item_path, where, GROUP_ROLES)))
    added_roles = [r for r in GROUP_ROLES if ("ADD", r) in changes]
    role = added_roles[-1] if added_roles else "MEMBER"
    if ("REMOVE", "MEMBER") in changes:
        return False, "MEMBER", "group.member_removed"
    if ("ADD", "MEMBER") in changes:
        return True, role, "group.member_added"
    if changes:
        return True, role, "group.member_role_changed"
    if method.endswith("CreateMembership"):
        return True, role, "group.member_added"
    if method.endswith("DeleteMembership"):
        return False, role, "group.member_removed"
    raise where.fail(f"{path}.roleDeltas", "missing: the entry does not say what changed")


ADAPTER = raw.Adapter(name="workspace-audit-log", matches=matches, decode=decode)
