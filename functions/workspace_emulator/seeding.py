"""Seeds: the JSON/YAML world description, loaded into a :class:`~workspace_emulator.store.Store`.

The format is documented in ``docs/emulator.md``. Loading is eager and strict: a bad seed raises
:class:`SeedError` naming the path of the offending field (``spaces[2].members[0].role: ...``).
:func:`snapshot` renders a store back as the JSON ``GET /emulator/v1/state`` answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from workspace_emulator import resources
from workspace_emulator import store as st
from workspace_emulator import tenant as tn

DEFAULT_APP_ID = "900000000001"
SEED_ROLES: dict[str, st.Role] = {
    "owner": "ROLE_MANAGER",
    "manager": "ROLE_ASSISTANT_MANAGER",
    "member": "ROLE_MEMBER",
    "role_manager": "ROLE_MANAGER",
    "role_assistant_manager": "ROLE_ASSISTANT_MANAGER",
    "role_member": "ROLE_MEMBER",
}
"""Seed role names: chatsync's words and the API enums (owner = ROLE_MANAGER, UI "Owner")."""

SEED_TIME = "2024-01-01T00:00:00.000000Z"


class SeedError(ValueError):
    """A seed that cannot be loaded; the message starts with the field path."""


def read(seed: Mapping[str, Any] | str | Path | None) -> dict[str, Any]:
    """The seed as a dict: a dict as is, a path read as YAML (JSON is YAML), None → empty."""
    if seed is None:
        return {}
    if isinstance(seed, Mapping):
        return dict(seed)
    path = Path(seed)
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        msg = f"{path}: a seed must be a mapping at the top level, found {type(loaded).__name__}"
        raise SeedError(msg)
    return cast(dict[str, Any], loaded)


def load(seed: Mapping[str, Any]) -> st.Store:
    """Build a fresh store from a seed dict."""
    domains = tuple(str(d).lower() for d in seed.get("domains", ["example.com"]))
    app_seed = seed.get("app") or {}
    app_name = str(app_seed.get("name", ""))
    app_id = str(app_seed.get("id", "")) or (
        app_name.split("/", 1)[1]
        if app_name.startswith("users/") and app_name[6:].isdigit()
        else DEFAULT_APP_ID
    )
    app = st.App(
        id=app_id, display_name=str(app_seed.get("display_name", "chatsync")), calling=True
    )
    try:
        tenant = tn.load(seed)
    except tn.TenantSeedError as exc:
        raise SeedError(str(exc)) from exc
    order_seed = seed.get("order_seed", 0)
    if not isinstance(order_seed, int) or isinstance(order_seed, bool):
        raise SeedError(f"order_seed: expected an integer, found {order_seed!r}")
    store = st.Store(
        customer=str(seed.get("customer", "C0emulator")),
        domains=domains,
        app=app,
        tenant=tenant,
        order_seed=order_seed,
    )
    store.apps[app.id] = app
    directory = seed.get("directory") or {}
    for i, user in enumerate(directory.get("users") or []):
        person = _person(user, store, f"directory.users[{i}]")
        store.people[person.id] = person
    for i, group in enumerate(directory.get("groups") or []):
        loaded = _group(group, f"directory.groups[{i}]")
        store.groups[loaded.id] = loaded
    for bot in seed.get("apps") or []:
        other = st.App(id=str(bot["id"]), display_name=str(bot.get("display_name", bot["id"])))
        store.apps[other.id] = other
    for i, space in enumerate(seed.get("spaces") or []):
        loaded_space = _space(space, store, f"spaces[{i}]")
        store.spaces[loaded_space.name] = loaded_space
    return store


def _person(raw: Mapping[str, Any], store: st.Store, where: str) -> st.Person:
    email = raw.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SeedError(f"{where}.email: expected an email address, found {email!r}")
    return st.Person(
        id=str(raw.get("id") or st.derived_id(email)),
        email=email,
        name=str(raw.get("name", email.split("@")[0])),
        external=not store.is_internal_email(email),
        admin=bool(raw.get("admin", False)),
        suspended=bool(raw.get("suspended", False)),
        archived=bool(raw.get("archived", False)),
        auto_accept=bool(raw.get("auto_accept", True)),
        org_unit_path=str(raw.get("org_unit_path", "/")),
        title=raw.get("title"),
        department=raw.get("department"),
        cost_center=raw.get("cost_center"),
        location=raw.get("location"),
        manager=raw.get("manager"),
        custom=dict(raw.get("custom") or {}),
    )


def _group(raw: Mapping[str, Any], where: str) -> st.Group:
    email = raw.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SeedError(f"{where}.email: expected a group address, found {email!r}")
    members = []
    for j, entry in enumerate(raw.get("members") or []):
        member = {"email": entry} if isinstance(entry, str) else entry
        kind = str(member.get("type", "USER")).upper()
        role = str(member.get("role", "MEMBER")).upper()
        if kind not in ("USER", "GROUP") or role not in ("OWNER", "MANAGER", "MEMBER"):
            msg = f"{where}.members[{j}]: type must be USER|GROUP and role OWNER|MANAGER|MEMBER"
            raise SeedError(msg)
        members.append(
            st.GroupMember(
                email=str(member["email"]),
                role=cast(Any, role),
                type=cast(Any, kind),
                status=str(member.get("status", "ACTIVE")),
            )
        )
    return st.Group(
        id=str(raw.get("id") or st.derived_id(email, prefix="0")),
        email=email,
        name=str(raw.get("name", email)),
        members=tuple(members),
    )


def _space(raw: Mapping[str, Any], store: st.Store, where: str) -> st.Space:
    name = str(raw.get("name", ""))
    if not name.startswith("spaces/") or "/" in name[7:] or len(name) == 7:
        raise SeedError(f"{where}.name: expected 'spaces/<id>', found {name!r}")
    space_type = str(raw.get("type", raw.get("space_type", "SPACE"))).upper()
    if space_type not in ("SPACE", "GROUP_CHAT", "DIRECT_MESSAGE"):
        raise SeedError(f"{where}.type: expected SPACE|GROUP_CHAT|DIRECT_MESSAGE")
    space = st.Space(
        name=name,
        space_type=cast(st.SpaceType, space_type),
        display_name=str(raw.get("display_name", "")),
        created_by=str(raw.get("created_by", "app")),
        create_time=SEED_TIME,
        external_user_allowed=bool(raw.get("external_user_allowed", True)),
        manage_members=cast(Any, raw.get("manage_members", "managers")),
        view_members=_audience(raw.get("view_members", "members"), f"{where}.view_members"),
    )
    for j, member in enumerate(raw.get("members") or []):
        membership = _membership(member, store, space, f"{where}.members[{j}]")
        space.memberships[membership.member_id] = membership
    return space


def _audience(raw: object, where: str) -> st.Audience:
    value = str(raw).lower()
    if value not in st.AUDIENCE_ROLES:
        raise SeedError(f"{where}: expected owners|managers|members, found {raw!r}")
    return cast(st.Audience, value)


def _membership(
    raw: Mapping[str, Any], store: st.Store, space: st.Space, where: str
) -> st.Membership:
    state = cast(st.State, str(raw.get("state", "joined")).upper())
    if state not in ("JOINED", "INVITED"):
        raise SeedError(f"{where}.state: expected joined|invited")
    if "group" in raw:
        group = store.group_by_key(str(raw["group"]))
        if group is None:
            raise SeedError(f"{where}.group: no directory group {raw['group']!r}")
        return st.Membership(group.id, "GROUP", "MEMBERSHIP_ROLE_UNSPECIFIED", state, SEED_TIME)
    role = _role(raw.get("role", "member"), space, where)
    if "bot" in raw:
        return st.Membership(str(raw["bot"]), "BOT", "ROLE_MEMBER", state, SEED_TIME)
    user = str(raw.get("user", ""))
    if user in ("app", "users/app"):
        return st.Membership(store.app.id, "BOT", "ROLE_MEMBER", state, SEED_TIME)
    person = store.person_for_email(user) if "@" in user else store.people.get(user)
    if person is None:
        raise SeedError(f"{where}.user: {user!r} is not in the directory (and is in-domain)")
    return st.Membership(person.id, "HUMAN", role, state, SEED_TIME)


def _role(raw: object, space: st.Space, where: str) -> st.Role:
    role = SEED_ROLES.get(str(raw).lower())
    if role is None:
        raise SeedError(f"{where}.role: expected owner|manager|member, found {raw!r}")
    if role != "ROLE_MEMBER" and space.space_type != "SPACE":
        raise SeedError(f"{where}.role: only SPACE spaces have owners and managers")
    return role


def snapshot(store: st.Store) -> dict[str, Any]:
    """Every space with its memberships, and the directory, as plain JSON."""
    with store.lock:
        return {
            "customer": store.customer,
            "domains": list(store.domains),
            "app": {
                "name": f"users/{store.app.id}",
                "displayName": store.app.display_name,
                "approvedScopes": sorted(store.tenant.approved_scopes),
            },
            "serviceAccounts": [
                {
                    "email": a.email,
                    "clientId": a.client_id,
                    "chatApp": a.chat_app,
                    "tokenCreators": sorted(a.token_creators),
                }
                for a in store.tenant.accounts.values()
            ],
            "domainWideDelegation": {
                key: sorted(scopes) for key, scopes in store.tenant.delegation.items()
            },
            "spaces": [_space_json(store, s) for s in store.spaces.values()],
            "directory": {
                "users": [_person_json(p) for p in store.people.values()],
                "groups": [
                    {
                        "id": g.id,
                        "email": g.email,
                        "name": g.name,
                        "members": [
                            {"email": m.email, "role": m.role, "type": m.type} for m in g.members
                        ],
                    }
                    for g in store.groups.values()
                ],
            },
        }


def _space_json(store: st.Store, space: st.Space) -> dict[str, Any]:
    memberships = []
    for m in space.memberships.values():
        entry: dict[str, Any] = {
            "name": f"{space.name}/members/{m.member_id}",
            "kind": m.kind,
            "role": m.role,
            "state": m.state,
            "createTime": m.create_time,
        }
        if m.kind == "HUMAN":
            person = store.people.get(m.member_id)
            entry["user"] = f"users/{m.member_id}"
            entry["email"] = person.email if person else None
        elif m.kind == "GROUP":
            group = store.groups.get(m.member_id)
            entry["group"] = f"groups/{m.member_id}"
            entry["email"] = group.email if group else None
        else:
            entry["user"] = f"users/{m.member_id}"
            entry["app"] = m.member_id == store.app.id
        memberships.append(entry)
    return {
        "name": space.name,
        "displayName": space.display_name,
        "spaceType": space.space_type,
        "createdBy": space.created_by,
        "createdByApp": space.created_by == "app",
        "appMember": store.app_is_member(space),
        "viewMembers": space.view_members,
        "membershipCount": space.membership_count(),
        "memberships": memberships,
        "messages": [resources.message(store, space, m) for m in space.messages],
    }


def _person_json(p: st.Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "email": p.email,
        "name": p.name,
        "external": p.external,
        "admin": p.admin,
        "suspended": p.suspended,
        "archived": p.archived,
        "autoAccept": p.auto_accept,
    }
