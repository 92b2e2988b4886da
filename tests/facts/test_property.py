"""The property of issue 13: whatever HR, group and Directory events arrive, duplicated and in
any order, the full reconcile afterwards agrees with what the events decided.

Hypothesis draws a small org (a Directory of three people and a person with no account, some
suspended, each in an org unit, an office group), a starting roster in five spaces, and a
history: HR snapshots (any status and job), group joins and leaves (some never reaching the
Directory: it lags), and Directory changes (suspend, restore, move org unit). Every change
happens in the world first, as in production (an audit log entry follows its change); the
events are then delivered in a drawn order with drawn duplicates, through ``app.handling``
on in-process fakes of Chat and the Directory. Then the full reconcile plans.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.facts.fakes import FakeChat, FakeDirectory

from chatsync.adapters.store import MemoryStore
from chatsync.app import handling, reconciling
from chatsync.app.deps import Deps
from chatsync.app.logs import Logger
from chatsync.domain import events as ev
from chatsync.domain.model import Account, Email, EmploymentStatus, Person, Role, SpaceName
from chatsync.domain.rules import load_rules_text

pytestmark = pytest.mark.facts

RULES = load_rules_text(
    """
version: 1
spaces:
  - {id: team, name: spaces/TEAM, mode: authoritative}
  - {id: leads, name: spaces/LEADS, mode: authoritative}
  - {id: office, name: spaces/OFFICE, mode: authoritative}
  - {id: eng, name: spaces/ENG, mode: authoritative}
  - {id: all, name: spaces/ALL, mode: additive}
protected: [boss@example.com]
rules:
  - {id: team-a, spaces: [team], role: member, when: {department: A}}
  - id: team-a-lead
    spaces: [team, leads]
    role: owner
    when: {department: A, is_people_manager: true}
  - {id: lead-title, spaces: [leads], role: manager, when: {title: Lead}}
  - {id: office, spaces: [office], role: member, when: {group: office@example.com}}
  - {id: eng, spaces: [eng], role: member, when: {org_unit_path: {prefix: /Eng}}}
  - {id: all, spaces: [all], role: member, when: {employment_status: active}}
"""
)
SPACES = sorted(RULES.managed)
BOSS = Email("boss@example.com")
OFFICE = Email("office@example.com")
PEOPLE = [Email(f"{who}@example.com") for who in ("ana", "bo", "cy", "ghost")]
IN_DIRECTORY = PEOPLE[:3]
BASE = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
NOW = BASE + 10 * 86400

STATUSES = [EmploymentStatus.ACTIVE] * 3 + [EmploymentStatus.PRE_HIRE]
"""The Directory's custom-schema status: mostly active, some pre-hires."""

who = st.sampled_from(PEOPLE)
hr_step = st.tuples(
    st.just("hr"),
    who,
    st.sampled_from(["active", "active", "leave", "terminated", "pre_hire"]),
    st.sampled_from(["A", "B", None]),
    st.sampled_from(["Lead", "Engineer", None]),
    st.booleans(),
)
group_step = st.tuples(st.just("group"), who, st.booleans(), st.booleans())
directory_step = st.tuples(
    st.just("directory"), who, st.sampled_from(["suspend", "restore", "move"])
)
roles = st.sampled_from([None, Role.MEMBER, Role.MANAGER, Role.OWNER])


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    users = {
        email: Person(
            email=email,
            department=draw(st.sampled_from(["A", "B"])),
            org_unit_path=draw(st.sampled_from(["/Eng", "/Ops"])),
            employment_status=draw(st.sampled_from(STATUSES)),
        )
        for email in IN_DIRECTORY
    }
    for email in draw(st.lists(st.sampled_from(IN_DIRECTORY), max_size=1)):
        users[email] = replace(users[email], account=Account.SUSPENDED)
    users[BOSS] = Person(email=BOSS, title="Boss")
    office = set(draw(st.lists(st.sampled_from(IN_DIRECTORY), unique=True)))
    rosters = {space: {BOSS: Role.OWNER} for space in SPACES}
    for space in SPACES:
        for email in PEOPLE:
            role = draw(roles)
            if role is not None:
                rosters[space][email] = role
    steps = draw(st.lists(st.one_of(hr_step, group_step, directory_step), min_size=1, max_size=10))
    order = draw(st.permutations(range(len(steps))))
    copies = draw(
        st.lists(st.tuples(st.integers(0, len(steps) - 1), st.integers(0, 20)), max_size=4)
    )
    return {"users": users, "office": office, "rosters": rosters, "steps": steps,
            "order": order, "copies": copies}  # fmt: skip


def happen(world: dict[str, Any], directory: FakeDirectory) -> list[ev.Event]:
    """Each step changes the world (the Directory, unless it lags) and makes its event."""
    out: list[ev.Event] = []
    sequence = dict.fromkeys(PEOPLE, 0)
    for i, step in enumerate(world["steps"]):
        at = datetime.fromtimestamp(BASE + 60 * i, UTC)
        kind, email = step[0], step[1]
        if kind == "hr":
            _, _, status, department, title, manager = step
            sequence[email] += 1
            meta = ev.EventMeta(f"m{i}", f"hr-{i}", "person.updated", at, sequence[email])
            person = Person(
                email=email,
                employment_status=EmploymentStatus(status),
                department=department,
                title=title,
                is_people_manager=manager,
                org_unit_path="/Hr/ignored",  # the Directory owns the org unit
            )
            out.append(ev.PersonEvent(meta, person, effective_at=at))
        elif kind == "group":
            _, _, added, lags = step
            if not lags:
                members = directory.groups[OFFICE]
                members.add(email) if added else members.discard(email)
            kind_of = "group.member_added" if added else "group.member_removed"
            meta = ev.EventMeta(f"m{i}", f"g-{i}", kind_of, at)
            out.append(ev.GroupEvent(meta, OFFICE, email, "user", added))
        else:
            change = step[2]
            user = directory.users.get(email)
            if user is not None:
                account = {"suspend": Account.SUSPENDED, "restore": Account.ACTIVE}
                if change == "move":
                    moved = "/Ops" if user.org_unit_path == "/Eng" else "/Eng"
                    directory.users[email] = replace(user, org_unit_path=moved)
                else:
                    directory.users[email] = replace(user, account=account[change])
            meta = ev.EventMeta(f"m{i}", f"d-{i}", f"user.{change}", at)
            out.append(ev.DirectoryUserEvent(meta, email, change))
    return out


def deliveries(world: dict[str, Any], made: list[ev.Event]) -> list[ev.Event]:
    """The drawn order, with redeliveries of drawn events at drawn places."""
    queue = [made[i] for i in world["order"]]
    for index, position in world["copies"]:
        queue.insert(min(position, len(queue)), made[index])
    return queue


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_a_reconcile_after_any_events_changes_nothing_the_events_decided(
    world: dict[str, Any],
) -> None:
    """For any history of HR, group and Directory events, duplicated and reordered, the full
    reconcile afterwards plans no change for anyone the events named: not to a membership an
    event wrote, nor to one an event left as it was."""
    directory = FakeDirectory(
        {e: p for e, p in world["users"].items()}, {OFFICE: set(world["office"])}
    )
    chat = FakeChat({s: dict(r) for s, r in world["rosters"].items()})
    made = happen(world, directory)
    deps = Deps(
        ruleset=RULES, chat=chat, directory=directory, store=MemoryStore(),
        log=Logger(stream=io.StringIO()), clock=lambda: NOW,
    )  # fmt: skip
    for event in deliveries(world, made):
        handling.handle(deps, event)

    plan = reconciling.survey(deps, log=deps.log).plan

    named = {e.person.email for e in made if isinstance(e, ev.PersonEvent)}
    named |= {e.member_email for e in made if isinstance(e, ev.GroupEvent)}
    named |= {e.email for e in made if isinstance(e, ev.DirectoryUserEvent)}
    undone = [op.describe() for op in plan.operations if (op.space, op.email) in chat.changed]
    assert undone == [], "the reconcile would undo what an event did"
    assert [op.describe() for op in plan.operations if op.email in named] == []
    assert chat.rosters[SpaceName("spaces/TEAM")][BOSS] is Role.OWNER
