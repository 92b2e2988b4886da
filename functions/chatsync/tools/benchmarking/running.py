"""The benchmark phases, each on a fresh emulator state, counted from the emulator's call log.

1. **events**: HR events for changed people, the emulator at zero latency and no quotas; chatsync
   (its real pipeline) and then the baseline handle the same messages. Per-event overhead, events
   a second (one process: the emulator shares the interpreter, so this is one core's worth).
2. **reorg**: the Directory changed for everyone at once; one full reconcile at the documented
   quotas, time-scaled. Quota utilization, 429s, lost changes, writes a second over time.
3. **events with latency**: the events again, every API call delayed ``latency_ms`` by the
   emulator (50 ms: a round trip to Google), chatsync and the baseline on the same messages (the
   baseline on the first ``baseline_events`` only: at about 6 s an event it is slow). Here calls
   cost time, not the emulator's CPU: chatsync reads and writes spaces side by side
   (``app.lanes``), the baseline one call after another.
4. **cold start**: ``import main`` in a fresh interpreter; resident memory after it.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from chatsync.domain import events
from chatsync.tools.benchmarking import cold_start
from chatsync.tools.benchmarking import org as orgs
from chatsync.tools.benchmarking.baseline import NaiveHandler

WRITES = ("spaces.members.create", "spaces.members.delete", "spaces.members.patch")
READS = ("spaces.members.get", "spaces.members.list")
WRITES_PER_MINUTE, READS_PER_MINUTE, SPACE_READS_PER_SECOND = 300.0, 3000.0, 15.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Config:
    people: int
    groups: int
    events: int
    time_scale: float
    out_dir: Path
    workers: int = 8
    latency_ms: float = 50.0
    """Per-call latency the emulator models in the events-with-latency phase."""
    baseline_events: int = 5
    """Events the baseline handles with latency (each costs it a call per managed space)."""
    rounds: int = 3
    """Zero-latency events phase: chatsync then the baseline, this many times; the round with the
    median ratio is reported (each round is a side-by-side measurement; a shared machine's
    noise moves single rounds by a third either way)."""

    @classmethod
    def quick(cls, out_dir: Path) -> Config:
        return cls(people=1200, groups=30, events=40, time_scale=20.0, out_dir=out_dir)

    @classmethod
    def full(cls, out_dir: Path) -> Config:
        return cls(
            people=6000,
            groups=50,
            events=200,
            time_scale=20.0,
            out_dir=out_dir,
            baseline_events=10,
        )


@dataclass(frozen=True, slots=True)
class Counts:
    write_calls: int
    write_attempts: int
    read_calls: int
    http_429: int
    calls: int
    busiest_space_reads: int
    write_times: tuple[float, ...]

    @classmethod
    def of(cls, calls: Sequence[Mapping[str, Any]]) -> Counts:
        writes = [c for c in calls if c["method"] in WRITES]
        reads = [c for c in calls if c["method"] in READS]
        per_space: dict[str, int] = {}
        for c in reads:
            space = "/".join(str(c.get("path", "")).split("/")[2:4])
            per_space[space] = per_space.get(space, 0) + 1
        return cls(
            write_calls=sum(1 for c in writes if c["status"] == 200),
            write_attempts=len(writes),
            read_calls=len(reads),
            http_429=sum(1 for c in calls if c["status"] == 429),
            calls=len(calls),
            busiest_space_reads=max(per_space.values(), default=0),
            write_times=tuple(float(c["time"]) for c in writes if c["status"] == 200),
        )


def bench_settings(rules: Path, url: str) -> Any:
    """Every benchmark pipeline's settings: the emulator at ``url``, its app token, memory."""
    from chatsync.app.settings import Settings

    return Settings(
        rules_file=str(rules),
        chat_endpoint=url,
        directory_endpoint=url,
        access_token="app",
        state_backend="memory",
        log_level="ERROR",
    )


def build_chatsync(
    rules: Path, url: str, *, time_scale: float, workers: int, burst_seconds: float = 1.0
) -> Any:
    """chatsync's own pipeline, its rate limits set to the quotas at ``time_scale``; its
    buckets hold ``burst_seconds`` of calls (wall time: ``1 / time_scale`` is one second of
    quota time, as deployed)."""
    from chatsync.adapters.chat.ratelimit import Limits, RateLimitedChat
    from chatsync.adapters.store import MemoryStore
    from chatsync.app.logs import Logger
    from chatsync.runtime import build_pipeline

    pipeline = build_pipeline(
        bench_settings(rules, url),
        log=Logger(level="ERROR", stream=io.StringIO()),
        store=MemoryStore(),
    )
    limited = find_layer(pipeline.chat, RateLimitedChat)
    limited.limits = Limits(
        writes_per_minute=WRITES_PER_MINUTE * time_scale,
        reads_per_minute=READS_PER_MINUTE * time_scale,
        space_reads_per_second=SPACE_READS_PER_SECOND * time_scale,
        burst_seconds=burst_seconds,
    )
    pipeline.workers = workers
    return pipeline


def find_layer(chat: Any, kind: type[T]) -> T:
    """The ``kind`` layer of a stack of Chat port wrappers (each keeps the next as ``inner``)."""
    layer = chat
    while not isinstance(layer, kind):
        layer = layer.inner
    return layer


def _messages(cfg: Config, org: orgs.Org) -> list[dict[str, Any]]:
    after = {p.email: p for p in org.after}
    return [
        orgs.hr_message(after[e], event_id=f"bench-{i:05d}", sequence=i + 1)
        for i, e in enumerate(org.changed[: cfg.events])
    ]


def _settle() -> None:
    """Before a timed loop: collect, then freeze what is left (the generated org, the emulator's
    store, the other side's leftovers) out of the collector. The bench's heap is far larger than a
    function instance's; without this a full collection over it (tens of milliseconds) lands
    inside whichever side's clock happens to be running."""
    gc.collect()
    gc.freeze()


def _warm(pipeline: Any) -> None:
    """As in production before the events: the scheduled full reconcile has run (it records
    where everyone is), space types are read once per instance, clients are built once. A dry
    run: the emulator's Directory already holds the facts the events bring."""
    pipeline.dry_run = True
    pipeline.reconcile_all(run_id="bench-warm-up", log=pipeline.log)
    pipeline.dry_run = False


def events_latency_phase(cfg: Config, org: orgs.Org, emu: Any, rules: Path) -> dict[str, Any]:
    """The events again with ``cfg.latency_ms`` on every API call, chatsync and the baseline."""
    messages = _messages(cfg, org)
    emu.reset()
    emu.set_quotas(False)
    emu.set_latency(0.0)
    pipeline = build_chatsync(rules, emu.url, time_scale=1e6, workers=cfg.workers)
    _warm(pipeline)  # not timed, and without latency
    emu.set_latency(cfg.latency_ms)
    try:
        _settle()
        began = time.perf_counter()
        for message in messages:
            for event in events.decode_message(message):
                pipeline.handle(event)
        ours = time.perf_counter() - began
        emu.reset()
        naive = NaiveHandler(org.ruleset, endpoint=emu.url)
        some = messages[: cfg.baseline_events]
        _settle()
        began = time.perf_counter()
        for message in some:
            naive.handle(message)
        theirs = time.perf_counter() - began
    finally:
        emu.set_latency(0.0)
    return {
        "latency_ms": cfg.latency_ms,
        "events": len(messages),
        "seconds": round(ours, 3),
        "events_per_s": round(len(messages) / ours, 2) if ours > 0 else 0.0,
        "baseline_events": len(some),
        "baseline_seconds": round(theirs, 3),
        "baseline_events_per_s": round(len(some) / theirs, 3) if theirs > 0 else 0.0,
    }


def events_phase(cfg: Config, org: orgs.Org, emu: Any, rules: Path) -> dict[str, Any]:
    """chatsync and the baseline on the same HR messages, each from the starting roster, in
    ``cfg.rounds`` side-by-side rounds; the figures are those of the median round, and every
    round's rates are listed under ``rounds``."""
    chosen = org.changed[: cfg.events]
    after = {p.email: p for p in org.after}
    messages = _messages(cfg, org)
    moved = set(chosen)
    facts = [after[p.email] if p.email in moved else p for p in org.before]
    facts += [after[e] for e in moved if e not in {p.email for p in org.before}]
    start = orgs.roster(org.ruleset, org.before)
    expected = orgs.roster(org.ruleset, facts)
    necessary = orgs.writes_between(start, expected)

    rounds = [
        _events_round(cfg, org, emu, rules, messages=messages, expected=expected)
        for _ in range(max(1, cfg.rounds))
    ]
    rates = [(r["chatsync"]["events_per_s"], r["baseline"]["events_per_s"]) for r in rounds]
    by_ratio = sorted(range(len(rounds)), key=lambda i: _ratio(*rates[i]))
    median = rounds[by_ratio[len(by_ratio) // 2]]
    return {
        "events": len(messages),
        "necessary_writes": necessary,
        **median,
        "rounds": [
            {"events_per_s": ours, "baseline_events_per_s": theirs, "ratio": _ratio(ours, theirs)}
            for ours, theirs in rates
        ],
    }


def _ratio(ours: float, theirs: float) -> float:
    return round(ours / theirs, 2) if theirs > 0 else 0.0


def _events_round(
    cfg: Config,
    org: orgs.Org,
    emu: Any,
    rules: Path,
    *,
    messages: Sequence[dict[str, Any]],
    expected: Any,
) -> dict[str, Any]:
    """One side-by-side round: chatsync (after its untimed warm-up), then the baseline."""
    emu.reset()
    emu.set_quotas(False)
    pipeline = build_chatsync(rules, emu.url, time_scale=1e6, workers=cfg.workers)
    # Warm-up outside the clock, as in production (see _warm).
    warm = len(emu.calls())
    _warm(pipeline)
    warm_up = Counts.of(emu.calls(warm))
    mark = len(emu.calls())
    latencies: list[float] = []
    _settle()
    began = time.perf_counter()
    for message in messages:
        t0 = time.perf_counter()
        for event in events.decode_message(message):
            pipeline.handle(event)
        latencies.append(time.perf_counter() - t0)
    chatsync_seconds = time.perf_counter() - began
    ours = Counts.of(emu.calls(mark))
    ours_lost = orgs.lost(expected, orgs.final_roster(emu.state(), org.spaces))

    emu.reset()
    emu.set_quotas(False)
    naive = NaiveHandler(org.ruleset, endpoint=emu.url)
    _settle()
    began = time.perf_counter()
    for message in messages:
        naive.handle(message)
    naive_seconds = time.perf_counter() - began
    theirs = Counts.of(emu.calls())
    theirs_lost = orgs.lost(expected, orgs.final_roster(emu.state(), org.spaces))
    return {
        "chatsync": _side(ours, len(messages), chatsync_seconds, ours_lost)
        | {"p50_ms": _pct(latencies, 50), "p99_ms": _pct(latencies, 99)}
        | {
            "warm_up_reconcile": {
                "read_calls": warm_up.read_calls,
                "write_calls": warm_up.write_calls,
            }
        },
        "baseline": _side(theirs, len(messages), naive_seconds, theirs_lost)
        | {"redeliveries": naive.redeliveries},
    }


def _side(counts: Counts, n: int, seconds: float, lost: int) -> dict[str, Any]:
    return {
        "write_calls": counts.write_calls,
        "write_attempts": counts.write_attempts,
        "read_calls": counts.read_calls,
        "http_429": counts.http_429,
        "lost_changes": lost,
        "seconds": round(seconds, 3),
        "events_per_s": round(n / seconds, 2) if seconds > 0 else 0.0,
        "per_event": {
            "write_calls": round(counts.write_calls / n, 2),
            "write_attempts": round(counts.write_attempts / n, 2),
            "read_calls": round(counts.read_calls / n, 2),
        },
    }


def _pct(values: Sequence[float], p: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
    return round(ordered[index] * 1000, 2)


def reorg_phase(cfg: Config, org: orgs.Org, emu: Any, rules: Path) -> dict[str, Any]:
    """One full reconcile of the whole reorg at the time-scaled quotas."""
    start = orgs.roster(org.ruleset, org.before)
    expected = orgs.roster(org.ruleset, org.after)
    necessary = orgs.writes_between(start, expected)
    scale = cfg.time_scale
    emu.reset()
    emu.set_quotas(True)
    emu.set_time_scale(scale)
    pipeline = build_chatsync(
        rules, emu.url, time_scale=scale, workers=cfg.workers, burst_seconds=1.0 / scale
    )
    tick = events.ReconcileTick(
        meta=events.EventMeta(
            message_id="bench-reorg",
            event_id="bench-reorg",
            event_type="reconcile.tick",
            occurred_at=datetime.now(UTC),
        )
    )
    began_wall = time.time()
    began = time.perf_counter()
    pipeline.handle(tick)
    elapsed = (time.perf_counter() - began) * scale
    counts = Counts.of(emu.calls())
    lost = orgs.lost(expected, orgs.final_roster(emu.state(), org.spaces))
    emu.set_time_scale(1.0)
    floor = max(
        counts.write_calls / WRITES_PER_MINUTE * 60,
        counts.read_calls / READS_PER_MINUTE * 60,
        counts.busiest_space_reads / SPACE_READS_PER_SECOND,
    )
    return {
        "people": len(org.after),
        "spaces": len(org.spaces),
        "necessary_writes": necessary,
        "write_calls": counts.write_calls,
        "write_attempts": counts.write_attempts,
        "read_calls": counts.read_calls,
        "busiest_space_reads": counts.busiest_space_reads,
        "http_429": counts.http_429,
        "calls": counts.calls,
        "lost_changes": lost,
        "time_scale": scale,
        "elapsed_scaled_s": round(elapsed, 1),
        "quota_bound_s": round(floor, 1),
        "quota_utilization": round(floor / elapsed, 3) if elapsed > 0 else 0.0,
        "write_offsets_scaled_s": [round((t - began_wall) * scale, 2) for t in counts.write_times],
    }


def run(cfg: Config, *, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every phase; the raw figures ``reporting.summary`` turns into the fixed JSON."""
    from workspace_emulator.server import EmulatorServer

    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    progress(f"generating an org of {cfg.people} people and {cfg.groups * 4} spaces")
    org = orgs.generate(cfg.people, cfg.groups)
    rules = cfg.out_dir / "bench-rules.yaml"
    rules.write_text(org.rules_text, encoding="utf-8")
    with EmulatorServer(orgs.seed(org), quotas=False) as emu:
        progress(f"events: {cfg.events} HR events, chatsync then the baseline")
        per_event = events_phase(cfg, org, emu, rules)
        progress(f"reorg: one reconcile at the quotas x{cfg.time_scale:g}")
        reorg = reorg_phase(cfg, org, emu, rules)
        progress(f"events again, {cfg.latency_ms:g} ms a call: chatsync then the baseline")
        latency = events_latency_phase(cfg, org, emu, rules)
    progress("cold start: import main in a fresh interpreter")
    return {
        "events": per_event,
        "reorg": reorg,
        "events_latency": latency,
        "cold_start": cold_start.measure(),
    }
