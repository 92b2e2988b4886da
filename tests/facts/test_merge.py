"""``domain.facts.merge``: the latest HR snapshot and the Directory, per attribute, with where
each fact came from. Pure: no emulator, no store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

import pytest

from chatsync.domain.facts import (
    DirectoryRead,
    GroupChange,
    HrSnapshot,
    Policy,
    Source,
    merge,
)
from chatsync.domain.model import Account, Email, EmploymentStatus, Person
from chatsync.domain.rules import evaluate, load_rules
from conftest import DEMO_RULES

pytestmark = pytest.mark.facts

RULES = load_rules(DEMO_RULES)
TOM = Email("tom.berg@example.com")
LISBON = Email("lisbon-office@example.com")
HR_AT = datetime(2026, 11, 5, 9, tzinfo=UTC).timestamp()
READ_AT = datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp()

DIRECTORY = Person(
    email=TOM,
    title="Software Engineer",
    job_level="IC3",
    department="Platform",
    location="Berlin",
    org_unit_path="/Engineering/Platform",
    google_user_id="1001",
    custom={"badge": "B-7", "job_level": "IC3"},
    groups=frozenset({LISBON}),
)
PROMOTED = Person(
    email=TOM,
    title="Engineering Manager",
    job_level="M1",
    department="Platform",
    is_people_manager=True,
    org_unit_path="/Somewhere/Else",
    person_id="hr-tom",
    custom={"job_level": "M1"},
)


def hr(person: Person = PROMOTED, *, sequence: int = 5) -> HrSnapshot:
    return HrSnapshot(person, "lib-hr-0004", HR_AT, sequence)


def directory(person: Person | None = DIRECTORY) -> DirectoryRead:
    return DirectoryRead(person, READ_AT)


def roles(person: Person) -> dict[str, str | None]:
    return {d.space: d.role.value if d.role else None for d in evaluate(RULES, person)}


def test_hr_owns_the_job_the_directory_owns_the_org_unit_and_groups() -> None:
    """By default the HR snapshot decides title, level and manager flag; the Directory the org
    unit, groups and user id; a field HR leaves empty (location) comes from the Directory."""
    facts = merge(TOM, hr(), directory(), now=READ_AT)
    person = facts.person

    assert (person.title, person.job_level, person.is_people_manager) == (
        "Engineering Manager",
        "M1",
        True,
    )
    assert person.org_unit_path == "/Engineering/Platform"
    assert person.groups == frozenset({LISBON})
    assert person.location == "Berlin"
    assert (person.google_user_id, person.person_id) == ("1001", "hr-tom")
    assert facts.sources["location"].source is Source.DIRECTORY
    assert {name: facts.sources[name].source for name in ("title", "org_unit_path")} == {
        "title": Source.HR,
        "org_unit_path": Source.DIRECTORY,
    }


def test_each_fact_says_its_source_and_as_of_time() -> None:
    """An HR fact is as of the event's occurred_at and names the event; a Directory fact is as
    of the read."""
    facts = merge(TOM, hr(), directory(), now=READ_AT)

    assert facts.sources["title"].describe() == (
        "from hr as of 2026-11-05T09:00:00Z (HR event lib-hr-0004, sequence 5)"
    )
    assert facts.sources["org_unit_path"].as_dict() == {
        "source": "directory",
        "as_of": "2026-12-01T12:00:00Z",
        "via": "Directory user",
    }


@pytest.mark.parametrize("account", [Account.SUSPENDED, Account.ARCHIVED])
def test_a_suspended_or_archived_account_holds_no_role_whatever_hr_says(account: Account) -> None:
    """HR says active and promoted; the account cannot sign in: no role in any managed space."""
    facts = merge(TOM, hr(), directory(replace(DIRECTORY, account=account)), now=READ_AT)

    assert facts.person.employment_status is EmploymentStatus.SUSPENDED
    assert not facts.person.active
    assert set(roles(facts.person).values()) == {None}
    assert facts.sources["employment_status"].via == f"account {account.value}"


def test_someone_not_in_the_directory_holds_no_role() -> None:
    """No account (deleted, or not created yet): terminated, whatever the HR snapshot says."""
    facts = merge(TOM, hr(), directory(None), now=READ_AT)

    assert facts.person.account is Account.DELETED
    assert facts.person.employment_status is EmploymentStatus.TERMINATED
    assert set(roles(facts.person).values()) == {None}


@pytest.mark.parametrize("status", [EmploymentStatus.TERMINATED, EmploymentStatus.PRE_HIRE])
def test_an_hr_termination_or_pre_hire_outranks_an_active_account(
    status: EmploymentStatus,
) -> None:
    """IT suspends the account days after the leaving date: meanwhile HR's word holds."""
    facts = merge(TOM, hr(replace(PROMOTED, employment_status=status)), directory(), now=READ_AT)

    assert facts.person.employment_status is status
    assert set(roles(facts.person).values()) == {None}


def test_an_hr_hire_outranks_a_directory_pre_hire() -> None:
    """Ana's Directory record still says pre_hire (custom schema); HR hired her: she is active
    (the reconcile used to remove her as 'pre_hire')."""
    ana = Email("ana.silva@example.com")
    listed = Person(email=ana, employment_status=EmploymentStatus.PRE_HIRE, department="Platform")
    hired = Person(email=ana, department="Platform")

    assert merge(ana, HrSnapshot(hired, "h1", HR_AT), directory(listed), now=READ_AT).person.active
    assert not merge(ana, None, directory(listed), now=READ_AT).person.active


def test_a_policy_can_give_an_attribute_or_one_custom_key_to_the_other_source() -> None:
    """``facts: owners:`` moves the title to the Directory and one custom key to HR, leaving
    the rest as it was."""
    policy = Policy(
        owners=MappingProxyType(
            {**Policy().owners, "title": Source.DIRECTORY, "custom": Source.DIRECTORY}
        ),
        custom_owners=MappingProxyType({"job_level": Source.HR}),
    )
    facts = merge(TOM, hr(), directory(), policy, now=READ_AT)

    assert facts.person.title == "Software Engineer"
    assert facts.person.job_level == "M1"
    assert dict(facts.person.custom) == {"badge": "B-7", "job_level": "M1"}
    assert facts.sources["custom.badge"].source is Source.DIRECTORY


def test_a_pending_group_change_outranks_a_directory_read_that_does_not_show_it() -> None:
    """A join and a leave chatsync received an hour ago count; one received two days ago no
    longer does (the Directory had time to catch up)."""
    data = Email("data-team@example.com")
    joined = GroupChange(data, TOM, True, HR_AT, "g-1", READ_AT - 3600)
    left = GroupChange(LISBON, TOM, False, HR_AT, "g-2", READ_AT - 3600)
    old = GroupChange(Email("old@example.com"), TOM, True, HR_AT, "g-0", READ_AT - 2 * 86400)

    facts = merge(TOM, hr(), directory(), changes=[joined, left, old], now=READ_AT)

    assert facts.person.groups == frozenset({data})
    assert "+data-team@example.com by group event g-1" in facts.sources["groups"].via
    assert "-lisbon-office@example.com by group event g-2" in facts.sources["groups"].via
