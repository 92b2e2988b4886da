"""What a bridge knows about one person, in ``dirsync.hr.v1`` words, before it is an event.

Both bridges reduce their input to a ``PersonFacts``: the SCIM bridge from a User resource, the
webhook bridge from the vendor record a mapping file describes. ``announcing`` keeps the last one
it announced per person and diffs the next one against it, so the event type and
``changed_fields`` come from one comparison whatever the source.

Pure: no I/O, stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeGuard

STATUSES = ("active", "leave", "terminated", "pre_hire")
"""The ``person.employment_status`` values of dirsync.hr.v1 (schemas/hr-event.v1.json)."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
"""The schema's own e-mail pattern; chatsync.domain.events validates more strictly on the way in."""

STRING_FACTS = (
    "title",
    "job_level",
    "department",
    "division",
    "cost_center",
    "location",
    "org_unit_path",
    "start_date",
    "end_date",
)


def looks_like_email(value: object) -> TypeGuard[str]:
    """True when *value* is a string the dirsync.hr.v1 schema accepts as an e-mail address."""
    return isinstance(value, str) and bool(EMAIL.fullmatch(value))


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """The full snapshot of one person after a change: ``subject`` plus ``person`` of an event.

    Optional facts are ``None`` when the source does not carry them; the event leaves them out
    rather than sending nulls, so a source that never knows a field never "changes" it.
    """

    person_id: str
    work_email: str
    employment_status: str
    employee_number: str | None = None
    title: str | None = None
    job_level: str | None = None
    department: str | None = None
    division: str | None = None
    cost_center: str | None = None
    location: str | None = None
    org_unit_path: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    is_people_manager: bool | None = None
    manager_person_id: str | None = None
    manager_email: str | None = None
    custom: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.person_id:
            raise ValueError("person_id: missing")
        if not looks_like_email(self.work_email):
            raise ValueError(f"work_email: {self.work_email!r} is not an e-mail address")
        if self.employment_status not in STATUSES:
            raise ValueError(
                f"employment_status: {self.employment_status!r} is not one of {', '.join(STATUSES)}"
            )
        if self.manager_email is not None and not looks_like_email(self.manager_email):
            raise ValueError(f"manager_email: {self.manager_email!r} is not an e-mail address")
        object.__setattr__(self, "work_email", self.work_email.lower())
        if self.manager_email is not None:
            object.__setattr__(self, "manager_email", self.manager_email.lower())
        object.__setattr__(self, "custom", dict(sorted(self.custom.items())))

    def with_status(self, status: str) -> PersonFacts:
        """The same person with another employment status (a delete becomes a termination)."""
        return replace(self, employment_status=status)

    def person_json(self) -> dict[str, Any]:
        """The ``person`` object of a dirsync.hr.v1 event: only the facts the source knows."""
        out: dict[str, Any] = {"employment_status": self.employment_status}
        for name in STRING_FACTS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.is_people_manager is not None:
            out["is_people_manager"] = self.is_people_manager
        manager = self.manager_json()
        if manager is not None:
            out["manager"] = manager
        if self.custom:
            out["custom"] = dict(self.custom)
        return out

    def manager_json(self) -> dict[str, str] | None:
        manager: dict[str, str] = {}
        if self.manager_person_id is not None:
            manager["person_id"] = self.manager_person_id
        if self.manager_email is not None:
            manager["work_email"] = self.manager_email
        return manager or None

    def subject_json(self) -> dict[str, str]:
        """The ``subject`` object of a dirsync.hr.v1 event."""
        subject = {"person_id": self.person_id, "work_email": self.work_email}
        if self.employee_number is not None:
            subject["employee_number"] = self.employee_number
        return subject

    def to_json(self) -> dict[str, Any]:
        """Everything, for a store; ``from_json`` reads it back."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["custom"] = dict(self.custom)
        return out

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PersonFacts:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})


def facts_view(facts: PersonFacts) -> dict[str, Any]:
    """The comparable view of a person: what ``changes.classify`` diffs field by field."""
    view = facts.person_json()
    view["work_email"] = facts.work_email
    if facts.employee_number is not None:
        view["employee_number"] = facts.employee_number
    return view
