"""The fan-out through the real Pub/Sub emulator: a reconcile tick on the reconcile topic, work
items on the work topic pushed to ``on_work_item``, continuations when the budget runs out."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_RULES

from chatsync.adapters.store.sqlite import SqliteStore
from chatsync.app import records
from chatsync.domain import messages
from chatsync.tools.demo import FunctionProcess

from .conftest import PROJECT, Stack

pytestmark = [pytest.mark.pubsub, pytest.mark.scale]

PLATFORM, DATA = "spaces/AAAAplatform", "spaces/AAAAdata"


@pytest.fixture
def fanned(pubsub: Any, emulator: Any, tmp_path: Path) -> Iterator[tuple[Stack, Path]]:
    """The reconcile and work functions, the reconcile publishing to the work topic; every API
    call takes 150 ms and an invocation's budget is 0.4 s, so an item needs several."""
    state = tmp_path / "state.sqlite3"
    env = {
        **os.environ,
        "CHATSYNC_CHAT_ENDPOINT": emulator.url,
        "CHATSYNC_DIRECTORY_ENDPOINT": emulator.url,
        "CHATSYNC_ACCESS_TOKEN": "app",
        "CHATSYNC_RULES_FILE": str(DEMO_RULES),
        "CHATSYNC_STATE_BACKEND": "sqlite",
        "CHATSYNC_STATE_PATH": str(state),
        "CHATSYNC_LOG_FORMAT": "json",
        "CHATSYNC_MAX_ATTEMPTS": "1",
        "CHATSYNC_WORK_TOPIC": f"projects/{PROJECT}/topics/chatsync-work",
        "CHATSYNC_INVOCATION_BUDGET_S": "0.4",
        "PUBSUB_EMULATOR_HOST": pubsub.host,
        "PYTHONUNBUFFERED": "1",
    }
    procs = {t: FunctionProcess(t, env) for t in ("on_reconcile_tick", "on_work_item")}
    try:
        for proc in procs.values():
            proc.wait_ready()
        pubsub.create_subscriptions({t: p.url for t, p in procs.items()})
        emulator.set_latency(150)
        yield Stack(pubsub, emulator, procs), state
    finally:
        emulator.set_latency(0)
        for proc in procs.values():
            proc.stop()


def test_a_reconcile_tick_fans_out_items_that_continue_and_apply_each_change_once(
    fanned: tuple[Stack, Path],
) -> None:
    """Drift in a space (and the demo's own); the tick plans and publishes; on_work_item applies
    the items, publishing continuations as the budget runs out; the run ends done, every change
    recorded once, and a second reconcile finds nothing to do."""
    stack, state = fanned
    stack.emu.manual_change(PLATFORM, "dev.patel@example.com", "add")
    stack.emu.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    stack.emu.manual_change(PLATFORM, "eva.lund@example.com", "remove")
    tick = messages.TestMessage(origin="tick", topic="reconcile", data=b'{"kind": "reconcile"}')

    stack.publish([tick])
    stack.wait_for("the work run to finish", lambda: bool(stack.logged("work run finished")))
    (started,) = stack.logged("work run started")
    (finished,) = stack.logged("work run finished")
    continued = stack.logged("work item continued: invocation budget spent")
    store = SqliteStore(str(state))
    entries = store.audit(run=started["run_id"])
    run = store.get_doc(records.WORK_RUNS, started["run_id"])

    assert started["steps"] >= 4
    assert continued, "the 0.4 s budget should have cut an item short at least once"
    assert finished["applied"] == started["steps"] and finished["failed"] == 0
    assert len(entries) == started["steps"]
    assert len({(e.space, e.email) for e in entries}) == len(entries)
    assert run is not None and run["status"] == "done"
    assert len(run["done"]) == run["items_total"] == started["items"]
    assert not stack.dead_letters("on_work_item")
    before = len(stack.emu.calls())
    stack.publish([tick])
    stack.wait_for(
        "the second tick", lambda: len(stack.logged("full reconcile planned")) == 2, timeout=60
    )
    again = stack.logged("full reconcile planned")[-1]
    assert again["add"] == again["remove"] == again["demote"] == again["promote"] == 0
    assert not [
        c for c in stack.emu.calls(before) if c["method"].endswith(("create", "delete", "patch"))
    ]
    assert json.loads(json.dumps(finished))  # the log line is plain JSON
