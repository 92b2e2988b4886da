"""Which dirsync.hr.v1 event a change is: one table, read top to bottom.

    before          after                  event
    (none)          active                 person.hired
    (none)          not active             nothing (chatsync has nothing to grant)
    terminated      active                 person.rehired
    leave           active                 person.leave_ended
    pre_hire        active                 person.hired
    active          leave                  person.leave_started
    not terminated  terminated             person.terminated
    same status     org fact changed       person.transferred     department, division,
                                                                  cost_center, location,
                                                                  org_unit_path
    same status     job fact changed       person.job_changed     title, job_level,
                                                                  is_people_manager
    same status     manager changed        person.manager_changed
    same status     anything else          person.updated         work_email, employee_number,
                                                                  dates, custom
    identical       identical              nothing                a retry of the same request

The first matching row wins, so a transfer that also changes the title is one
``person.transferred`` event whose ``changed_fields`` lists both; the consumer recomputes
roles from the full snapshot anyway, the type is for people reading logs.

Group membership diffs are sets of ``(group e-mail, member id, member e-mail, member type)``:
what was announced minus what is now is removed, the other way round is added.

Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatsync.domain.bridges.snapshots import PersonFacts, facts_view

ORG_FACTS = frozenset({"department", "division", "cost_center", "location", "org_unit_path"})
JOB_FACTS = frozenset({"title", "job_level", "is_people_manager"})
MANAGER_FACTS = frozenset({"manager"})


@dataclass(frozen=True, slots=True)
class PersonChange:
    """One person event to publish: its type, the new snapshot, and what moved."""

    event_type: str
    facts: PersonFacts
    changed_fields: tuple[str, ...]
    previous: Mapping[str, Any]


@dataclass(frozen=True, slots=True, order=True)
class Membership:
    """One member of one group, as announced to chatsync."""

    group_email: str
    member_id: str
    member_email: str
    member_type: str = "user"
    group_id: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "group_email": self.group_email,
            "member_id": self.member_id,
            "member_email": self.member_email,
            "member_type": self.member_type,
            "group_id": self.group_id,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Membership:
        return cls(
            group_email=str(doc["group_email"]),
            member_id=str(doc["member_id"]),
            member_email=str(doc["member_email"]),
            member_type=str(doc.get("member_type") or "user"),
            group_id=str(doc.get("group_id") or ""),
        )


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """One group event to publish."""

    added: bool
    membership: Membership

    @property
    def event_type(self) -> str:
        return "group.member_added" if self.added else "group.member_removed"


def classify(before: PersonFacts | None, after: PersonFacts) -> PersonChange | None:
    """The event that turns *before* into *after*, or None when nothing is worth announcing."""
    now = after.employment_status
    if before is None:
        if now != "active":
            return None
        return PersonChange("person.hired", after, ("employment_status",), {})
    old_view, new_view = facts_view(before), facts_view(after)
    changed = tuple(
        sorted(k for k in old_view.keys() | new_view.keys() if old_view.get(k) != new_view.get(k))
    )
    if not changed:
        return None
    previous = {k: old_view[k] for k in changed if k in old_view}
    was = before.employment_status
    if was != now:
        event_type = _status_event(was, now)
    elif ORG_FACTS.intersection(changed):
        event_type = "person.transferred"
    elif JOB_FACTS.intersection(changed):
        event_type = "person.job_changed"
    elif MANAGER_FACTS.intersection(changed):
        event_type = "person.manager_changed"
    else:
        event_type = "person.updated"
    return PersonChange(event_type, after, changed, previous)


def _status_event(was: str, now: str) -> str:
    if now == "terminated":
        return "person.terminated"
    if now == "leave":
        return "person.leave_started" if was == "active" else "person.updated"
    if now == "active":
        return {
            "terminated": "person.rehired",
            "leave": "person.leave_ended",
            "pre_hire": "person.hired",
        }.get(was, "person.updated")
    return "person.updated"


def membership_changes(
    announced: Iterable[Membership], current: Iterable[Membership]
) -> list[MembershipChange]:
    """Removals first, then additions, each sorted: a deterministic order for deterministic ids."""
    old, new = set(announced), set(current)
    return [MembershipChange(False, m) for m in sorted(old - new)] + [
        MembershipChange(True, m) for m in sorted(new - old)
    ]
