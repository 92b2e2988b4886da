"""Directory reads are retried within a delivery, with the same bounded back-off as Chat reads:
a transient Directory failure does not send the whole message back to Pub/Sub."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chaos import harness
from chatsync.domain import errors, events
from chatsync.domain.model import Email
from chatsync.domain.rules import load_rules_text
from conftest import DEMO_RULES


def terminate(email: str, eid: str) -> events.Event:
    return harness.decode(
        harness.hr_message(
            email=email,
            sequence=1000,
            event_id=eid,
            message_id=f"m-{eid}",
            status="terminated",
            event_type="person.terminated",
        )
    )


def test_a_directory_blip_is_retried_within_the_delivery(emulator: Any) -> None:
    """Two 503s from the Directory while reading groups: the event still applies, no
    redelivery."""
    pipe = harness.pipeline(emulator, load_rules_text(DEMO_RULES.read_text()))
    emulator.fail_next("directory.groups.list", 2, status=503)
    report = pipe.handle(terminate("tom.berg@example.com", "blip"))
    assert report.results and not report.retryable_failures
    assert pipe.directory.retries == 2  # type: ignore[attr-defined]
    emulator.fail_next("directory.groups.list", 50, status=503)
    with pytest.raises(errors.RetryableError):
        pipe.handle(terminate("eva.lund@example.com", "down"))


def test_a_group_event_retries_the_member_list(emulator: Any) -> None:
    """A group event reads the group's members: one 429 there is retried, not redelivered."""
    pipe = harness.pipeline(emulator, load_rules_text(DEMO_RULES.read_text()))
    emulator.fail_next("directory.members.list", 1, status=429)
    meta = events.EventMeta("g-1", "g-1", "group.member_added", datetime.now(UTC))
    event = events.GroupEvent(
        meta=meta,
        group_email=Email("all-staff@example.com"),
        member_email=Email("lisbon-office@example.com"),
        member_type="group",
        added=True,
    )
    pipe.handle(event)
    assert pipe.directory.retries == 1  # type: ignore[attr-defined]
