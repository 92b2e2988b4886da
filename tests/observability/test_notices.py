"""The notices themselves (pure): what they say, the keys that make each one message, and
limits Chat puts on a message; plus the setting that turns them on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chatsync.adapters.chat.messages import message_id, request_id
from chatsync.app.settings import Settings
from chatsync.domain import errors, holding, notices, planning, safety, work_runs
from chatsync.domain.model import Email, Role, SpaceName

pytestmark = pytest.mark.observability

LISBON = SpaceName("spaces/AAAAlisbon")
NOON = 1_790_000_000.0


def held_doc(people: int) -> dict[str, object]:
    ops = tuple(
        planning.RemoveMember(
            LISBON, Email(f"p{i}@example.com"), f"{LISBON}/members/{i}", Role.MEMBER, ("no rule",)
        )
        for i in range(people)
    )
    verdict = safety.Verdict(held=True, reasons=("too many removals",), losses=people)
    return holding.record(planning.Plan(ops, ()), verdict, run_id="evt-1", scope="event", at=NOON)


def test_a_held_plan_notice_says_what_who_why_and_how_to_approve() -> None:
    """Every operation, the limit, and the approve command with the plan's own id."""
    doc = held_doc(3)

    notice = notices.held_plan(doc, handles={LISBON: "lisbon"})

    text = notice.text()
    assert notice.key == f"held:{doc['plan_id']}"
    assert f"`chatsync approve {doc['plan_id']}`" in text
    assert "too many removals" in text and f"{LISBON} (lisbon)" in text
    for i in range(3):
        assert f"remove p{i}@example.com from {LISBON} (was member)" in text


def test_a_long_list_is_cut_with_a_count_and_the_message_fits_chat() -> None:
    """Hundreds of people: the first ones, "and N more", and under Chat's 32,000 bytes."""
    doc = held_doc(notices.MAX_LISTED + 7)

    text = notices.held_plan(doc, handles={}).text()

    assert "... and 7 more" in text
    assert len(notices.cut("é" * 40_000).encode()) <= notices.MAX_BYTES


def test_drift_in_one_space_within_the_hour_is_one_key_and_the_next_hour_another() -> None:
    """Bursts coalesce by space and hour; reverted and reported never share a key."""

    def key(at: float, *, reverted: bool = True, space: str = LISBON) -> str:
        return notices.drift(
            space=space,
            person="a@example.com",
            change="created",
            operations=(),
            reasons=(),
            reverted=reverted,
            at=at,
        ).key

    hour = notices.HOUR
    start = (NOON // hour) * hour
    assert key(start) == key(start + hour - 1)
    assert key(start) != key(start + hour)
    assert key(start) != key(start, reverted=False)
    assert key(start) != key(start, space="spaces/AAAAplatform")


def test_unmanageable_spaces_are_one_message_with_the_fix_for_each_status() -> None:
    """403 and 404 in one delivery: one notice naming both spaces and both fixes."""
    broken = [
        notices.Unmanageable("spaces/AAAAb", 404, "spaces.members.list -> 404 NOT_FOUND"),
        notices.Unmanageable("spaces/AAAAa", 403, "spaces.members.create -> 403"),
    ]

    notice = notices.unmanageable(broken, handles={"spaces/AAAAa": "a"}, at=NOON)

    text = notice.text()
    assert "cannot manage 2 spaces" in text
    assert "403: app auth: add the Chat app to the space" in text
    assert "404: the space was deleted" in text
    assert "`chatsync doctor`" in text and "`chatsync reconcile --space a`" in text
    single = notices.unmanageable(broken[:1], handles={}, at=NOON)
    assert single.key == notices.unmanageable_key("spaces/AAAAb", 404, at=NOON)
    assert notice.key != single.key


def stalled(origin: str, *, done: int = 2, total: int = 8) -> work_runs.RunStatus:
    doc = {
        "run_id": "tick-7",
        "origin": origin,
        "status": "running",
        "items_total": total,
        "done": {str(i): {"applied": 5, "failed": 1 if i == 0 else 0} for i in range(done)},
        "created_at": NOON,
        "updated_at": NOON,
    }
    return work_runs.status(doc, now=NOON + 42 * 60, stall_after_s=30 * 60)


def test_a_stalled_run_notice_names_the_run_its_progress_and_where_to_look() -> None:
    """Run id and origin, items done / total, idle minutes, the status command, the work topic's
    dead-letter subscription; one key per run."""
    notice = notices.work_run_stalled(stalled("reconcile"), stall_minutes=30)

    text = notice.text()
    assert notice.kind == "work_run_stalled" and notice.kind in notices.KINDS
    assert notice.key == "stalled:tick-7"
    assert "run tick-7, from a full reconcile (reconcile)" in text
    assert "no progress for 42 minutes (CHATSYNC_STALL_MINUTES=30)" in text
    assert "2 of 8 work items done, 6 left, 1 done with failed changes" in text
    assert "`chatsync reconcile --status tick-7`" in text
    assert "dead-lettered to chatsync-work-dlq" in text
    assert "`gcloud pubsub subscriptions pull chatsync-work-dlq-inspect --limit 10`" in text
    assert "supersedes a stalled full-reconcile run" in text and "acked unapplied" in text
    later = notices.work_run_stalled(stalled("reconcile", done=5), stall_minutes=30)
    assert later.key == notice.key


def test_a_stalled_group_run_notice_does_not_promise_it_is_superseded() -> None:
    """Only a full reconcile's run is superseded (``app.reconciling``): a group event's run is
    reported again at each tick, and the next full reconcile plans what it left undone."""
    text = notices.work_run_stalled(stalled("group"), stall_minutes=30).text()

    assert "from a group event (group)" in text
    assert "Nothing supersedes a run of this origin" in text
    assert "supersedes a stalled full-reconcile run" not in text


def test_the_dead_letter_names_in_the_stall_notice_are_those_terraform_creates() -> None:
    """``<work topic><dead_letter_suffix>`` and its inspection subscription, as pubsub.json says."""
    config = json.loads(
        (Path(__file__).resolve().parents[2] / "terraform" / "pubsub.json").read_text()
    )
    (work,) = [t["topic"] for t in config["topics"] if t["key"] == "work"]
    dead_letters = work + config["dead_letter_suffix"]
    inspect = work + config["dead_letter_subscription_suffix"]
    assert (dead_letters, inspect) == (notices.WORK_DEAD_LETTERS, notices.WORK_DEAD_LETTERS_INSPECT)


def test_message_and_request_ids_are_what_chat_accepts_and_stable_per_key() -> None:
    """``client-`` + lowercase letters, digits, hyphens, 63 at most; same key, same ids."""
    for key in ("held:hold-1", "drift:reverted:spaces/AAAA:491666", "x" * 500):
        name = message_id(key)
        assert re.fullmatch(r"client-[a-z0-9-]+", name) and len(name) <= 63
        assert message_id(key) == name and request_id(key) == request_id(key)
    assert message_id("a") != message_id("b") and request_id("a") != request_id("b")


def test_an_admin_space_that_is_not_a_space_name_is_refused_at_start() -> None:
    """CHATSYNC_ADMIN_SPACE is checked with the other settings, naming the variable."""
    base = {"CHATSYNC_AUTH_MODE": "app"}
    with pytest.raises(errors.ConfigError, match="CHATSYNC_ADMIN_SPACE='admins'"):
        Settings.from_env({**base, "CHATSYNC_ADMIN_SPACE": "admins"})
    valid = Settings.from_env({**base, "CHATSYNC_ADMIN_SPACE": "spaces/AAAAx"})
    assert valid.admin_space == "spaces/AAAAx"
