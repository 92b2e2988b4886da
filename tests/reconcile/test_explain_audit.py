"""Explain (facts, every rule's verdict and why, the resulting role) and the audit trail,
in the embedded store and in Firestore (the gcloud emulator)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.reconcile.conftest import rosters

from chatsync.domain import rendering

pytestmark = pytest.mark.reconcile

PLATFORM = "spaces/AAAAplatform"


def test_explain_prints_facts_each_rule_and_the_resulting_role(emulator: Any, cli: Any) -> None:
    """Nested and direct groups from the Directory, matched and unmatched rules with the
    deciding value, the outcome, and what a reconcile would do now."""
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")

    code, out, _ = cli("explain", "tom.berg@example.com", "platform")

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "tom.berg@example.com"
    assert "  fact department: Platform" in lines
    assert "  fact groups: lisbon-office@example.com" in lines
    assert "  + rule 'team-members' matched: department is 'Platform' (grants member)" in lines
    assert (
        "  - rule 'team-leads' did not match: title 'Software Engineer' does not match "
        "/Engineering Manager/ (grants owner)"
    ) in lines
    assert "  => spaces/AAAAplatform (platform, authoritative): member" in lines
    assert "    spaces/AAAAplatform: would demote (manager -> member)" in lines
    assert not any("engineering-everyone" in line for line in lines), "narrowed to one space"


def test_explain_json_and_inactive_people(emulator: Any, cli: Any) -> None:
    """A suspended account: inactive, no role anywhere; the JSON form names each rule."""
    code, out, _ = cli("explain", "old.timer@example.com", "--json", "--offline")

    body = json.loads(out)
    assert code == 0 and body["inactive"] is True
    assert all(space["role"] is None for space in body["spaces"])
    assert {r["id"] for r in body["rules"]} >= {"sales-team", "everyone-announcements"}


def test_the_same_reasons_travel_with_plan_lines_log_records_and_audit_entries(
    emulator: Any, make_pipeline: Any
) -> None:
    """One demotion: its reasons in the plan JSON, the log record and the audit entry agree."""
    records: list[dict[str, Any]] = []
    pipeline = make_pipeline(records=records)
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    the_plan, _ = pipeline.plan_all(log=pipeline.log, spaces=[PLATFORM])
    (line,) = rendering.plan_json(the_plan.operations)["operations"]

    pipeline.reconcile_all(run_id="run-r", log=pipeline.log, spaces=[PLATFORM])

    (record,) = [r for r in records if r.get("action") == "demote"]
    (entry,) = pipeline.store.audit(run="run-r")
    assert line["reasons"] == record["rule"] == list(entry.reasons)
    assert line["reasons"] == ["rule 'team-members' matched: department is 'Platform'"]


def test_audit_command_queries_by_person_space_and_run(emulator: Any, cli: Any) -> None:
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    _, out, _ = cli("reconcile", "--yes")
    run = next(w for w in out.split() if w.startswith("reconcile-")).rstrip(":.")

    _, by_run, _ = cli("audit", "--run", run, "--json")
    _, by_person, _ = cli("audit", "--person", "TOM.BERG@example.com")
    _, by_space, _ = cli("audit", "--space", "platform", "--person", "dev.patel@example.com")

    entries = [json.loads(line) for line in by_run.splitlines()]
    assert {(e["email"], e["action"]) for e in entries} >= {
        ("dev.patel@example.com", "remove"),
        ("tom.berg@example.com", "demote"),
    }
    assert "demote  tom.berg@example.com" in by_person and "1 entries" in by_person
    assert "remove  dev.patel@example.com" in by_space and "1 entries" in by_space


@pytest.mark.firestore
def test_firestore_store_keeps_the_audit_trail_queryable_by_person_space_and_run(
    emulator: Any, make_pipeline: Any, firestore_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production state on the Firestore emulator: two runs recorded, then queried every way;
    duplicates and watermarks and documents too."""
    import uuid

    from chatsync.adapters.store.firestore import FirestoreStore
    from chatsync.app.ports import Watermark

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_host)
    store = FirestoreStore(project="chatsync-test", prefix=f"t{uuid.uuid4().hex[:8]}")
    pipeline = make_pipeline(store=store)
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    pipeline.reconcile_all(run_id="run-1", log=pipeline.log)
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "owner")
    pipeline.reconcile_all(run_id="run-2", log=pipeline.log)

    first = store.audit(run="run-1")
    tom = store.audit(person="tom.berg@example.com")
    platform_run_2 = store.audit(space=PLATFORM, run="run-2")

    assert {(e.email, e.action) for e in first} == {
        ("dev.patel@example.com", "remove"),
        ("tom.berg@example.com", "demote"),
        ("old.timer@example.com", "remove"),
    }
    assert [(e.run_id, e.before, e.after) for e in tom] == [
        ("run-1", "manager", "member"),
        ("run-2", "owner", "member"),
    ]
    assert [e.email for e in platform_run_2] == ["tom.berg@example.com"]
    assert tom[0].reasons == ("rule 'team-members' matched: department is 'Platform'",)
    assert rosters(emulator)[PLATFORM]["tom.berg@example.com"] == "ROLE_MEMBER"
    store.mark_processed("spaces/S/spaceEvents/1", 1.0)
    assert store.is_processed("spaces/S/spaceEvents/1") and not store.is_processed("other")
    assert store.advance_watermark("p@example.com", Watermark(2.0, 7, "e7"))
    assert not store.advance_watermark("p@example.com", Watermark(9.0, 6, "e6"))
    assert store.get_watermark("p@example.com") == Watermark(2.0, 7, "e7")
    store.put_doc("deferred", "hr/1", {"due": 5.0})
    assert store.list_docs("deferred") == [("hr/1", {"due": 5.0})]
    assert store.get_doc("deferred", "hr/1") == {"due": 5.0}
