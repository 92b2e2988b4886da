"""A person's facts as the use cases read them from the Directory."""

from __future__ import annotations

from dataclasses import replace

from chatsync.app.deps import Deps
from chatsync.domain import errors
from chatsync.domain.model import Email, EmploymentStatus, Person


def person(deps: Deps, address: Email) -> Person:
    """The Directory's person; someone deleted from it holds no role anywhere."""
    try:
        return deps.directory.get_person(address)
    except errors.PersonNotFound:
        return Person(email=address, employment_status=EmploymentStatus.TERMINATED)


def with_groups(deps: Deps, someone: Person) -> Person:
    """``someone`` with the groups the Directory says they are in (none if unknown)."""
    try:
        groups = frozenset(deps.directory.groups_of(someone.email))
    except errors.PersonNotFound:
        groups = frozenset()
    return replace(someone, groups=groups)


def subjects(deps: Deps, address: Email) -> list[Person]:
    """The person at ``address``; or, when it is a group (an Admin audit log names nested groups
    and users alike), everyone in it; or, when neither exists, a deleted person."""
    try:
        return [deps.directory.get_person(address)]
    except errors.PersonNotFound:
        pass
    try:
        members = deps.directory.group_members(address)
    except errors.PersonNotFound:
        return [Person(email=address, employment_status=EmploymentStatus.TERMINATED)]
    return [person(deps, member) for member in sorted(members)]
