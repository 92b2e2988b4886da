"""The log lines the log-based metrics count carry stable fields (docs/observability-logs.md):
each test reads records the real code printed, against the emulator, never hand-written ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.observability.conftest import PLATFORM, handle_drift, lines, story_event

from chatsync.app.observing import FAILED
from chatsync.domain import events, messages

pytestmark = pytest.mark.observability

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"


def test_an_applied_change_names_its_action_space_and_outcome(emulator: Any, observed: Any) -> None:
    """changes_applied counts outcome=applied by action; every applied line has both."""
    pipeline, records = observed()

    pipeline.handle(story_event("01-hire.json"))

    applied = lines(records, outcome="applied")
    assert {r["action"] for r in applied} == {"add"}
    assert all(r["space"].startswith("spaces/") and r["event_id"] == "demo-0001" for r in applied)


def test_a_refused_change_carries_the_http_status_and_the_space(
    emulator: Any, observed: Any
) -> None:
    """403: the ERROR line of the change and the answer's own WARNING line, both with fields."""
    pipeline, records = observed()
    emulator.fail_next("spaces.members.create", 1, status=403)

    pipeline.handle(story_event("01-hire.json"))

    (change,) = lines(records, outcome="failed_permanent")
    assert change["severity"] == "ERROR" and change["http_status"] == 403
    (answer,) = lines(records, message=FAILED)
    assert answer["severity"] == "WARNING"
    assert answer["http_status"] == 403 and answer["space"] == change["space"]
    assert answer["method"] == "spaces.members.create"
    assert answer["api_status"] == "PERMISSION_DENIED" and answer["retryable"] is False


def test_every_429_answer_is_one_line_even_when_a_retry_overcomes_it(
    emulator: Any, observed: Any
) -> None:
    """Two 429s then success: the change is applied, and each 429 was logged with its delay."""
    pipeline, records = observed()
    emulator.fail_next("spaces.members.create", 2, status=429, retry_after=0.05)

    pipeline.handle(story_event("01-hire.json"))

    answers = lines(records, message=FAILED, http_status=429)
    assert len(answers) == 2
    assert all(a["retryable"] is True and a["retry_after"] is not None for a in answers)
    assert {a["space"] for a in answers} <= {r["space"] for r in lines(records, outcome="applied")}
    assert lines(records, outcome="failed_retryable") == []


def test_a_held_plan_line_names_its_plan_id(emulator: Any, observed: Any, hold_lisbon: Any) -> None:
    """plans_held counts the ERROR line that starts "plan held:", with plan_id and event_type."""
    pipeline, records = observed()

    report = hold_lisbon(pipeline)

    (held,) = lines(records, plan_id=report.extra["held"], severity="ERROR")
    assert held["message"].startswith("plan held:")
    assert held["event_type"] == "group.member_removed" and held["scope"] == "event"


def test_drift_lines_say_reverted_or_reported(emulator: Any, observed: Any) -> None:
    """One drift="reverted" line per reverted event; one drift="reported" line per operation."""
    pipeline, records = observed()
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    handle_drift(pipeline, emulator)
    reporting, reported = observed(drift_mode="report")
    since = len(emulator.events())
    emulator.manual_change(PLATFORM, "vp.sales@example.com", "add")
    handle_drift(reporting, emulator, since)

    (reverted,) = lines(records, drift="reverted")
    assert reverted["severity"] == "WARNING" and reverted["space"] == PLATFORM
    (line,) = lines(reported, drift="reported")
    assert line["action"] == "drift" and line["person"] == "vp.sales@example.com"


def test_a_full_reconcile_tick_ends_with_a_completed_line_and_a_runs_record(
    emulator: Any, observed: Any
) -> None:
    """full_reconciles counts "full reconcile completed" with event_type=reconcile."""
    pipeline, records = observed()

    pipeline.handle(story_event("11-reconcile.json"))

    (done,) = lines(records, message="full reconcile completed")
    assert done["event_type"] == "reconcile" and done["full"] is True
    assert done["applied"] >= 1
    (record,) = pipeline.store.list_docs("runs")
    assert record[0] == done["run_id"] and record[1]["counts"]["applied"] == done["applied"]


def test_a_space_refused_on_read_is_skipped_and_named_with_status(
    chatsync_env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through functions-framework: a 403 on one space's read skips that space (failure
    isolation), and both the failed-answer line and the skipped-space line name status and
    space; the event is acked and the space recorded for the reconcile."""
    import functions_framework

    import main

    main.pipeline.cache_clear()
    try:
        app = functions_framework.create_app("on_hr_event", str(MAIN), "cloudevent")
        (message,) = messages.load(
            [MAIN.parent / "chatsync" / "samples" / "demo" / "story" / "01-hire.json"]
        )
        headers, body = message.cloud_event()
        emulator.fail_next("spaces.members.get", 1, status=403)
        capsys.readouterr()
        response = app.test_client().post("/", headers=headers, data=json.dumps(body))
        out = capsys.readouterr().out
        store = main.pipeline().store
    finally:
        main.pipeline.cache_clear()

    assert response.status_code == 200, "the healthy spaces applied: the event is acked"
    records = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    (answer,) = [r for r in records if r["message"] == FAILED]
    assert answer["http_status"] == 403 and answer["space"].startswith("spaces/AAAA")
    (skipped,) = [r for r in records if r["message"].startswith("space skipped")]
    assert skipped["status"] == 403 and skipped["space"] == answer["space"]
    assert [key for key, _ in store.list_docs("broken_spaces")] == [answer["space"]]


class _Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


class _Nowhere:
    """A work topic nobody delivers from: what a missing push subscription looks like."""

    def publish(self, batch: Any) -> None:
        return None


def test_a_stalled_run_is_one_error_line_with_its_origin_and_one_admin_space_message(
    emulator: Any, observed: Any
) -> None:
    """work_runs_stalled counts the stall line at ERROR by origin; the same tick posts the run
    to the admin space through Chat (the emulator), once."""
    pipeline, records = observed()
    clock = _Clock()
    pipeline.clock, pipeline.work = clock, _Nowhere()
    emulator.directory_update_user("old.timer@example.com", {"employment_status": "terminated"})

    def tick(event_id: str) -> None:
        (event,) = events.decode_message({"data": "", "messageId": event_id})
        pipeline.handle(event)

    tick("tick-1")
    clock.now += 31 * 60
    tick("tick-2")

    (line,) = lines(records, message="work run stalled: no progress, items are left")
    assert line["severity"] == "ERROR"
    assert line["origin"] == "reconcile" and line["run_id"] == "tick-1"
    assert line["items_done"] == 0 and line["items_total"] >= 1
    assert line["idle_minutes"] >= 30 and line["stall_minutes"] == 30
    (message,) = emulator.messages("spaces/AAAAchatsyncadmins")
    assert "`chatsync reconcile --status tick-1`" in message["text"]
    assert lines(records, notification="posted", notice="work_run_stalled")
