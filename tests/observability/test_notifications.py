"""Held plans, drift and spaces chatsync cannot manage are posted to the admin space as the
Chat app, once per key, paced to Chat's limit, and a failed post never fails the event."""

from __future__ import annotations

from typing import Any

import pytest
from tests.observability.conftest import (
    ADMIN,
    LISBON,
    PLATFORM,
    ForgetfulStore,
    calls,
    handle_drift,
    lines,
    posted,
    story_event,
)

pytestmark = pytest.mark.observability


def test_a_held_plan_is_posted_to_the_admin_space_with_the_command_that_approves_it(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """What (five removals held), who (each person), why (the limit) and `chatsync approve`."""
    pipeline, records = observed()

    report = hold_lisbon(pipeline)

    plan_id = str(report.extra["held"])
    (message,) = posted(emulator)
    assert message["sender"]["type"] == "BOT", "posted as the Chat app"
    text = message["text"]
    assert f"`chatsync approve {plan_id}`" in text
    assert "max_removal_percent" in text
    for person in ("joao.reis", "omar.haddad", "kai.moser", "ben.kraus", "felix.wagner"):
        assert f"remove {person}@example.com from {LISBON}" in text
    (line,) = lines(records, notification="posted")
    assert line["notice"] == "held_plan" and line["admin_space"] == ADMIN


def test_a_redelivered_event_does_not_post_its_held_plan_again(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """The event is handled again (as after a crash before the ack): one message, not two."""
    pipeline, records = observed(store=ForgetfulStore())
    hold_lisbon(pipeline)

    again = pipeline.handle(story_event("12-group-mistake.json"))

    assert again.extra.get("held"), "the redelivery is held again, under the same plan id"
    assert len(posted(emulator)) == 1
    assert len(calls(emulator, "spaces.messages.create")) == 1
    assert len(lines(records, notification="already_posted", notice="held_plan")) == 1


def test_a_failed_post_is_logged_and_dropped_and_the_event_still_succeeds(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """Chat refuses the message: the plan is held and acked as before; one WARNING says why."""
    pipeline, records = observed(store=ForgetfulStore())
    emulator.fail_next("spaces.messages.create", 3, status=500)

    report = hold_lisbon(pipeline)

    assert report.extra.get("held")
    assert posted(emulator) == []
    (warning,) = lines(records, notification="failed")
    assert warning["severity"] == "WARNING"
    assert warning["http_status"] == 500 and warning["notice"] == "held_plan"
    # Nothing was recorded as posted, so a later redelivery may still post it.
    pipeline.handle(story_event("12-group-mistake.json"))
    assert len(posted(emulator)) == 1


def test_an_admin_space_without_the_app_in_it_never_fails_the_event(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """Chat answers 404 to an app that is not a member of the space: a warning, nothing else."""
    pipeline, records = observed(admin_space="spaces/AAAAsocial")

    report = hold_lisbon(pipeline)

    assert report.extra.get("held")
    (warning,) = lines(records, notification="failed")
    assert warning["http_status"] == 404
    assert posted(emulator, "spaces/AAAAsocial") == []


def test_a_429_on_a_post_is_retried_after_its_retry_after(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """Chat's per-space message limit answers 429: the post waits and goes through, once."""
    pipeline, records = observed()
    emulator.fail_next("spaces.messages.create", 1, status=429, retry_after=0.2)

    hold_lisbon(pipeline)

    assert len(posted(emulator)) == 1
    assert [c["status"] for c in calls(emulator, "spaces.messages.create")] == [429, 200]
    assert lines(records, notification="failed") == []


def test_without_an_admin_space_nothing_is_posted(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """CHATSYNC_ADMIN_SPACE unset: the null notifier; the held plan is still logged."""
    pipeline, records = observed(admin_space="")

    report = hold_lisbon(pipeline)

    assert report.extra.get("held")
    assert calls(emulator, "spaces.messages.create") == []
    assert lines(records, plan_id=report.extra["held"], severity="ERROR")


def test_reverted_drift_is_posted_once_per_space_within_the_hour(
    emulator: Any, observed: Any
) -> None:
    """Two manual adds in Platform are reverted: one message names the first and the command."""
    pipeline, records = observed()
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "vp.sales@example.com", "add")

    reports = handle_drift(pipeline, emulator)

    assert [r.extra.get("drift") for r in reports] == ["reverted", "reverted"]
    (message,) = posted(emulator)
    assert f"drift reverted in {PLATFORM} (platform)" in message["text"]
    assert "`chatsync explain dev.patel@example.com platform`" in message["text"]
    assert len(lines(records, notification="already_posted", notice="drift_reverted")) == 1


def test_reported_drift_is_posted_with_the_command_that_applies_the_rules(
    emulator: Any, observed: Any
) -> None:
    """CHATSYNC_DRIFT_MODE=report: nothing is written to Platform; the admins are told how."""
    pipeline, _ = observed(drift_mode="report")
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")

    handle_drift(pipeline, emulator)

    (message,) = posted(emulator)
    assert "drift reported in" in message["text"]
    assert "`chatsync reconcile --space platform`" in message["text"]
    assert "CHATSYNC_DRIFT_MODE=report" in message["text"]


def test_a_403_on_a_change_posts_the_space_as_unmanageable(emulator: Any, observed: Any) -> None:
    """Chat refuses a membership write with 403: the admins learn which space and the fix."""
    pipeline, records = observed()
    emulator.fail_next("spaces.members.create", 1, status=403)

    pipeline.handle(story_event("01-hire.json"))

    (failed,) = lines(records, outcome="failed_permanent")
    (message,) = posted(emulator)
    assert f"cannot manage {failed['space']}" in message["text"]
    assert "`chatsync doctor`" in message["text"]
    assert "add the Chat app to the space" in message["text"]
    (line,) = lines(records, notification="posted")
    assert line["notice"] == "space_unmanageable"


def test_a_403_on_a_read_posts_the_space_and_the_rest_of_the_event_applies(
    emulator: Any, observed: Any
) -> None:
    """A refused membership read skips that space (failure isolation) after telling the admins;
    the event itself is not dropped."""
    pipeline, _ = observed()
    emulator.fail_next("spaces.members.get", 1, status=403)

    report = pipeline.handle(story_event("01-hire.json"))

    (space,) = report.broken
    (message,) = posted(emulator)
    assert f"cannot manage {space}" in message["text"]


def test_notices_in_a_row_wait_for_the_per_space_write_limit_instead_of_failing(
    emulator: Any, observed: Any, hold_lisbon: Any
) -> None:
    """A held plan, then a broken space at once: both posted, no 429 from Chat's 1/s limit."""
    pipeline, records = observed()
    hold_lisbon(pipeline)
    emulator.fail_next("spaces.members.create", 1, status=403)

    pipeline.handle(story_event("01-hire.json"))

    assert [n for n in (r.get("notice") for r in lines(records, notification="posted"))] == [
        "held_plan",
        "space_unmanageable",
    ]
    assert [c["status"] for c in calls(emulator, "spaces.messages.create")] == [200, 200]
    assert len(posted(emulator)) == 2
