"""One work item delivery: apply its steps from the cursor on, within the invocation budget.

``handle`` (``on_work_item``, or ``app.work_local`` in one process):

1. The run must exist and not be superseded (a superseded run's items are acked unapplied).
2. The item is *claimed* in the store (``records.WORK_ITEMS``): a finished item is a duplicate
   (acked); an item another delivery holds is handed back to Pub/Sub (redelivered later, when
   that delivery has finished or lapsed). Claims lapse after the budget plus a minute.
3. Steps run in order from the stored cursor. Each landed step moves the cursor in the store
   before the next starts, so a redelivery or a continuation never applies a step twice, and the
   only step a crash can repeat is the one in flight (a create then finds the member, a delete
   finds none: Chat's answers make it harmless).
4. Before each step after the first, the budget is checked against the longest step so far:
   when the next one might not finish in time, the cursor is recorded, the claim released and
   the item published again from that cursor (a *continuation*), and this delivery returns.
5. A step that still fails after the retry loop records the cursor at that step and raises
   ``RetryableError``: Pub/Sub redelivers the same message, which resumes there.

An ``ops`` step skips an operation whose person has a newer watermark than when it was planned
(an HR event applied since decided for them) and holds the person's lease while writing, so an
HR event for the same person never interleaves with it. A ``people`` step reconciles the person
as an HR event would (``person_sync.reconcile_person``, under the same lock and lease).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from chatsync.app import (
    applying,
    broken,
    facts,
    fanout,
    leasing,
    person_sync,
    presence,
    recording,
    records,
)
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Outcome, Report
from chatsync.app.logs import Logger
from chatsync.app.retrying import retry
from chatsync.domain import errors, planning
from chatsync.domain import events as ev
from chatsync.domain.model import Email, Role, SpaceName
from chatsync.domain.work_items import WorkItem, WorkMessage

CLAIM_SLACK_S = 60.0
"""A claim lasts the budget plus this: past the function's timeout, so only a dead holder's
claim ever lapses."""


@dataclass(frozen=True, slots=True)
class _Claim:
    state: str
    """``claimed``, ``done`` or ``busy``."""
    cursor: int = 0
    counts: tuple[int, int, int] = (0, 0, 0)
    holder: str = ""


@dataclass
class _Progress:
    cursor: int
    applied: int
    failed: int
    skipped: int

    def counts(self) -> records.ItemCounts:
        return {"applied": self.applied, "failed": self.failed, "skipped": self.skipped}


def handle(deps: Deps, event: ev.WorkItemEvent, log: Logger) -> Report:
    """Apply ``event``'s item from its stored cursor; see the module docstring."""
    started = deps.started if deps.started is not None else deps.clock()
    item = event.work.item
    log = log.bind(run_id=item.run_id, item=item.index)
    run = deps.store.get_doc(records.WORK_RUNS, item.run_id)
    if run is None:
        raise errors.UnknownRun(f"work item {item.item_id}: no run {item.run_id!r} in the store")
    if run.get("status") == "superseded":
        log.info(
            "work item of a superseded run: not applied", superseded_by=run.get("superseded_by")
        )
        return Report(note=Note.STALE)
    budget = deps.options.invocation_budget_s
    holder = f"{deps.instance}:{event.meta.event_id}"
    claim = _claim(deps, item, holder, until=started + budget + CLAIM_SLACK_S)
    if claim.state == "done":
        log.info("work item already done: nothing to do", cursor=claim.cursor)
        return Report(note=Note.DUPLICATE)
    if claim.state == "busy":
        raise errors.RetryableError(
            f"work item {item.item_id} is being applied by {claim.holder}; this delivery will be "
            "redelivered",
            delay=None,
        )
    progress = _Progress(claim.cursor, *claim.counts)
    step = _Steps(deps, item, holder, log)
    report = Report()
    longest = 0.0
    first = progress.cursor
    while progress.cursor < item.size:
        now = deps.clock()
        if progress.cursor > first and now - started + longest > budget:
            _continue(deps, event.work, progress, holder, log=log, started=started)
            return report
        result = step(progress.cursor)
        longest = max(longest, deps.clock() - now)
        report = report.merge(result.report)
        if result.retry is not None:
            _stop(deps, item, progress, holder)
            raise errors.RetryableError(
                f"work item {item.item_id} stopped at step {progress.cursor + 1} of "
                f"{item.size}: {result.retry}",
                delay=None,
            )
        progress.cursor += 1
        progress.applied += result.applied
        progress.failed += result.failed
        progress.skipped += result.skipped
        if not _checkpoint(deps, item, progress, holder, done=progress.cursor == item.size):
            log.warning("work item claimed by another delivery meanwhile: stopping here")
            return report
    _finish(deps, item, progress, log)
    log.info(
        "work item done",
        steps=item.size,
        seconds=round(deps.clock() - started, 3),
        **progress.counts(),
    )
    return report


# -- the store: claim, checkpoint, release --------------------------------------------------


def _claim(deps: Deps, item: WorkItem, holder: str, *, until: float) -> _Claim:
    now = deps.clock()
    out = [_Claim("claimed")]

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        doc = doc or {
            "run_id": item.run_id,
            "index": item.index,
            "size": item.size,
            "cursor": 0,
            "applied": 0,
            "failed": 0,
            "skipped": 0,
            "status": "running",
            "holder": "",
            "until": 0.0,
            "invocations": 0,
        }
        counts = (int(doc["applied"]), int(doc["failed"]), int(doc["skipped"]))
        if doc.get("status") == "done":
            out[0] = _Claim("done", int(doc["cursor"]), counts)
            return None
        if doc.get("holder") not in ("", holder) and float(doc.get("until", 0.0)) > now:
            out[0] = _Claim("busy", int(doc["cursor"]), counts, str(doc["holder"]))
            return None
        out[0] = _Claim("claimed", int(doc["cursor"]), counts)
        invocations = int(doc.get("invocations", 0)) + 1
        claimed = {**doc, "holder": holder, "until": until, "invocations": invocations}
        return records.expiring(records.WORK_ITEMS, claimed, now=now)

    deps.store.update_doc(records.WORK_ITEMS, item.item_id, change)
    return out[0]


def _checkpoint(
    deps: Deps, item: WorkItem, progress: _Progress, holder: str, *, done: bool = False
) -> bool:
    """Record ``progress`` if this delivery still holds the item; False if it does not."""
    held = [True]
    now = deps.clock()

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None or doc.get("holder") != holder:
            held[0] = False
            return None
        held[0] = True
        update: dict[str, Any] = {
            **doc,
            "cursor": progress.cursor,
            **progress.counts(),
            "updated_at": now,
        }
        if done:
            update.update(status="done", holder="", until=0.0)
        return update

    deps.store.update_doc(records.WORK_ITEMS, item.item_id, change)
    return held[0]


def _stop(deps: Deps, item: WorkItem, progress: _Progress, holder: str) -> None:
    """Record the cursor and release the claim (the next delivery resumes here)."""
    now = deps.clock()

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None or doc.get("holder") != holder:
            return None
        return {
            **doc,
            "cursor": progress.cursor,
            **progress.counts(),
            "holder": "",
            "until": 0.0,
            "updated_at": now,
        }

    deps.store.update_doc(records.WORK_ITEMS, item.item_id, change)
    _touch_run(deps, item.run_id)


def _continue(
    deps: Deps,
    message: WorkMessage,
    progress: _Progress,
    holder: str,
    *,
    log: Logger,
    started: float,
) -> None:
    """The budget is spent: record the cursor, release the claim, publish a continuation. The
    claim goes first: a continuation delivered at once must find the item free."""
    item = message.item
    _stop(deps, item, progress, holder)
    if deps.work is None:
        raise errors.ConfigError("a work item ran out of budget and there is no work queue")
    deps.work.publish([WorkMessage(item, progress.cursor)])
    log.info(
        "work item continued: invocation budget spent",
        cursor=progress.cursor,
        steps=item.size,
        started_at_cursor=message.cursor,
        seconds=round(deps.clock() - started, 3),
        budget_s=deps.options.invocation_budget_s,
    )


def _finish(deps: Deps, item: WorkItem, progress: _Progress, log: Logger) -> None:
    """Count the item done in its run (idempotent: keyed by the item's index)."""
    now = deps.clock()
    complete = [False]

    def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        done = dict(doc.get("done") or {})
        done[str(item.index)] = progress.counts()
        complete[0] = len(done) >= int(doc.get("items_total", 0))
        return {**doc, "done": done, "updated_at": now}

    deps.store.update_doc(records.WORK_RUNS, item.run_id, change)
    if complete[0]:
        fanout.mark_done(deps, item.run_id, log=log)


def _touch_run(deps: Deps, run_id: str) -> None:
    now = deps.clock()
    deps.store.update_doc(
        records.WORK_RUNS,
        run_id,
        lambda doc: {**doc, "updated_at": now} if doc is not None else None,
    )


# -- the steps ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Result:
    report: Report = field(default_factory=Report)
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    retry: str | None = None
    """Why the step must be tried again by a later delivery; None when it is settled."""


class _Steps:
    """Applies step ``i`` of one item; one executor and recorder for the whole delivery."""

    def __init__(self, deps: Deps, item: WorkItem, holder: str, log: Logger) -> None:
        self.deps = deps
        self.item = item
        self.holder = holder
        self.log = log
        self.skips = recording.Recorder(log, run_id=item.run_id, clock=deps.clock, store=deps.store)
        self.rng = random.Random()
        self.broken: set[SpaceName] = set()
        """Spaces where an owner step failed for good: their later steps are not attempted."""

    def __call__(self, index: int) -> _Result:
        if self.item.kind == "people":
            return self._person(index)
        return self._operation(self.item.ops[index])

    def _operation(self, op: planning.Operation) -> _Result:
        deps, item = self.deps, self.item
        if op.space in self.broken:
            self.log.error(
                f"{op.describe()} not attempted: an owner change in this space failed",
                person=op.email,
                space=op.space,
                run_id=item.run_id,
            )
            return _Result(failed=1)
        planned = item.watermarks.get(op.email)
        if planned is not None:
            mark = deps.store.get_watermark(op.email)
            if (mark.event_id if mark is not None else "") != planned:
                skip = planning.Skipped(op.space, op.email, "superseded by a newer event")
                self.skips.skipped([skip])
                return _Result(report=Report(skipped=(skip,)), skipped=1)
        if not self._lease(op.email):
            return _Result(retry=f"{op.email} is being reconciled by another delivery")
        # One recorder per operation: the audit trail pairs intents and outcomes by position.
        recorder = recording.Recorder(
            self.log, run_id=item.run_id, clock=deps.clock, store=deps.store
        )
        executor = applying.executor_for(deps, recorder, workers=1)
        try:
            report = executor.apply(planning.Plan((op,)))
        finally:
            leasing.release(deps.store, op.email, self.holder)
        presence.track(deps.store, report)
        (result,) = report.results
        if result.unreachable:
            refused = planning.Unreachable(
                op.space, result.unreachable, result.detail[:300], (op.email,)
            )
            report = replace(
                report, broken=broken.note(deps, [refused], run_id=item.run_id, log=self.log)
            )
        if result.outcome is Outcome.INTERRUPTED:
            return _Result(report=report, retry="the run was stopped")
        if result.outcome is Outcome.FAILED_RETRYABLE:
            return _Result(report=report, retry=result.detail)
        if result.outcome is Outcome.FAILED_PERMANENT:
            if Role.OWNER in (op.before, op.after):
                self.broken.add(op.space)
            return _Result(report=report, failed=1)
        if result.outcome is Outcome.DRY_RUN:
            return _Result(report=report, skipped=1)
        return _Result(report=report, applied=1)

    def _person(self, index: int) -> _Result:
        deps, item = self.deps, self.item
        report = Report()
        for found in facts.subjects(deps, item.people[index]):
            person = found.person
            with deps.person_locks.holding(person.email):
                if not self._lease(person.email):
                    return _Result(report, retry=f"{person.email} is being reconciled elsewhere")
                try:
                    report = report.merge(
                        person_sync.reconcile_person(deps, person, run_id=item.run_id, log=self.log)
                    )
                finally:
                    leasing.release(deps.store, person.email, self.holder)
        if report.retryable_failures:
            first = report.retryable_failures[0]
            return _Result(report, retry=f"{first.op.describe()}: {first.detail}")
        failed = 1 if report.permanent_failures or report.held else 0
        return _Result(report, applied=1 - failed, failed=failed)

    def _lease(self, email: Email) -> bool:
        """The person's lease, waiting a little (the retry loop's back-off) while an HR event
        holds it; False if it stays taken."""
        deps = self.deps

        def take() -> None:
            if not leasing.acquire(deps.store, email, self.holder, now=deps.clock()):
                raise errors.RetryableError(f"{email}: lease held", delay=None)

        try:
            retry(take, policy=deps.options.policy, sleep=deps.sleep, rng=self.rng)
        except errors.RetryableError:
            return False
        return True
