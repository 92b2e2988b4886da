"""Changes to the emulated Directory, as Workspace itself would show them after an HR update
or a Google Group change: the demo and tests use them before posting the matching event."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from workspace_emulator import store as st

_FIELDS = {
    "title": "title",
    "department": "department",
    "cost_center": "cost_center",
    "location": "location",
    "org_unit_path": "org_unit_path",
}
_CUSTOM = ("job_level", "is_people_manager", "employment_status", "division")


def update_user(store: st.Store, email: str, snapshot: Mapping[str, Any]) -> st.Person:
    """Apply an HR snapshot (``dirsync.hr.v1`` ``person``) to the directory user ``email``.

    Fields the snapshot names replace the user's; custom HR attributes go to the ``HR`` custom
    schema; ``terminated`` suspends the account.
    """
    with store.lock:
        person = store.person_by_email(email)
        if person is None:
            raise KeyError(f"directory has no user {email!r}")
        changes: dict[str, Any] = {
            attr: snapshot[key] for key, attr in _FIELDS.items() if key in snapshot
        }
        manager = snapshot.get("manager")
        if isinstance(manager, Mapping) and manager.get("work_email"):
            changes["manager"] = str(manager["work_email"])
        custom = {schema: dict(values) for schema, values in person.custom.items()}
        hr = custom.setdefault("HR", {})
        for key in _CUSTOM:
            if key in snapshot:
                hr[key] = snapshot[key]
        changes["custom"] = custom
        if snapshot.get("employment_status") == "terminated":
            changes["suspended"] = True
        updated = dataclasses.replace(person, **changes)
        store.people[person.id] = updated
        return updated


def set_account(
    store: st.Store, email: str, *, suspended: bool | None = None, archived: bool | None = None
) -> st.Person:
    """Suspend or archive the directory user ``email`` (None leaves a flag as it is)."""
    with store.lock:
        person = store.person_by_email(email)
        if person is None:
            raise KeyError(f"directory has no user {email!r}")
        changes = {
            name: value
            for name, value in (("suspended", suspended), ("archived", archived))
            if value is not None
        }
        updated = dataclasses.replace(person, **changes)  # type: ignore[arg-type]
        store.people[person.id] = updated
        return updated


def set_group_member(
    store: st.Store, group: str, member: str, *, added: bool, kind: str = "USER"
) -> st.Group:
    """Add ``member`` to, or remove it from, the direct members of ``group``."""
    with store.lock:
        found = store.group_by_key(group)
        if found is None:
            raise KeyError(f"directory has no group {group!r}")
        others = tuple(m for m in found.members if m.email.lower() != member.lower())
        members = (*others, st.GroupMember(email=member, type=kind)) if added else others  # type: ignore[arg-type]
        updated = dataclasses.replace(found, members=members)
        store.groups[found.id] = updated
        return updated
