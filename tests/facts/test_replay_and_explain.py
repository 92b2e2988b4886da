"""The console script as a user runs it: replaying the HR samples then reconciling, explain's
sources, and the one ordering key of person and group events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.facts.conftest import HR_SAMPLES, sample
from tests.reconcile.conftest import rosters

from chatsync.domain import messages
from chatsync.domain.bridges import hr_messages

pytestmark = pytest.mark.facts

ROOT = Path(__file__).resolve().parents[2]


def test_replaying_every_hr_sample_then_reconciling_plans_nothing_the_replay_changed(
    emulator: Any, chatsync: Any
) -> None:
    """`chatsync replay` of every file of samples/messages/hr in name order, then
    `chatsync reconcile --dry-run --json`: no operation on any (space, person) pair the replay
    changed (it changes many: hires, transfers, promotions, group joins and leaves)."""
    before = rosters(emulator)

    replayed = chatsync("replay", str(HR_SAMPLES))
    after = rosters(emulator)
    planned = chatsync("reconcile", "--dry-run", "--json")

    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert planned.returncode == 0, planned.stderr
    changed = {
        (space, email)
        for space in after
        for email in set(before[space]) | set(after[space])
        if before[space].get(email) != after[space].get(email)
    }
    assert {
        ("spaces/AAAAplatform", "ana.silva@example.com"),
        ("spaces/AAAAdata", "eva.lund@example.com"),
        ("spaces/AAAAlisbon", "eva.lund@example.com"),
        ("spaces/AAAAlisbon", "tom.berg@example.com"),
        ("spaces/AAAAplatform", "tom.berg@example.com"),
        ("spaces/AAAAsales", "leaver@example.com"),
    } <= changed
    operations = json.loads(planned.stdout)["operations"]
    assert [op for op in operations if (op["space"], op["person"]) in changed] == []


def test_explain_shows_each_fact_with_its_source_and_as_of_time(
    emulator: Any, chatsync: Any
) -> None:
    """After Tom's promotion (hr/04): the title is HR's as of the event, the org unit the
    Directory's as of the read; the JSON form carries the same under ``sources``."""
    assert chatsync("replay", str(sample("04"))).returncode == 0

    text = chatsync("explain", "tom.berg@example.com", "platform", "--offline")
    body = json.loads(chatsync("explain", "tom.berg@example.com", "--json", "--offline").stdout)

    lines = text.stdout.splitlines()
    title = lines.index("  fact title: Engineering Manager")
    assert lines[title + 1] == (
        "      from hr as of 2026-11-05T09:00:00Z (HR event lib-hr-0004, sequence 5)"
    )
    unit = lines.index("  fact org_unit_path: /Engineering/Platform")
    assert re.fullmatch(
        r"      from directory as of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(Directory user\)",
        lines[unit + 1],
    )
    assert (
        "  + rule 'team-leads' matched: department is 'Platform', title 'Engineering Manager' "
        "matches /Engineering Manager/ (grants owner)"
    ) in lines
    assert body["sources"]["title"] == {
        "source": "hr",
        "as_of": "2026-11-05T09:00:00Z",
        "via": "HR event lib-hr-0004, sequence 5",
    }
    assert body["sources"]["groups"]["source"] == "directory"
    assert body["facts"]["title"] == "Engineering Manager"


def test_person_and_group_events_about_someone_share_one_ordering_key() -> None:
    """The ordering key is subject.work_email, lower-cased, for HR and group events alike (an
    HR person_id and a group event's google:<email> differ); the docs say the same."""
    promotion = messages.load([sample("04")])[0]
    group_leave = messages.load([sample("13")])[0]
    bridged = {"subject": {"person_id": "hr-1042", "work_email": "Tom.Berg@example.com"}}

    assert promotion.ordering_key == group_leave.ordering_key == "tom.berg@example.com"
    assert hr_messages.ordering_key(bridged) == "tom.berg@example.com"
    docs = ("README.md", "docs/events.md", "docs/pubsub.md", "docs/hr-sources.md")
    for doc in (ROOT / name for name in docs):
        text = doc.read_text()
        assert "subject.work_email" in text, doc
        assert "ordering key = `subject.person_id`" not in text, doc


def test_plan_reads_the_stored_facts_and_writes_no_state(emulator: Any, chatsync: Any) -> None:
    """After hr/04 promoted Tom, `chatsync plan hr/13` plans only his leave from Lisbon (no
    demotion from the Directory's old title), and writes no state: replaying hr/13 afterwards
    still applies it."""
    assert chatsync("replay", str(sample("04"))).returncode == 0

    planned = chatsync("plan", "--json", str(sample("13")))
    replayed = chatsync("replay", str(sample("13")))

    operations = json.loads(planned.stdout)["operations"]
    assert [(op["action"], op["space"], op["person"]) for op in operations] == [
        ("remove", "spaces/AAAAlisbon", "tom.berg@example.com")
    ]
    assert replayed.returncode == 0
    assert "tom.berg@example.com" not in rosters(emulator)["spaces/AAAAlisbon"]
