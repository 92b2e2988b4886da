"""Every path decides from the same facts: the reproductions of issue 13 on the demo emulator.

Each test replays sample HR messages (``samples/messages/hr``) through the application as a
deployment runs it; the emulated Directory is never updated by them, as in production before
GCDS or IT catch up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.reconcile.conftest import rosters, writes

from chatsync.domain import events as ev
from chatsync.domain.model import Email, Person

pytestmark = pytest.mark.facts

PLATFORM, DATA, LISBON = "spaces/AAAAplatform", "spaces/AAAAdata", "spaces/AAAAlisbon"
ENGINEERING, MANAGERS = "spaces/AAAAengineering", "spaces/AAAAmanagers"
EVA, TOM, ANA = "eva.lund@example.com", "tom.berg@example.com", "ana.silva@example.com"


def where(emulator: Any, email: str) -> dict[str, str]:
    """Space -> API role of ``email`` in every space they are in."""
    return {space: r[email] for space, r in rosters(emulator).items() if email in r}


def test_a_group_join_after_a_transfer_keeps_the_transfer_and_joins_the_group(
    emulator: Any, replay: Any
) -> None:
    """hr/06 moves Eva from Platform to Data; hr/12 (she joins lisbon-office) used to re-read
    the Directory: back to Platform, out of Data, and not into Lisbon."""
    replay("06")
    assert DATA in where(emulator, EVA) and PLATFORM not in where(emulator, EVA)

    replay("12")

    eva = where(emulator, EVA)
    assert eva[DATA] == "ROLE_MEMBER" and eva[LISBON] == "ROLE_MEMBER"
    assert PLATFORM not in eva


def test_a_group_leave_after_a_promotion_keeps_the_promotion(emulator: Any, replay: Any) -> None:
    """hr/04 promotes Tom; hr/13 (he leaves lisbon-office) used to reverse the promotion."""
    replay("04")
    promoted = where(emulator, TOM)

    replay("13")

    tom = where(emulator, TOM)
    assert LISBON in promoted and LISBON not in tom
    assert tom[PLATFORM] == "ROLE_MANAGER"  # owner
    assert tom[ENGINEERING] == "ROLE_ASSISTANT_MANAGER"  # manager
    assert tom[MANAGERS] == "ROLE_MEMBER"
    assert {s: r for s, r in promoted.items() if s != LISBON} == tom


def test_the_reconcile_keeps_a_new_hire_whose_directory_record_says_pre_hire(
    emulator: Any, replay: Any
) -> None:
    """hr/01 hires Ana; the Directory's custom schema still says pre_hire; the reconcile used
    to remove her ("is pre_hire")."""
    app = replay("01")
    hired = where(emulator, ANA)

    plan, _ = app.plan_all(log=app.log)

    assert {PLATFORM, ENGINEERING} <= set(hired)
    assert [op.describe() for op in plan.operations if op.email == ANA] == []


def test_an_hr_active_event_for_a_suspended_account_adds_them_nowhere(
    emulator: Any, make_app: Any
) -> None:
    """old.timer's account is suspended; an HR event says active in Sales: no space gains
    them, and the one they were left in loses them (a suspended account holds no role)."""
    app = make_app()
    since = len(emulator.calls())
    meta = ev.EventMeta("m-1", "hr-old-1", "person.updated", datetime(2026, 11, 30, tzinfo=UTC), 1)
    person = Person(
        email=Email("old.timer@example.com"), department="Sales", title="Account Executive"
    )
    active = ev.PersonEvent(meta, person, effective_at=meta.occurred_at)

    app.handle(active)

    creates = [c for c in writes(emulator, since) if c["method"] == "spaces.members.create"]
    assert creates == []
    assert where(emulator, "old.timer@example.com") == {}


def test_an_archived_account_leaves_every_space_even_after_an_hr_promotion(
    emulator: Any, replay: Any
) -> None:
    """IT archives Tom's account; his promotion (hr/04) arrives afterwards: he holds nothing."""
    emulator.directory_set_account(TOM, archived=True)

    app = replay("04")

    assert set(where(emulator, TOM)) == {"spaces/AAAAsocial"}  # unmanaged: never touched
    assert not set(where(emulator, TOM)) & app.ruleset.managed


def test_drift_is_judged_by_the_same_facts_as_the_hr_event(emulator: Any, replay: Any) -> None:
    """After hr/04 makes Tom Platform's owner, a manual demotion is reverted to owner: drift
    reads the HR snapshot too (it used to find the Directory's 'Software Engineer' right)."""
    app = replay("04")
    since = len(emulator.events())
    emulator.manual_change(PLATFORM, TOM, "role", "member")

    for message in emulator.events()[since:]:
        for event in ev.decode_message(message, message_id=message["messageId"]):
            app.handle(event)

    assert where(emulator, TOM)[PLATFORM] == "ROLE_MANAGER"


def test_a_directory_user_event_keeps_what_hr_decided(emulator: Any, replay: Any) -> None:
    """An Admin audit 'moved org unit' for Tom re-reads the Directory and merges it with his
    HR snapshot: his promotion stands (hr/04), and nothing is written."""
    app = replay("04")
    since = len(emulator.calls())
    meta = ev.EventMeta("m-2", "audit-1", "user.moved_org_unit", datetime.now(UTC))

    app.handle(ev.DirectoryUserEvent(meta, Email(TOM), "moved_org_unit"))

    assert writes(emulator, since) == []
    assert where(emulator, TOM)[PLATFORM] == "ROLE_MANAGER"


def test_a_stale_group_change_changes_nothing(emulator: Any, make_app: Any) -> None:
    """Eva joins lisbon-office at 10:00; a removal from 09:00 is delivered after it: it is
    dropped as stale (per group and member), and Eva stays."""
    app = make_app()

    def change(event_id: str, hour: int, added: bool) -> ev.GroupEvent:
        kind = "group.member_added" if added else "group.member_removed"
        meta = ev.EventMeta(event_id, event_id, kind, datetime(2026, 11, 30, hour, tzinfo=UTC))
        return ev.GroupEvent(meta, Email("lisbon-office@example.com"), Email(EVA), "user", added)

    app.handle(change("g-join", 10, True))
    since = len(emulator.calls())
    report = app.handle(change("g-leave", 9, False))

    assert report.note is not None and report.note.value == "stale"
    assert writes(emulator, since) == []
    assert where(emulator, EVA)[LISBON] == "ROLE_MEMBER"
    plan, _ = app.plan_all(log=app.log)
    assert [op.describe() for op in plan.operations if op.email == EVA] == []
