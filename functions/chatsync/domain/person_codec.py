"""A person as a JSON-ready dict and back: the snapshot HR events leave in the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from enum import Enum
from typing import Any

from chatsync.domain.model import Account, Email, EmploymentStatus, Person


def to_dict(person: Person) -> dict[str, Any]:
    """A JSON-ready snapshot (for the store)."""
    data: dict[str, Any] = {}
    for f in fields(Person):
        value = getattr(person, f.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        data[f.name] = value
    return data


def from_dict(data: Mapping[str, Any]) -> Person:
    known = {f.name for f in fields(Person)}
    values = {k: v for k, v in data.items() if k in known}
    values["email"] = Email(str(values["email"]))
    values["employment_status"] = EmploymentStatus(values.get("employment_status", "active"))
    values["account"] = Account(values.get("account", "active"))
    values["groups"] = frozenset(Email(g) for g in values.get("groups") or ())
    values["custom"] = dict(values.get("custom") or {})
    return Person(**values)
