"""A stalled run is told to the admin space: once per run whatever number of ticks report it, and
a post Chat refuses never fails the tick. The stall line carries what the metric reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from chatsync.app import fanout, records
from chatsync.app.executing import Note
from chatsync.domain import errors, events
from chatsync.domain.model import Email

from .fanout_world import World, expected, mail, tick, world

pytestmark = pytest.mark.scale

ADMIN = "spaces/AAAAadmins"
STALL = "work run stalled: no progress, items are left"
MINUTE = 60.0


@dataclass
class Notifier:
    """The admin space: keeps what is posted; ``failing`` answers are raised first, in order."""

    space: str = ADMIN
    posts: list[tuple[str, str]] = field(default_factory=list)
    failing: list[errors.ChatApiError] = field(default_factory=list)

    def post(self, text: str, *, key: str) -> str:
        if self.failing:
            raise self.failing.pop(0)
        self.posts.append((key, text))
        return f"{ADMIN}/messages/{len(self.posts)}"

    def check(self) -> str:
        return "admins"


def stalled_group_run(notifier: Notifier) -> World:
    """A group of 60 joins: 3 people items are published and lost (never delivered)."""
    w = world(spaces=3, people=60)
    w.pipeline.notifier = notifier
    group = mail("team")
    w.directory.groups[group] = frozenset(mail(f"p{n:03d}") for n in range(60))
    meta = events.EventMeta("g-1", "g-1", "group.member_added", datetime.now(UTC))
    event = events.GroupEvent(meta, Email("all@example.com"), group, "group", True)
    assert w.pipeline.handle(event).note is Note.FANNED_OUT
    assert len(w.queue.take()) == 3
    return w


def later_tick(w: World, event_id: str) -> None:
    """Past the stall window, a scheduler tick; the full reconcile's own items are delivered."""
    w.clock.now += 31 * MINUTE
    w.pipeline.handle(tick(event_id))
    w.drain()


def test_a_stalled_run_is_posted_once_across_two_ticks() -> None:
    """A group run is not superseded, so every tick reports it again (an ERROR line each); the
    admin space gets one message, keyed by the run, naming the run and the commands."""
    notifier = Notifier()
    w = stalled_group_run(notifier)

    later_tick(w, "tick-2")
    later_tick(w, "tick-3")

    assert [line["run_id"] for line in w.lines(STALL)] == ["group-g-1", "group-g-1"]
    ((key, text),) = notifier.posts
    assert key == "stalled:group-g-1"
    assert "`chatsync reconcile --status group-g-1`" in text
    assert "0 of 3 work items done, 3 left" in text
    assert "chatsync-work-dlq" in text
    assert "Nothing supersedes a run of this origin" in text
    posted = [r for r in w.lines("notification posted") if r["notice"] == "work_run_stalled"]
    assert len(posted) == 1
    again = w.lines("notification already posted: not posted again")
    assert [r["notice_key"] for r in again] == ["stalled:group-g-1"]
    assert w.chat.rosters == expected(w), "the full reconciles applied what the run left"


def test_a_post_chat_refuses_does_not_fail_the_tick_and_the_next_tick_posts_it() -> None:
    """Chat answers 500 to the post: one WARNING, the tick goes on (the full reconcile runs);
    nothing was recorded as posted, so the next tick that finds the run stalled posts it."""
    notifier = Notifier(failing=[errors.ChatApiError("messages.create -> 500", status=500)])
    w = stalled_group_run(notifier)

    later_tick(w, "tick-2")

    assert notifier.posts == []
    (warning,) = [r for r in w.lines() if r.get("notification") == "failed"]
    assert warning["severity"] == "WARNING"
    assert warning["notice"] == "work_run_stalled" and warning["http_status"] == 500
    assert fanout.run_status(w.pipeline.deps(), "tick-2").state == "done"
    assert w.lines("full reconcile completed")

    later_tick(w, "tick-3")

    assert [key for key, _ in notifier.posts] == ["stalled:group-g-1"]


def test_a_stalled_reconcile_run_is_posted_once_and_superseded() -> None:
    """The tick that finds a full reconcile's run stalled posts it and supersedes it; the note
    says so. The next tick finds no stalled run and posts nothing."""
    notifier = Notifier()
    w = world(spaces=2, people=10)
    w.pipeline.notifier = notifier
    w.pipeline.handle(tick())
    w.queue.take()  # the items are never delivered

    later_tick(w, "tick-2")
    later_tick(w, "tick-3")

    ((key, text),) = notifier.posts
    assert key == "stalled:tick-1"
    assert "A scheduled full reconcile supersedes a stalled full-reconcile run" in text
    assert fanout.run_status(w.pipeline.deps(), "tick-1").state == "superseded"
    assert len(w.lines(STALL)) == 1


def test_the_stall_line_carries_what_the_metric_reads() -> None:
    """``work_runs_stalled`` filters on the message at ERROR and extracts ``origin``; the rest is
    what an admin needs to find the run. The run document is stamped."""
    w = stalled_group_run(Notifier(space=""))

    later_tick(w, "tick-2")

    (line,) = w.lines(STALL)
    assert line["severity"] == "ERROR"
    assert line["origin"] == "group"
    assert line["run_id"] == "group-g-1"
    assert (line["items_total"], line["items_done"]) == (3, 0)
    assert line["idle_minutes"] >= 30 and line["stall_minutes"] == 30.0
    doc = w.pipeline.store.get_doc(records.WORK_RUNS, "group-g-1")
    assert doc is not None
    assert float(doc["stall_reported_at"]) - float(doc["updated_at"]) > 30 * MINUTE
