"""Apply a plan: through the safety gate, the executor, the audit trail and presence records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chatsync.app import gate, notifying, presence, recording
from chatsync.app.deps import Deps
from chatsync.app.executing import Executor, Report
from chatsync.app.logs import Logger
from chatsync.domain import planning, safety
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
    the_plan, held = gate.gate(deps, the_plan, current, scope=scope, run_id=run_id, log=log)
    if held is not None:
        return held
    recorder = recording.Recorder(log, run_id=run_id, clock=deps.clock)
    recorder.skipped(the_plan.skipped)
    executor = Executor(
        deps.chat,
        policy=deps.options.policy,
        sleep=deps.sleep,
        dry_run=deps.options.dry_run,
        on_result=recorder,
        workers=deps.options.workers,
    )
    report = executor.apply(the_plan)
    recorder.flush(deps.store)
    # A 403/404 on a change: the space cannot be managed as things stand; tell the admin space.
    notifying.results_unmanageable(deps, report.permanent_failures, log=log)
    if track_presence:
        presence.track(deps.store, report)
    if not the_plan.operations and not the_plan.skipped:
        log.info(
            "no change needed", run_id=run_id, spaces_checked=len({d.space for d in decisions})
        )
    return report
