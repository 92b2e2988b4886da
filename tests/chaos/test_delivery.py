"""At-least-once delivery under injected faults: thousands of HR events, duplicated and
reordered, delivered the way Pub/Sub does (a retryable failure is delivered again later).

Every test asserts the final rosters against the oracle (the rules evaluated on each person's
last snapshot), that nothing is lost (every message acked, none dropped), that no person's
applied events ever go backwards, and the write accounting read from the emulator's call log:
accepted writes == writes that changed Chat (the emulator emits one membership event per real
change and none for a no-op), and attempts - accepted == faulted calls (no write failed for any
reason but an injected fault: no 409, no 404, no precondition).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from chaos import harness, world
from chatsync.adapters.store import MemoryStore, StateStore
from chatsync.app import presence
from chatsync.domain import errors, events
from chatsync.domain.model import Email, SpaceName
from chatsync.domain.rules import load_rules_text
from conftest import DEMO_RULES

pytestmark = pytest.mark.chaos

MANAGED = [
    "spaces/AAAAengineering",
    "spaces/AAAAplatform",
    "spaces/AAAAdata",
    "spaces/AAAAmanagers",
    "spaces/AAAAsales",
    "spaces/AAAAlisbon",
    "spaces/AAAAannounce",
]


def rules_without_limits() -> Any:
    return load_rules_text(DEMO_RULES.read_text().split("\nsafety:")[0])


def accounting(emulator: Any, since: int) -> dict[str, int]:
    calls = emulator.calls(since)
    writes = [c for c in calls if c["method"] in harness.WRITES]
    accepted = [c for c in writes if c["status"] < 300]
    failed = [c for c in writes if c["status"] >= 300]
    faulted_writes = [c for c in failed if c.get("fault")]
    changes = [
        e for e in emulator.events() if "membership" in str(e.get("attributes", {}).get("ce-type"))
    ]
    return {
        "calls": len(calls),
        "faults_injected": sum(1 for c in calls if c.get("fault") and c["status"] >= 400),
        "write_attempts": len(writes),
        "writes_accepted": len(accepted),
        "write_faults": len(faulted_writes),
        "writes_failed_otherwise": len(failed) - len(faulted_writes),
        "changes": len(changes),
    }


def applied_sequences(store: Any, email: str) -> list[int]:
    """The sequence of the event behind each of ``email``'s audit entries, oldest first."""
    return [
        int(e.run_id.rsplit("-", 1)[1])
        for e in store.audit(person=email)
        if e.run_id.startswith("ev-")
    ]


def sequences_never_go_back(store: Any, emails: list[str]) -> list[str]:
    problems = []
    for email in emails:
        seqs = applied_sequences(store, email)
        if seqs != sorted(seqs):
            problems.append(f"{email}: applied out of order {seqs}")
    return problems


def late_writes(store: Any, emails: list[str]) -> int:
    """Audit entries of an older event written after a newer event's, for the same person."""
    count = 0
    for email in emails:
        newest = 0
        for seq in applied_sequences(store, email):
            count += seq < newest
            newest = max(newest, seq)
    return count


def watermarks_hold_the_newest(store: Any, queue: list[events.Event]) -> list[str]:
    """Each person's stored watermark is their newest event: no claim was lost or undone."""
    newest: dict[str, int] = {}
    for event in queue:
        if isinstance(event, events.PersonEvent) and event.meta.sequence is not None:
            email = event.person.email
            newest[email] = max(newest.get(email, 0), event.meta.sequence)
    problems = []
    for email, sequence in sorted(newest.items()):
        mark = store.get_watermark(email)
        if mark is None or mark.sequence != sequence:
            problems.append(f"{email}: watermark {mark} is not the newest event ({sequence})")
    return problems


def presence_covers_rosters(store: Any, after: dict[str, dict[str, str]]) -> list[str]:
    """Every member must be where their presence record says they may be: a record that says
    "checked, not there" for a space they are in hides them from the next removal."""
    problems = []
    for space, members in after.items():
        for email in members:
            known = presence.load(store, Email(email))
            if known is not None and not known.may_be_in(SpaceName(space)):
                problems.append(f"{email}: in {space}, presence says checked and absent")
    return problems


def run_chaos(
    emulator: Any,
    figures: Any,
    *,
    n: int,
    seed: int,
    fault_rate: float,
    latency: float,
    threads: int = 1,
    stores: Callable[[], StateStore] = MemoryStore,
    instances: int = 1,
) -> None:
    """Deliver ``n`` generated events; with ``instances`` > 1, that many pipelines (function
    instances) each get a store from ``stores`` (which must share one state) and the delivery
    threads take turns among them."""
    ruleset = rules_without_limits()
    generated = world.generate(emulator, events_wanted=n, seed=seed)
    directory = world.directory_people(emulator)
    before = harness.rosters(emulator, MANAGED)
    emulator.configure_events(emit_for_api_writes=True)
    pipes = [harness.pipeline(emulator, ruleset, store=stores()) for _ in range(instances)]
    queue = [harness.decode(m) for m in generated.messages]
    since = len(emulator.calls())
    emulator.set_time_scale(1000)
    emulator.set_random_faults(fault_rate, statuses=(429, 500, 503), latency=latency, seed=seed)
    started = time.monotonic()
    try:
        if threads == 1 and instances == 1:
            delivered = harness.deliver(pipes[0].handle, queue, rng=random.Random(seed))
        else:
            handles = [p.handle for p in pipes]
            delivered = deliver_concurrently(handles, queue, threads=threads, seed=seed)
    finally:
        emulator.clear_faults()
    elapsed = time.monotonic() - started
    after = harness.rosters(emulator, MANAGED)
    numbers = accounting(emulator, since)
    problems = world.check_oracle(ruleset, before, after, generated.final, directory)
    problems += watermarks_hold_the_newest(pipes[0].store, queue)
    problems += presence_covers_rosters(pipes[0].store, after)
    late = late_writes(pipes[0].store, sorted(generated.final))
    # The person lock (one instance) and the store's per-person lease (across instances) keep
    # a person's deliveries in order.
    problems += sequences_never_go_back(pipes[0].store, sorted(generated.final))
    unacked = len(queue) - delivered.acked
    figures(
        events=generated.unique,
        deliveries=delivered.deliveries,
        duplicates=generated.duplicates,
        reordered=generated.reordered,
        redeliveries=delivered.redeliveries,
        faults_injected=numbers["faults_injected"],
        retries=numbers["write_attempts"] - numbers["writes_accepted"],
        writes=numbers["writes_accepted"],
        necessary_writes=numbers["changes"],
        lost=unacked + delivered.dropped + len(problems),
        outcomes=dict(sorted(delivered.outcomes.items())),
        threads=threads,
        instances=instances,
        late_writes=late,
        redundant_writes=numbers["writes_accepted"] - numbers["changes"],
        seconds=round(elapsed, 1),
    )
    assert problems == []
    assert delivered.dropped == 0 and unacked == 0
    if threads == 1:  # concurrently, a copy may run beside its original: re-planned, no write
        assert delivered.outcomes.get("duplicate", 0) >= generated.duplicates
    assert numbers["faults_injected"] > 0
    assert numbers["writes_accepted"] == numbers["changes"]
    assert numbers["write_attempts"] - numbers["writes_accepted"] == numbers["write_faults"]
    assert numbers["writes_failed_otherwise"] == 0


def deliver_concurrently(
    handles: list[Any], queue: list[events.Event], *, threads: int, seed: int
) -> Any:
    """Several deliveries at once, sharing one redelivery queue; thread ``k`` delivers to
    ``handles[k % len(handles)]`` (one handle per function instance)."""
    lock = threading.Lock()
    pending = list(reversed(queue))
    in_flight = [0]
    figures = harness.Delivery()
    rng = random.Random(seed)

    def worker(handle: Any) -> None:
        while True:
            with lock:
                if not pending:
                    if in_flight[0] == 0:
                        return
                    event = None
                else:
                    event = pending.pop()
                    in_flight[0] += 1
                    figures.deliveries += 1
            if event is None:
                time.sleep(0.001)
                continue
            try:
                report = handle(event)
            except errors.RetryableError:
                with lock:
                    figures.redeliveries += 1
                    pending.insert(rng.randint(0, max(0, len(pending) - 3)), event)
                    in_flight[0] -= 1
                continue
            except errors.PermanentError:
                with lock:
                    figures.dropped += 1
                    in_flight[0] -= 1
                continue
            extra = report.extra or {}
            kind = next((k for k in ("duplicate", "stale", "held") if k in extra), "applied")
            with lock:
                figures.acked += 1
                figures.outcomes[kind] = figures.outcomes.get(kind, 0) + 1
                in_flight[0] -= 1

    pool = [
        threading.Thread(target=worker, args=(handles[k % len(handles)],)) for k in range(threads)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return figures


def test_2000_events_with_faults_duplicates_and_reordering_converge(
    emulator: Any, figures: Any
) -> None:
    """20% of calls fail (429/500/503) with latency; the rosters still end where the rules say."""
    run_chaos(emulator, figures, n=2000, seed=7, fault_rate=0.2, latency=0.0002)


def test_30_percent_faults_lose_nothing(emulator: Any, figures: Any) -> None:
    """At the top of the range, many more redeliveries, the same end state and accounting."""
    run_chaos(emulator, figures, n=400, seed=11, fault_rate=0.3, latency=0.0)


def test_concurrent_deliveries_never_move_a_person_backwards(emulator: Any, figures: Any) -> None:
    """Four deliveries at a time (one instance, shared store): still exact."""
    run_chaos(emulator, figures, n=600, seed=13, fault_rate=0.1, latency=0.0005, threads=4)


def test_counts_are_per_outcome(emulator: Any) -> None:
    """Sanity of the harness itself: duplicates are recognised by event id, not message id."""
    generated = world.generate(emulator, events_wanted=50, seed=3)
    ids = Counter(harness.decode(m).meta.event_id for m in generated.messages)
    assert sum(ids.values()) - len(ids) == generated.duplicates
