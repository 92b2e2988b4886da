"""SCIM resources in dirsync.hr.v1 words: a User becomes ``PersonFacts``, a Group an e-mail.

    User attribute                                   dirsync.hr.v1
    id                                               subject.person_id
    emails[primary/work] or userName (if e-mail)     subject.work_email (and the ordering key)
    active                                           person.employment_status (active/terminated)
    title                                            person.title
    addresses[primary/work].locality                 person.location
    enterprise employeeNumber                        subject.employee_number
    enterprise department / division / costCenter    person.department / division / cost_center
    enterprise organization                          person.custom.organization
    enterprise manager.value                         person.manager.person_id (+ work_email when
                                                     that user is provisioned here)
    (someone's manager here)                         person.is_people_manager
    userType                                         person.custom.user_type

A user with no e-mail address anywhere is kept (SCIM allows it) but announces nothing: chatsync
keys people by e-mail. Groups: ``displayName`` when it is an e-mail address, else
``externalId`` when it is one, else ``<displayName slug>@<group domain>`` when a domain is
configured, else the group announces nothing.

Pure: stdlib, scim2-models types only through duck-typed JSON (the stored body).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chatsync.domain.bridges.changes import Membership
from chatsync.domain.bridges.scim_schema import ENTERPRISE
from chatsync.domain.bridges.snapshots import PersonFacts, looks_like_email

UserLookup = Callable[[str], Mapping[str, Any] | None]
"""A stored User body by id (for managers and group members)."""


def _preferred(items: object, *, key: str) -> Mapping[str, Any] | None:
    """The primary entry, else the ``work`` one, else the first (RFC 7643 §2.4)."""
    if not isinstance(items, list):
        return None
    entries = [i for i in items if isinstance(i, Mapping) and i.get(key)]
    tests: tuple[Callable[[Mapping[str, Any]], bool], ...] = (
        lambda e: e.get("primary") is True,
        lambda e: str(e.get("type", "")).casefold() == "work",
        lambda e: True,
    )
    for test in tests:
        for entry in entries:
            if test(entry):
                return entry
    return None


def work_email(user: Mapping[str, Any]) -> str | None:
    """The address chatsync knows this person by, or None."""
    email = _preferred(
        [e for e in user.get("emails") or [] if looks_like_email(e.get("value"))],
        key="value",
    )
    if email is not None:
        return str(email["value"]).lower()
    name = user.get("userName")
    return name.lower() if looks_like_email(name) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def person_facts(
    user: Mapping[str, Any], *, lookup: UserLookup, is_people_manager: bool
) -> PersonFacts | None:
    """The User as a dirsync.hr.v1 person, or None when it has no e-mail address."""
    email = work_email(user)
    if email is None:
        return None
    enterprise: Mapping[str, Any] = user.get(ENTERPRISE) or {}
    manager_id = _text((enterprise.get("manager") or {}).get("value"))
    manager_email = None
    if manager_id is not None:
        manager = lookup(manager_id)
        manager_email = work_email(manager) if manager is not None else None
    address = _preferred(user.get("addresses"), key="locality")
    custom = {
        name: value
        for name, value in (
            ("organization", _text(enterprise.get("organization"))),
            ("user_type", _text(user.get("userType"))),
        )
        if value is not None
    }
    return PersonFacts(
        person_id=str(user["id"]),
        work_email=email,
        employment_status="active" if user.get("active", True) is not False else "terminated",
        employee_number=_text(enterprise.get("employeeNumber")),
        title=_text(user.get("title")),
        department=_text(enterprise.get("department")),
        division=_text(enterprise.get("division")),
        cost_center=_text(enterprise.get("costCenter")),
        location=_text(address.get("locality")) if address else None,
        is_people_manager=is_people_manager,
        manager_person_id=manager_id,
        manager_email=manager_email,
        custom=custom,
    )


_SLUG = re.compile(r"[^a-z0-9._-]+")


def group_email(group: Mapping[str, Any], *, domain: str | None) -> str | None:
    """The Google Group address a SCIM group stands for, or None (see the module docstring)."""
    for candidate in (group.get("displayName"), group.get("externalId")):
        if looks_like_email(candidate):
            return str(candidate).lower()
    name = _text(group.get("displayName"))
    if name is None or not domain:
        return None
    slug = _SLUG.sub("-", name.lower()).strip("-.")
    return f"{slug}@{domain.lower()}" if slug else None


def memberships(
    group: Mapping[str, Any],
    *,
    domain: str | None,
    lookup: UserLookup,
    lookup_group: UserLookup,
) -> list[Membership]:
    """The group's members that can be announced: users and groups with an e-mail address."""
    email = group_email(group, domain=domain)
    if email is None:
        return []
    out: list[Membership] = []
    for member in _members(group.get("members")):
        value = str(member["value"])
        kind = str(member.get("type") or "")
        user = None if kind.casefold() == "group" else lookup(value)
        if user is not None:
            address = work_email(user)
            if address is not None:
                out.append(Membership(email, value, address, "user", str(group["id"])))
            continue
        nested = lookup_group(value)
        if nested is not None:
            address = group_email(nested, domain=domain)
            if address is not None:
                out.append(Membership(email, value, address, "group", str(group["id"])))
    return sorted(set(out))


def _members(items: object) -> Iterable[Mapping[str, Any]]:
    if not isinstance(items, list):
        return []
    return [m for m in items if isinstance(m, Mapping) and m.get("value")]
