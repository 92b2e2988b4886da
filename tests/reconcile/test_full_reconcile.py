"""The full reconcile: from the Directory (people, nested groups, suspended and pre-hire
accounts) to every managed space, paged at 1000, unmanaged spaces untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.reconcile.conftest import rosters, writes

from chatsync.domain import events as ev
from chatsync.domain.model import Email, EmploymentStatus, Person
from chatsync.tools.benchmarking import measuring

pytestmark = pytest.mark.reconcile

PLATFORM = "spaces/AAAAplatform"


def drift(emulator: Any) -> None:
    """Three manual changes that contradict the demo rules."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    emulator.manual_change(PLATFORM, "eva.lund@example.com", "remove")


def test_dry_run_prints_the_plan_with_reasons_and_writes_nothing(emulator: Any, cli: Any) -> None:
    """`chatsync reconcile --dry-run` reads, plans and prints; not one membership write."""
    drift(emulator)
    before = len(emulator.calls())

    code, out, _ = cli("reconcile", "--dry-run")

    assert code == 0
    assert writes(emulator, before) == []
    assert "- remove   dev.patel@example.com" in out
    assert "~ demote   tom.berg@example.com" in out
    assert "+ add      eva.lund@example.com" in out
    assert "rule 'team-members' matched: department is 'Platform'" in out
    assert "old.timer@example.com is suspended" in out


def test_reconcile_converges_and_leaves_unmanaged_spaces_alone(emulator: Any, cli: Any) -> None:
    """After one run a second plans nothing; the unmanaged space, DM and group chat stay as
    they were."""
    drift(emulator)
    unmanaged = ("spaces/AAAAsocial", "spaces/GGGGlunch", "spaces/DDDDceo-comms")
    before = {s: rosters(emulator)[s] for s in unmanaged}

    code, out, _ = cli("reconcile", "--yes")
    again, second, _ = cli("reconcile", "--json", "--yes")

    assert code == 0 and again == 0
    assert "Undo it: chatsync revert reconcile-" in out
    assert json.loads(second)["operations"] == []
    assert {s: rosters(emulator)[s] for s in unmanaged} == before
    touched = {c["path"].split("/members")[0] for c in writes(emulator)}
    assert all(not p.endswith(unmanaged) for p in touched)
    roster = rosters(emulator)
    assert "old.timer@example.com" not in roster["spaces/AAAAsales"]
    assert roster[PLATFORM]["eva.lund@example.com"] == "ROLE_MEMBER"


def _org(people: int) -> dict[str, Any]:
    """A seed: ``people`` staff in one big space, nested groups, a suspended and a pre-hire."""
    users: list[dict[str, Any]] = [
        {"email": f"p{i:04d}@example.com", "name": f"P {i}", "department": "Ops"}
        for i in range(people)
    ]
    users += [
        {"email": "nested@example.com", "name": "Nested", "department": "Art"},
        {"email": "gone@example.com", "name": "Gone", "department": "Ops", "suspended": True},
        {
            "email": "soon@example.com",
            "name": "Soon",
            "department": "Ops",
            "custom": {"HR": {"employment_status": "pre_hire"}},
        },
        {"email": "boss@example.com", "name": "Boss", "department": "Ops", "title": "Head"},
    ]
    return {
        "customer": "C0big",
        "domains": ["example.com"],
        "directory": {
            "users": users,
            "groups": [
                {
                    "email": "outer@example.com",
                    "name": "Outer",
                    "members": [{"email": "inner@example.com", "type": "GROUP"}],
                },
                {
                    "email": "inner@example.com",
                    "name": "Inner",
                    "members": [{"email": "nested@example.com"}],
                },
            ],
        },
        "spaces": [
            {
                "name": "spaces/BIGops",
                "display_name": "Ops",
                "type": "SPACE",
                "created_by": "app",
                "members": [
                    {"user": "app"},
                    {"user": "boss@example.com", "role": "owner"},
                    {"user": "gone@example.com"},
                    {"user": "nested@example.com"},
                    *({"user": u["email"]} for u in users[: people - 5]),
                ],
            },
            {
                "name": "spaces/BIGclub",
                "display_name": "Club",
                "type": "SPACE",
                "created_by": "app",
                "members": [{"user": "app"}, {"user": "boss@example.com", "role": "owner"}],
            },
            {
                "name": "spaces/BIGfree",
                "display_name": "Unmanaged",
                "type": "SPACE",
                "created_by": "app",
                "members": [{"user": "app"}, {"user": "gone@example.com", "role": "owner"}],
            },
        ],
    }


RULES = """
version: 1
spaces:
  - {id: ops, name: spaces/BIGops, mode: authoritative}
  - {id: club, name: spaces/BIGclub, mode: authoritative}
rules:
  - {id: ops-staff, spaces: [ops], role: member, when: {department: Ops}}
  - {id: ops-head, spaces: [ops], role: owner, when: {title: Head}}
  - {id: club-head, spaces: [club], role: owner, when: {title: Head}}
  - {id: club-outer, spaces: [club], role: member, when: {group: outer@example.com}}
"""


def test_large_rosters_are_paged_at_1000_nested_groups_count_inactive_people_go(
    emulator: Any, make_pipeline: Any, tmp_path: Any
) -> None:
    """1,200 staff (all but 5 already in): two list pages; a member of a nested group joins;
    suspended and pre-hire people hold no role; a person in no group is fine; the unmanaged
    space is never read."""
    emulator.reset(_org(1200))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    pipeline = make_pipeline(rules_file=str(rules))

    report = pipeline.reconcile_all(run_id="big", log=pipeline.log)

    assert not report.retryable_failures and not report.permanent_failures
    roster = rosters(emulator)
    ops = roster["spaces/BIGops"]
    assert len(ops) == 1201 and ops["boss@example.com"] == "ROLE_MANAGER"
    assert "gone@example.com" not in ops and "soon@example.com" not in ops
    assert "nested@example.com" not in ops
    assert roster["spaces/BIGclub"]["nested@example.com"] == "ROLE_MEMBER"
    assert "gone@example.com" in roster["spaces/BIGfree"]
    before = len(emulator.calls())
    assert pipeline.plan_all(log=pipeline.log)[0].is_empty
    lists = [c for c in emulator.calls(before) if c["method"] == "spaces.members.list"]
    assert [c["path"] for c in lists].count("/v1/spaces/BIGops/members") == 2
    assert all("BIGfree" not in c["path"] for c in emulator.calls())


def test_measure_reports_calls_and_time_of_a_reconcile(emulator: Any, make_pipeline: Any) -> None:
    """What `chatsync bench` calls: one list per space, no writes in a dry run, quota minutes."""
    figures = measuring.measure(make_pipeline())

    assert figures["spaces"] == 7
    assert figures["calls"]["spaces.members.list"] == 7
    assert figures["chat_writes"] == 0 and writes(emulator) == []
    assert figures["plan"]["remove"] == 1
    assert figures["directory_calls"] >= 2
    assert figures["read_quota_minutes"] < 1


def test_a_future_dated_event_is_applied_by_the_reconcile_once_due(
    emulator: Any, make_pipeline: Any
) -> None:
    """A termination effective tomorrow is stored; the first reconcile after it applies it."""
    now = [datetime(2026, 11, 23, tzinfo=UTC).timestamp()]
    pipeline = make_pipeline()
    pipeline.clock = lambda: now[0]
    tom = pipeline.directory.get_person("tom.berg@example.com")
    leaving = Person(
        email=Email("tom.berg@example.com"),
        employment_status=EmploymentStatus.TERMINATED,
        department=tom.department,
        org_unit_path=tom.org_unit_path,
    )
    meta = ev.EventMeta("m1", "hr-1", "person.terminated", datetime(2026, 11, 22, tzinfo=UTC))
    event = ev.PersonEvent(meta, leaving, effective_at=datetime(2026, 11, 24, tzinfo=UTC))

    assert pipeline.handle(event).extra["deferred"]
    pipeline.reconcile_all(run_id="early", log=pipeline.log)
    assert "tom.berg@example.com" in rosters(emulator)[PLATFORM]
    now[0] += 2 * 86400
    pipeline.reconcile_all(run_id="due", log=pipeline.log)

    managed = {s.name for s in pipeline.ruleset.spaces}
    assert all(
        "tom.berg@example.com" not in r for s, r in rosters(emulator).items() if s in managed
    )
    ((_, doc),) = pipeline.store.list_docs("deferred")
    assert doc["applied_at"] == now[0]
    assert pipeline.store.get_watermark("tom.berg@example.com").event_id == "hr-1"
