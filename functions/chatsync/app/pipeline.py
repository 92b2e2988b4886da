"""The application as one object: its dependencies, and one method per use case.

``Pipeline`` holds what ``runtime`` built (ports, clock, options) and hands a ``Deps`` of them
to the use case each method names; it calls down into ``app`` modules and nothing calls back up
into it. Each event goes: ``handling`` -> ``person_sync`` / ``group_fanout`` / ``drifting`` /
``reconciling`` / ``approving`` -> ``applying`` -> ``gate`` -> ``executing`` -> ``recording``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chatsync.app import applying, approving, handling, person_sync, reconciling
from chatsync.app.deps import Deps, Options, PersonLocks, SpaceTypes
from chatsync.app.executing import Controls, Report
from chatsync.app.lanes import Lanes
from chatsync.app.logs import Logger
from chatsync.app.ports import (
    ChatMembers,
    Directory,
    Notifier,
    NullNotifier,
    SnapshotSink,
    StateStore,
    WorkQueue,
    WorkspaceEvents,
)
from chatsync.app.retrying import RetryPolicy
from chatsync.app.work_local import InProcessQueue
from chatsync.domain import events as ev
from chatsync.domain import planning, safety
from chatsync.domain.model import Decision, Person, SpaceName
from chatsync.domain.rules import Ruleset
from chatsync.domain.rules.index import CompiledRules, compile_rules


@dataclass
class Pipeline:
    ruleset: Ruleset
    chat: ChatMembers
    directory: Directory
    store: StateStore
    log: Logger
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    workers: int = 8
    """Spaces applied side by side (threads); the rate limiter, not this, bounds the call rate."""
    drift_mode: str = "revert"
    """``revert`` or ``report`` a manual change that contradicts the rules (see drifting)."""
    workspace_events: WorkspaceEvents | None = None
    events_topic: str = ""
    auth_mode: str = "admin"
    """``admin`` or ``app`` (settings); chooses the fix named for a space chatsync cannot use."""
    space_types: SpaceTypes = field(default_factory=SpaceTypes)
    person_locks: PersonLocks = field(default_factory=PersonLocks)
    instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    """This instance's name in per-person leases (see app.leasing)."""
    notifier: Notifier = field(default_factory=NullNotifier)
    """Posts held plans, drift and unmanageable spaces to the admin space (app.notifying)."""
    snapshot_sink: SnapshotSink | None = None
    """Where a full reconcile publishes its snapshot (see app.snapshots)."""
    work: WorkQueue | None = None
    """Where large change sets go as work items (see app.fanout); None: applied here."""
    invocation_budget_s: float = 270.0
    work_item_size: int = 50
    stall_minutes: float = 30.0
    lanes: Lanes | None = None
    """Kept threads for Chat calls side by side; built on first use with ``workers`` threads."""
    compiled: CompiledRules | None = None
    """The ruleset compiled for lookups; built on first use, again if the ruleset changes."""
    controls: Controls = field(default_factory=Controls)
    """A stop flag and a watcher for applies (set by the CLI; the functions leave it empty)."""

    def __post_init__(self) -> None:
        if isinstance(self.work, InProcessQueue):
            self.work.bind(self.handle)

    def work_in_process(self) -> InProcessQueue:
        """Fan runs out to work items handled in this process (``chatsync reconcile``)."""
        queue = InProcessQueue()
        queue.bind(self.handle)
        self.work = queue
        return queue

    def deps(self) -> Deps:
        """The dependencies as they are now, for one use case call."""
        if self.lanes is None or self.lanes.workers != self.workers:
            self.lanes = Lanes(self.workers)
        if self.compiled is None or self.compiled.ruleset is not self.ruleset:
            self.compiled = compile_rules(self.ruleset)
        return Deps(
            ruleset=self.ruleset,
            chat=self.chat,
            directory=self.directory,
            store=self.store,
            log=self.log,
            options=Options(
                policy=self.policy,
                dry_run=self.dry_run,
                workers=self.workers,
                drift_mode=self.drift_mode,
                events_topic=self.events_topic,
                invocation_budget_s=self.invocation_budget_s,
                work_item_size=self.work_item_size,
                stall_minutes=self.stall_minutes,
                auth_mode=self.auth_mode,
            ),
            clock=self.clock,
            sleep=self.sleep,
            workspace_events=self.workspace_events,
            space_types=self.space_types,
            person_locks=self.person_locks,
            instance=self.instance,
            notifier=self.notifier,
            snapshot_sink=self.snapshot_sink,
            controls=self.controls,
            work=self.work,
            lanes=self.lanes,
            compiled=self.compiled,
            started=self.clock(),
        )

    def handle(self, event: ev.Event) -> Report:
        """Reconcile whoever ``event`` is about (see app.handling)."""
        return handling.handle(self.deps(), event)

    def renew_subscriptions(self, *, log: Logger) -> Report:
        return handling.renew_subscriptions(self.deps(), log=log)

    def reconcile_person(
        self,
        person: Person,
        *,
        run_id: str,
        log: Logger,
        spaces: Sequence[SpaceName] | None = None,
        use_presence: bool = True,
    ) -> Report:
        return person_sync.reconcile_person(
            self.deps(), person, run_id=run_id, log=log, spaces=spaces, use_presence=use_presence
        )

    def plan_person(
        self,
        person: Person,
        *,
        log: Logger,
        spaces: Sequence[SpaceName] | None = None,
        use_presence: bool = True,
    ) -> tuple[planning.Plan, list[Decision]]:
        return person_sync.plan_person(
            self.deps(), person, log=log, spaces=spaces, use_presence=use_presence
        )

    def reconcile_all(
        self, *, run_id: str, log: Logger, spaces: Sequence[SpaceName] | None = None
    ) -> Report:
        """Every managed space (or ``spaces``) against the Directory; due deferred events too."""
        return reconciling.run(self.deps(), run_id=run_id, log=log, spaces=spaces)[1]

    def plan_all(
        self, *, log: Logger, spaces: Sequence[SpaceName] | None = None
    ) -> tuple[planning.Plan, list[Decision]]:
        """The full reconcile's plan, nothing applied (see reconciling.survey)."""
        result = reconciling.survey(self.deps(), log=log, spaces=spaces)
        return result.plan, list(result.decisions)

    def execute(
        self,
        the_plan: planning.Plan,
        *,
        run_id: str,
        log: Logger,
        decisions: Sequence[Decision] = (),
        current: Mapping[SpaceName, planning.SpaceState] | None = None,
        scope: safety.Scope | None = "event",
        track_presence: bool = True,
    ) -> Report:
        """Guard, hold or apply ``the_plan`` (see app.applying)."""
        return applying.execute(
            self.deps(),
            the_plan,
            run_id=run_id,
            log=log,
            decisions=decisions,
            current=current,
            scope=scope,
            track_presence=track_presence,
        )

    def approve(self, plan_id: str, *, log: Logger, approved_by: str = "") -> Report:
        """Release a held plan (see app.approving)."""
        return approving.approve(self.deps(), plan_id, log=log, approved_by=approved_by)


def new_run_id(prefix: str = "run") -> str:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return f"{prefix}-{stamp}-{uuid.uuid4().hex[:6]}"
