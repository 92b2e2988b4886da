"""After the scheduled reconcile, a person event reads only the spaces that can change."""

from __future__ import annotations

from typing import Any

from tests.conftest import build_app

from chatsync.domain import events


def _pipeline(emulator: Any) -> Any:
    return build_app(emulator.url)


def _termination(email: str, event_id: str) -> dict[str, Any]:
    import base64
    import json

    body = {
        "schema": "dirsync.hr.v1",
        "event_id": event_id,
        "event_type": "person.terminated",
        "occurred_at": "2026-11-20T17:00:00Z",
        "effective_at": "2026-11-20T17:00:00Z",
        "emitted_at": "2026-11-20T17:00:00Z",
        "source": {"system": "test", "event_id": event_id},
        "subject": {"person_id": email, "work_email": email},
        "person": {"employment_status": "terminated", "is_people_manager": False},
    }
    return {"data": base64.b64encode(json.dumps(body).encode()).decode(), "messageId": event_id}


def _gets(emulator: Any, since: int) -> list[str]:
    return [c["path"] for c in emulator.calls(since) if c["method"] == "spaces.members.get"]


def test_without_a_reconcile_a_termination_reads_every_managed_space(emulator):
    """No presence record yet: every managed space is read (7 in the demo rules)."""
    pipeline = _pipeline(emulator)
    mark = len(emulator.calls())
    for event in events.decode_message(_termination("leaver@example.com", "t-1")):
        pipeline.handle(event)
    assert len(_gets(emulator, mark)) == 7


def test_after_a_reconcile_a_termination_reads_only_where_the_person_was_found(emulator):
    """The reconcile found the leaver in Sales and Announcements: only those are read."""
    pipeline = _pipeline(emulator)
    pipeline.dry_run = True
    pipeline.reconcile_all(run_id="survey", log=pipeline.log)
    pipeline.dry_run = False
    mark = len(emulator.calls())
    for event in events.decode_message(_termination("leaver@example.com", "t-2")):
        pipeline.handle(event)
    gets = _gets(emulator, mark)
    assert sorted(p.split("/")[3] for p in gets) == ["AAAAannounce", "AAAAsales"]
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    for name in ("spaces/AAAAannounce", "spaces/AAAAsales"):
        assert all(m.get("email") != "leaver@example.com" for m in spaces[name]["memberships"])


def test_a_reported_manual_add_is_seen_by_the_next_person_event(emulator):
    """A manual add that reached chatsync (drift event) is read and removed on termination."""
    pipeline = _pipeline(emulator)
    pipeline.dry_run = True
    pipeline.reconcile_all(run_id="survey", log=pipeline.log)
    pipeline.dry_run = False
    emulator.manual_change("spaces/AAAAdata", "leaver@example.com", "add")
    (drift,) = [m for m in emulator.events() if "membership" in m["attributes"]["ce-type"]][-1:]
    pipeline.drift_mode = "report"
    for event in events.decode_message(drift):
        pipeline.handle(event)
    for event in events.decode_message(_termination("leaver@example.com", "t-3")):
        pipeline.handle(event)
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    assert all(
        m.get("email") != "leaver@example.com" for m in spaces["spaces/AAAAdata"]["memberships"]
    )


def test_the_reconcile_does_not_re_add_a_leaver_whose_account_is_still_active(emulator):
    """HR said terminated; the Directory account is still active: the reconcile keeps them out."""
    pipeline = _pipeline(emulator)
    for event in events.decode_message(_termination("leaver@example.com", "t-4")):
        pipeline.handle(event)
    pipeline.reconcile_all(run_id="nightly", log=pipeline.log)
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    for name in ("spaces/AAAAannounce", "spaces/AAAAsales"):
        assert all(m.get("email") != "leaver@example.com" for m in spaces[name]["memberships"])


def _hire(email: str, event_id: str, sequence: int, **person: Any) -> dict[str, Any]:
    import base64
    import json

    body = {
        "schema": "dirsync.hr.v1",
        "event_id": event_id,
        "event_type": "person.job_changed",
        "sequence": sequence,
        "occurred_at": "2026-11-20T17:00:00Z",
        "effective_at": "2026-11-20T17:00:00Z",
        "emitted_at": "2026-11-20T17:00:00Z",
        "source": {"system": "test", "event_id": event_id},
        "subject": {"person_id": email, "work_email": email},
        "person": {"employment_status": "active", **person},
    }
    return {"data": base64.b64encode(json.dumps(body).encode()).decode(), "messageId": event_id}


def _a_promotion_whose_patch_failed(emulator: Any) -> tuple[Any, dict[str, Any]]:
    """After a survey, Ana becomes a Data manager; every role patch fails (503), so each create
    lands as a member and the delivery fails. Returns the pipeline and her message."""
    import pytest

    from chatsync.domain import errors

    pipeline = _pipeline(emulator)
    pipeline.dry_run = True
    pipeline.reconcile_all(run_id="survey", log=pipeline.log)
    pipeline.dry_run = False
    pipeline.policy = type(pipeline.policy)(max_attempts=1)
    emulator.fail_next("spaces.members.patch", 5, status=503)
    manager = _hire(
        "ana.silva@example.com",
        "p-1",
        1,
        org_unit_path="/Engineering/Data",
        department="Data",
        is_people_manager=True,
    )
    with pytest.raises(errors.RetryableError):
        for event in events.decode_message(manager):
            pipeline.handle(event)
    emulator.clear_faults()
    return pipeline, manager


def test_an_add_whose_patch_failed_is_still_found_by_the_next_event(emulator):
    """The create landed, its patch failed: a newer event that moves the person out removes them."""
    pipeline, _ = _a_promotion_whose_patch_failed(emulator)
    # The Directory owns the org unit (docs/rules.md): GCDS moves her there, as HR did.
    emulator.directory_update_user("ana.silva@example.com", {"org_unit_path": "/Sales"})
    moved = _hire("ana.silva@example.com", "p-2", 2, org_unit_path="/Sales", department="Sales")
    for event in events.decode_message(moved):
        pipeline.handle(event)
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    for name in ("spaces/AAAAengineering", "spaces/AAAAdata", "spaces/AAAAmanagers"):
        assert all(m.get("email") != "ana.silva@example.com" for m in spaces[name]["memberships"])


def _writes(emulator: Any, since: int) -> list[str]:
    verbs = ("spaces.members.create", "spaces.members.patch", "spaces.members.delete")
    return [c["method"] for c in emulator.calls(since) if c["method"] in verbs]


def test_after_a_reconcile_a_person_is_not_read_where_they_hold_the_role_the_rules_give(emulator):
    """The reconcile saw Raj manage Engineering and sit in Platform and Managers: an event that
    changes nothing about him reads none of those spaces and writes nothing."""
    pipeline = _pipeline(emulator)
    pipeline.reconcile_all(run_id="nightly", log=pipeline.log)
    mark = len(emulator.calls())
    same = _hire(
        "raj.mehta@example.com",
        "r-1",
        1,
        org_unit_path="/Engineering/Platform",
        department="Platform",
        title="Engineering Manager",
        job_level="M1",
        is_people_manager=True,
    )
    for event in events.decode_message(same):
        pipeline.handle(event)
    assert _gets(emulator, mark) == []
    assert _writes(emulator, mark) == []


def test_a_promotion_whose_patch_failed_is_read_again_by_the_redelivery(emulator):
    """Ana's create landed as a member, the patch to manager failed: the redelivered event reads
    Engineering again (her role there is unknown) and promotes her."""
    pipeline, manager = _a_promotion_whose_patch_failed(emulator)
    for event in events.decode_message(manager):  # Pub/Sub redelivers
        pipeline.handle(event)
    spaces = {s["name"]: s for s in emulator.state()["spaces"]}
    roles = {m.get("email"): m.get("role") for m in spaces["spaces/AAAAengineering"]["memberships"]}
    assert roles["ana.silva@example.com"] == "ROLE_ASSISTANT_MANAGER"
