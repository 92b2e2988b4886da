"""Drift: Chat membership events in managed spaces are reverted, or only reported, by setting;
chatsync's own changes come back as events and are recognised as already converged."""

from __future__ import annotations

from typing import Any

import pytest
from tests.reconcile.conftest import rosters, writes

from chatsync.domain import events

pytestmark = pytest.mark.reconcile

PLATFORM = "spaces/AAAAplatform"
SALES = "spaces/AAAAsales"


def deliver(pipeline: Any, emulator: Any, since: int = 0) -> list[Any]:
    """Decode every Workspace Event the emulator emitted (from index ``since``) and handle it."""
    reports = []
    for message in emulator.events()[since:]:
        for event in events.decode_message(message, message_id=message["messageId"]):
            reports.append(pipeline.handle(event))
    return reports


def test_manual_add_and_promotion_in_an_authoritative_space_are_reverted(
    emulator: Any, make_pipeline: Any
) -> None:
    """Someone added by hand is removed; someone promoted by hand is demoted back."""
    records: list[dict[str, Any]] = []
    pipeline = make_pipeline(records=records)
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")

    reports = deliver(pipeline, emulator)

    roster = rosters(emulator)[PLATFORM]
    assert "dev.patel@example.com" not in roster
    assert roster["tom.berg@example.com"] == "ROLE_MEMBER"
    assert [r.extra.get("drift") for r in reports] == ["reverted", "reverted"]
    reverted = [r for r in records if r.get("action") in ("remove", "demote")]
    assert {r["person"] for r in reverted} == {"dev.patel@example.com", "tom.berg@example.com"}
    assert all(r["rule"] for r in reverted), "every revert carries its reasons"


def test_manual_removal_of_someone_the_rules_select_is_reverted(
    emulator: Any, make_pipeline: Any
) -> None:
    """A deleted event carries only the membership name; the member id names the person."""
    pipeline = make_pipeline()
    emulator.manual_change(PLATFORM, "eva.lund@example.com", "remove")

    deliver(pipeline, emulator)

    assert rosters(emulator)[PLATFORM]["eva.lund@example.com"] == "ROLE_MEMBER"


def test_report_mode_reports_drift_and_writes_nothing(emulator: Any, make_pipeline: Any) -> None:
    """CHATSYNC_DRIFT_MODE=report: a warning and a stored drift record, no write."""
    records: list[dict[str, Any]] = []
    pipeline = make_pipeline(records=records, drift_mode="report")
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    before = len(emulator.calls())

    reports = deliver(pipeline, emulator)

    assert writes(emulator, before) == []
    assert rosters(emulator)[PLATFORM]["dev.patel@example.com"] == "ROLE_MEMBER"
    assert reports[0].extra["drift"] == "reported"
    warning = next(r for r in records if r["severity"] == "WARNING")
    assert "drift reported, not reverted" in warning["message"]
    assert warning["person"] == "dev.patel@example.com"
    (stored,) = pipeline.store.list_docs("drift")
    assert stored[1]["space"] == PLATFORM
    assert stored[1]["operations"][0]["action"] == "remove"


def test_manual_change_in_an_additive_space_is_only_reported(
    emulator: Any, make_pipeline: Any
) -> None:
    """Additive spaces are curated by hand: a manual add there is allowed, nothing written."""
    pipeline = make_pipeline()
    emulator.manual_change(SALES, "dev.patel@example.com", "add")
    before = len(emulator.calls())

    reports = deliver(pipeline, emulator)

    assert writes(emulator, before) == []
    assert reports[0].extra["drift"] == "none"


def test_chatsyncs_own_changes_come_back_as_events_and_change_nothing(
    emulator: Any, make_pipeline: Any
) -> None:
    """Every echo of a reconcile's writes plans empty: no write is fought or repeated."""
    pipeline = make_pipeline()
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "owner")
    emulator.manual_change(PLATFORM, "eva.lund@example.com", "remove")
    manual = len(emulator.events())
    report = pipeline.reconcile_all(run_id="run-1", log=pipeline.log)
    assert len(report.results) >= 3
    echoes = len(emulator.events()) - manual
    assert echoes >= 3
    before = len(emulator.calls())

    reports = deliver(pipeline, emulator, since=manual)

    assert writes(emulator, before) == []
    assert all(not r.results for r in reports)


def test_events_for_unmanaged_spaces_are_ignored(emulator: Any, make_pipeline: Any) -> None:
    """The unmanaged social space is never read for drift, let alone written."""
    pipeline = make_pipeline()
    emulator.manual_change("spaces/AAAAsocial", "vp.sales@example.com", "add")
    before = len(emulator.calls())

    deliver(pipeline, emulator)

    assert emulator.calls(before) == []


def test_renewal_ticks_create_then_keep_then_renew_one_subscription_per_space(
    emulator: Any, make_pipeline: Any
) -> None:
    """The reconcile topic's renew_subscriptions tick keeps the drift subscriptions alive."""
    tick = {"data": "eyJraW5kIjogInJlbmV3X3N1YnNjcmlwdGlvbnMifQ==", "attributes": {}}
    (event,) = events.decode_message(tick, message_id="tick-1")
    assert event.renew_subscriptions
    pipeline = make_pipeline(chat_events_topic="projects/p/topics/chatsync-chat-events")
    managed = {s.name for s in pipeline.ruleset.spaces}

    first = pipeline.handle(event)
    subs = emulator.emulator.world.events.subscriptions
    targets = {s["targetResource"].removeprefix("//chat.googleapis.com/") for s in subs.values()}
    expiry = {name: s["_expires"] for name, s in subs.items()}
    second = pipeline.renew_subscriptions(log=pipeline.log)
    from chatsync.app import subscriptions

    third = subscriptions.ensure(
        pipeline.workspace_events,
        sorted(managed),
        topic=pipeline.events_topic,
        now=pipeline.clock(),
        log=pipeline.log,
        renew_within=10 * 24 * 3600,
    )

    assert first.extra["subscriptions"]["created"] == len(managed)
    assert targets == managed
    assert second.extra["subscriptions"]["kept"] == len(managed)
    assert len(third.renewed) == len(managed)
    assert all(subs[name]["_expires"] >= expiry[name] for name in expiry)
    assert len(subs) == len(managed)
