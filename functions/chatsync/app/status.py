"""``chatsync status``: how the deployment is doing, from the store and, where reachable, the edges.

* **recent runs**: the full reconciles (``runs`` records: counts, held plan) and every run the
  audit trail has changes of (events, approvals, reconciles), newest first;
* **held plans** waiting for ``chatsync approve``, and how many were approved;
* **dropped messages**: ``dropped`` records, acked as permanent errors by ``main.py``;
* **reported drift**: ``drift`` records (manual changes not reverted);
* **notifications**: the admin space, whether the Chat app can reach it, the latest posts;
* **subscription health**: the Workspace Events subscription of each managed space (when the
  API answers), as ``app.subscriptions`` keeps them;
* **dead letters**: messages waiting on each dead-letter subscription (given a project).

Nothing here writes. Each edge is optional and its failure is reported in its section, never
raised: a status that fails when something is broken would be no status at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from chatsync.app import records, subscriptions
from chatsync.app import runs as run_records
from chatsync.app.ports import DeadLetters, Notifier, StateStore, WorkspaceEvents
from chatsync.domain import errors, holding
from chatsync.domain.model import SpaceName
from chatsync.domain.rules import Ruleset

RUNS_SHOWN = 10
"""Recent runs listed by default."""


@dataclass(frozen=True, slots=True)
class Run:
    run_id: str
    at: float
    kind: str
    """``reconcile`` / ``reconcile_spaces`` (a runs record) or ``changes`` (audit trail only)."""
    outcome: str
    counts: Mapping[str, int]
    """Outcome counts (runs record) and applied changes by action (audit trail)."""


@dataclass(frozen=True, slots=True)
class HeldPlan:
    plan_id: str
    created_at: float
    scope: str
    run_id: str
    reasons: tuple[str, ...]
    summary: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Dropped:
    message_id: str
    at: float | None
    entry_point: str
    error_type: str
    error: str


@dataclass(frozen=True, slots=True)
class Drift:
    event_id: str
    at: float
    space: str
    person: str
    change: str
    why_not_reverted: str


@dataclass(frozen=True, slots=True)
class Subscription:
    space: str
    state: str
    """``active``, ``expiring``, ``suspended``, ``missing`` or ``error``."""
    detail: str = ""
    name: str = ""
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class AdminSpace:
    space: str
    """Empty: notifications are off (CHATSYNC_ADMIN_SPACE unset)."""
    reachable: bool | None
    """Whether the Chat app can reach it (None: not checked)."""
    detail: str = ""
    posted: int = 0
    last_posted_at: float | None = None


@dataclass(frozen=True, slots=True)
class Status:
    at: float
    runs: tuple[Run, ...]
    held_plans: tuple[HeldPlan, ...]
    approved_plans: int
    dropped: tuple[Dropped, ...]
    drift: tuple[Drift, ...]
    admin_space: AdminSpace
    subscriptions: tuple[Subscription, ...] | None = None
    """None: not checked (no Workspace Events client)."""
    subscriptions_error: str = ""
    dead_letters: Mapping[str, int | str] | None = None
    """Subscription -> messages waiting (or the error); None: no project given."""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form: every section by name, plain JSON values."""
        body = asdict(self)
        body["runs"] = [{**asdict(r), "counts": dict(r.counts)} for r in self.runs]
        body["held_plans"] = [
            {**asdict(p), "reasons": list(p.reasons), "summary": dict(p.summary)}
            for p in self.held_plans
        ]
        body["dead_letters"] = None if self.dead_letters is None else dict(self.dead_letters)
        return body


def gather(
    store: StateStore,
    ruleset: Ruleset,
    *,
    now: float,
    notifier: Notifier | None = None,
    events: WorkspaceEvents | None = None,
    dead_letters: DeadLetters | None = None,
    dead_letter_subscriptions: Sequence[str] = (),
    runs: int = RUNS_SHOWN,
    admin: str = "",
) -> Status:
    """Read every section; the edges only when given (``admin``: the configured admin space,
    shown when ``notifier`` is None)."""
    held, approved = held_plans(store)
    subs: tuple[Subscription, ...] | None = None
    subs_error = ""
    if events is not None:
        subs, subs_error = subscription_health(events, [s.name for s in ruleset.spaces], now=now)
    depth = None
    if dead_letters is not None:
        depth = dead_letter_depth(dead_letters, dead_letter_subscriptions)
    return Status(
        at=now,
        runs=recent_runs(store, limit=runs),
        held_plans=held,
        approved_plans=approved,
        dropped=dropped(store),
        drift=reported_drift(store),
        admin_space=admin_space(store, notifier, admin),
        subscriptions=subs,
        subscriptions_error=subs_error,
        dead_letters=depth,
    )


def recent_runs(store: StateStore, *, limit: int) -> tuple[Run, ...]:
    """Runs newest first: ``runs`` records merged with the audit trail's changes by run id."""
    applied: dict[str, dict[str, int]] = {}
    last: dict[str, float] = {}
    for entry in store.audit():
        counts = applied.setdefault(entry.run_id, {})
        counts[entry.action] = counts.get(entry.action, 0) + 1
        last[entry.run_id] = max(last.get(entry.run_id, 0.0), entry.at)
    found: dict[str, Run] = {}
    for run_id, doc in store.list_docs(records.RUNS):
        counts = {k: int(v) for k, v in (doc.get("counts") or {}).items()}
        found[run_id] = Run(
            run_id=run_id,
            at=float(doc.get("finished_at") or 0.0),
            kind=str(doc.get("kind", "reconcile")),
            outcome=run_outcome(counts, doc.get("held"), doc.get("status", "")),
            counts={**counts, **{f"applied_{k}": n for k, n in applied.get(run_id, {}).items()}},
        )
    for run_id, counts in applied.items():
        if run_id not in found:
            found[run_id] = Run(
                run_id=run_id,
                at=last[run_id],
                kind="changes",
                outcome="applied " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
                counts={f"applied_{k}": n for k, n in counts.items()},
            )
    ordered = sorted(found.values(), key=lambda r: (r.at, r.run_id), reverse=True)
    return tuple(ordered[:limit])


def run_outcome(counts: Mapping[str, int], held: object, status: object = "") -> str:
    """``held <plan id>``, ``interrupted: ...``, ``failed: ...`` or ``completed: ...`` for a
    runs record (``status``: what ``app.runs`` recorded for a CLI run)."""
    if held:
        return f"held {held}"
    shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing to do"
    if status in (run_records.INTERRUPTED, run_records.RUNNING):
        # A run still marked running was killed, or is running now: either way not finished.
        return f"{'interrupted' if status == run_records.INTERRUPTED else 'unfinished'}: {shown}"
    failed = counts.get("failed_retryable", 0) + counts.get("failed_permanent", 0)
    return f"{'failed' if failed else 'completed'}: {shown}"


def held_plans(store: StateStore) -> tuple[tuple[HeldPlan, ...], int]:
    """Plans waiting for approval (oldest first), and how many were approved."""
    waiting: list[HeldPlan] = []
    approved = 0
    for plan_id, doc in store.list_docs(holding.KIND):
        if doc.get("status") != holding.HELD:
            approved += 1
            continue
        waiting.append(
            HeldPlan(
                plan_id=plan_id,
                created_at=float(doc.get("created_at") or 0.0),
                scope=str(doc.get("scope", "")),
                run_id=str(doc.get("run_id", "")),
                reasons=tuple(str(r) for r in doc.get("reasons") or ()),
                summary={k: int(v) for k, v in (doc.get("summary") or {}).items() if v},
            )
        )
    waiting.sort(key=lambda p: p.created_at)
    return tuple(waiting), approved


def dropped(store: StateStore) -> tuple[Dropped, ...]:
    """Messages acked as permanent errors, newest first (undated ones last)."""
    found = [
        Dropped(
            message_id=key,
            at=float(doc["at"]) if doc.get("at") is not None else None,
            entry_point=str(doc.get("entry_point", "")),
            error_type=str(doc.get("error_type", "")),
            error=str(doc.get("error", "")),
        )
        for key, doc in store.list_docs(records.DROPPED)
    ]
    return tuple(sorted(found, key=lambda d: d.at or 0.0, reverse=True))


def reported_drift(store: StateStore) -> tuple[Drift, ...]:
    """Manual changes reported and not reverted, newest first."""
    found = [
        Drift(
            event_id=key,
            at=float(doc.get("at") or 0.0),
            space=str(doc.get("space", "")),
            person=str(doc.get("person", "")),
            change=str(doc.get("change", "")),
            why_not_reverted=str(doc.get("why_not_reverted", "")),
        )
        for key, doc in store.list_docs(records.DRIFT)
    ]
    return tuple(sorted(found, key=lambda d: d.at, reverse=True))


def admin_space(store: StateStore, notifier: Notifier | None, configured: str = "") -> AdminSpace:
    """The admin space, whether the app can post there (``notifier`` None: not checked, the
    ``configured`` name shown), and what was posted."""
    posted = [doc for _, doc in store.list_docs(records.NOTIFICATIONS)]
    times = [float(doc.get("at") or 0.0) for doc in posted]
    messages = len({str(doc.get("message", "")) for doc in posted})
    latest = max(times) if times else None
    if notifier is None:
        why = "not checked" if configured else "CHATSYNC_ADMIN_SPACE is not set"
        return AdminSpace(configured, None, why, messages, latest)
    space = notifier.space
    if not space:
        return AdminSpace(space, None, "CHATSYNC_ADMIN_SPACE is not set", messages, latest)
    try:
        name = notifier.check()
    except errors.SyncError as exc:
        return AdminSpace(space, False, str(exc), messages, latest)
    return AdminSpace(space, True, name, messages, latest)


def subscription_health(
    events: WorkspaceEvents, spaces: Sequence[SpaceName], *, now: float
) -> tuple[tuple[Subscription, ...] | None, str]:
    """Each managed space's drift subscription; (None, why) when the API does not answer."""
    found: list[Subscription] = []
    for space in spaces:
        try:
            subs = events.find(space)
        except errors.ChatApiError as exc:
            if exc.status == 0:  # no answer at all: the API is not reachable from here
                return None, str(exc)
            found.append(Subscription(space, "error", str(exc)))
            continue
        except errors.SyncError as exc:
            found.append(Subscription(space, "error", str(exc)))
            continue
        found.append(health(space, subs, now=now))
    return tuple(found), ""


def health(space: str, subs: Sequence[Mapping[str, Any]], *, now: float) -> Subscription:
    """One space's state, as ``app.subscriptions.ensure`` would judge it."""
    active = [s for s in subs if s.get("state", "ACTIVE") == "ACTIVE"]
    if active:
        sub = active[0]
        ends = subscriptions.expiry(dict(sub))
        name = str(sub.get("name", ""))
        if ends is None or ends - now <= subscriptions.RENEW_WITHIN:
            return Subscription(space, "expiring", "renewed on the next renew tick", name, ends)
        return Subscription(space, "active", "", name, ends)
    suspended = [s for s in subs if s.get("state") == "SUSPENDED"]
    if suspended:
        sub = suspended[0]
        why = str(sub.get("suspensionReason", "")) or "no reason given"
        return Subscription(
            space, "suspended", f"{why}: fix it, then reactivate", str(sub.get("name", ""))
        )
    return Subscription(
        space, "missing", "created on the next renew_subscriptions tick: no drift events until then"
    )


def dead_letter_depth(dead_letters: DeadLetters, names: Sequence[str]) -> dict[str, int | str]:
    """Messages waiting per dead-letter subscription, or the error that stopped the count."""
    depth: dict[str, int | str] = {}
    for name in names:
        try:
            depth[name] = dead_letters.waiting(name)
        except Exception as exc:  # an unreachable Pub/Sub is a status line, not a crash
            depth[name] = f"error: {type(exc).__name__}: {str(exc)[:200]}"
    return depth
