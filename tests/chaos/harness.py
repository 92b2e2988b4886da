"""Build pipelines against the emulator in process, make HR messages, deliver like Pub/Sub.

``deliver`` mimics a push subscription: a message whose handling raises ``RetryableError`` goes
back on the queue and is delivered again later; anything else is acked.
"""

from __future__ import annotations

import base64
import io
import json
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatsync.adapters.store import MemoryStore, StateStore
from chatsync.app.logs import Logger
from chatsync.app.pipeline import Pipeline
from chatsync.app.retrying import RetryPolicy
from chatsync.domain import errors, events
from chatsync.domain.rules import Ruleset

WRITES = ("spaces.members.create", "spaces.members.patch", "spaces.members.delete")


def pipeline(
    emulator: Any,
    ruleset: Ruleset,
    *,
    token: str = "app",
    records: list[dict[str, Any]] | None = None,
    stream: io.StringIO | None = None,
    hash_emails: bool = False,
    secrets: tuple[str, ...] = (),
    attempts: int = 4,
    store: StateStore | None = None,
) -> Pipeline:
    from google.oauth2.credentials import Credentials

    from chatsync.adapters.chat.ratelimit import Limits, RateLimitedChat
    from chatsync.adapters.chat.rest import RestChatMembers
    from chatsync.adapters.directory import DirectoryClient
    from chatsync.app.retrying import RetryingDirectory, RetryingReads

    policy = RetryPolicy(max_attempts=attempts, base_delay=0.001, max_delay=0.004)

    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, 0.004))

    sink = records.append if records is not None else None
    log_kw: dict[str, Any] = {"secrets": secrets} if secrets else {}
    return Pipeline(
        ruleset=ruleset,
        # As runtime.build_pipeline wires it: quota-paced, reads retried, writes by the executor.
        chat=RateLimitedChat(
            RetryingReads(
                RestChatMembers(Credentials(token=token), endpoint=emulator.url, timeout=10),
                policy=policy,
                sleep=sleep,
            ),
            # The emulator runs quota time 1000 times faster (set_time_scale); so does the pacing.
            Limits(
                writes_per_minute=300 * 1000,
                reads_per_minute=3000 * 1000,
                space_reads_per_second=15 * 1000,
            ),
        ),
        directory=RetryingDirectory(
            DirectoryClient(Credentials(token=token), endpoint=emulator.url, timeout=10),
            policy=policy,
            sleep=sleep,
        ),
        store=store if store is not None else MemoryStore(),
        log=Logger(stream=stream or io.StringIO(), sink=sink, hash_emails=hash_emails, **log_kw),
        policy=policy,
        sleep=sleep,
        workers=1,
    )


def hr_message(
    *,
    email: str,
    sequence: int,
    event_id: str,
    message_id: str,
    status: str = "active",
    event_type: str = "person.updated",
    department: str | None = None,
    title: str | None = None,
    org_unit_path: str | None = None,
    is_people_manager: bool = False,
    job_level: str | None = None,
    occurred_at: str = "2026-11-02T09:00:00Z",
) -> dict[str, Any]:
    """One dirsync.hr.v1 Pub/Sub message (``decode_message`` shape)."""
    person: dict[str, Any] = {"employment_status": status, "is_people_manager": is_people_manager}
    for key, value in (
        ("department", department),
        ("title", title),
        ("org_unit_path", org_unit_path),
        ("job_level", job_level),
    ):
        if value is not None:
            person[key] = value
    data = {
        "schema": "dirsync.hr.v1",
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "effective_at": "2026-11-02",
        "emitted_at": occurred_at,
        "source": {"system": "hr", "event_id": f"src-{event_id}", "event_type": event_type},
        "subject": {"person_id": f"hr-{email}", "work_email": email},
        "person": person,
        "sequence": sequence,
    }
    return {
        "data": base64.b64encode(json.dumps(data).encode()).decode(),
        "attributes": {"schema": "dirsync.hr.v1", "event_type": event_type},
        "messageId": message_id,
        "publishTime": occurred_at,
    }


def decode(message: Mapping[str, Any]) -> events.Event:
    (event,) = events.decode_message(message, message_id=str(message["messageId"]))
    return event


@dataclass
class Delivery:
    """Figures of one redelivery loop."""

    deliveries: int = 0
    redeliveries: int = 0
    acked: int = 0
    dropped: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    applied_order: list[str] = field(default_factory=list)
    """Event ids that were applied (not duplicate, stale, held or deferred), in order."""


def deliver(
    handle: Callable[[events.Event], Any],
    queue: Iterable[events.Event],
    *,
    rng: random.Random,
    max_deliveries: int = 200_000,
) -> Delivery:
    """Deliver until everything is acked; a RetryableError puts the event back 3 to 60 places
    further down the queue (Pub/Sub redelivers after a back-off, in no particular order)."""
    pending = deque(queue)
    figures = Delivery()
    while pending:
        if figures.deliveries >= max_deliveries:
            raise AssertionError(f"still {len(pending)} undelivered after {max_deliveries}")
        event = pending.popleft()
        figures.deliveries += 1
        try:
            report = handle(event)
        except errors.RetryableError:
            figures.redeliveries += 1
            pending.insert(rng.randint(min(len(pending), 3), min(len(pending), 60)), event)
            continue
        except errors.PermanentError:
            figures.dropped += 1
            continue
        figures.acked += 1
        extra = getattr(report, "extra", {}) or {}
        kind = next(
            (k for k in ("duplicate", "stale", "held", "deferred") if k in extra), "applied"
        )
        figures.outcomes[kind] = figures.outcomes.get(kind, 0) + 1
        if kind == "applied":
            figures.applied_order.append(event.meta.event_id)
    return figures


def rosters(emulator: Any, spaces: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{space: {email: ROLE_*}}`` of human members, from the emulator's state."""
    wanted = set(spaces)
    result: dict[str, dict[str, str]] = {}
    for space in emulator.state()["spaces"]:
        if space["name"] in wanted:
            result[space["name"]] = {
                m["email"]: m["role"]
                for m in space["memberships"]
                if m.get("email") and m.get("type", "HUMAN") == "HUMAN"
            }
    return result


def write_calls(emulator: Any, since: int = 0) -> list[dict[str, Any]]:
    return [c for c in emulator.calls(since) if c["method"] in WRITES]
