"""Apply a plan: through the safety gate, the executor (which journals each write in the audit
trail as it happens) and presence records.

A space Chat answers 403/404 for, while planning (``Plan.unreachable``), in the gate or in the
executor, is skipped, logged with its fix and recorded (``app.broken``); the rest applies and
the report names it (``Report.broken``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from chatsync.app import broken, gate, presence, recording
from chatsync.app.deps import Deps
from chatsync.app.executing import Executor, Report
from chatsync.app.lanes import Lanes
from chatsync.app.logs import Logger
from chatsync.domain import errors, planning, safety
from chatsync.domain.model import Decision, SpaceName


def execute(
    deps: Deps,
    the_plan: planning.Plan,
    *,
    run_id: str,
    log: Logger,
    decisions: Sequence[Decision] = (),
    current: Mapping[SpaceName, planning.SpaceState] | None = None,
    scope: safety.Scope | None = "event",
    track_presence: bool = True,
) -> Report:
    """Guard the plan, hold it if it exceeds a ``safety:`` limit for ``scope`` (None: an
    approved plan, limits off), else apply it and record the audit trail."""
    the_plan, held = _gated(deps, the_plan, current, scope=scope, run_id=run_id, log=log)
    if held is not None:
        return replace(held, broken=broken.note(deps, the_plan.unreachable, run_id=run_id, log=log))
    recorder = recording.Recorder(log, run_id=run_id, clock=deps.clock, store=deps.store)
    recorder.skipped(the_plan.skipped)
    executor = executor_for(deps, recorder, workers=deps.options.workers, lanes=deps.lanes)
    report = executor.apply(the_plan)
    refused = [
        planning.Unreachable(r.space, r.unreachable, r.detail[:300], (r.email,))
        for r in report.results
        if r.unreachable
    ]
    report = replace(
        report,
        broken=broken.note(deps, [*the_plan.unreachable, *refused], run_id=run_id, log=log),
    )
    if track_presence:
        presence.track(deps.store, report)
    if not the_plan.operations and not the_plan.skipped:
        log.info(
            "no change needed", run_id=run_id, spaces_checked=len({d.space for d in decisions})
        )
    return report


def executor_for(
    deps: Deps, recorder: recording.Recorder, *, workers: int, lanes: Lanes | None = None
) -> Executor:
    """The executor of ``deps``' Chat port, options and controls, each result and each write's
    intent and outcome recorded by ``recorder``."""
    return Executor(
        deps.chat,
        policy=deps.options.policy,
        sleep=deps.sleep,
        dry_run=deps.options.dry_run,
        on_result=recorder,
        workers=workers,
        lanes=lanes,
        journal=recorder,
        controls=deps.controls,
    )


def _gated(
    deps: Deps,
    the_plan: planning.Plan,
    current: Mapping[SpaceName, planning.SpaceState] | None,
    *,
    scope: safety.Scope | None,
    run_id: str,
    log: Logger,
) -> tuple[planning.Plan, Report | None]:
    """``gate.gate``; a space that answers 403/404 to the gate's reads leaves the plan."""
    while True:
        try:
            return gate.gate(deps, the_plan, current, scope=scope, run_id=run_id, log=log)
        except errors.SpaceUnreachable as exc:
            space = SpaceName(exc.space)
            people = tuple(op.email for op in the_plan.operations if op.space == space)
            the_plan = planning.Plan(
                tuple(op for op in the_plan.operations if op.space != space),
                the_plan.skipped,
                (*the_plan.unreachable, broken.found(exc, space, people)),
            )
