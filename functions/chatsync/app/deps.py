"""What every use case receives: the ports, the clock, the options. Built once per instance by
``runtime`` (or by a test); no use case builds its own edges or reaches into another's state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from chatsync.app.executing import Controls
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
from chatsync.domain.model import Email, SpaceName, SpaceType
from chatsync.domain.rules import Ruleset
from chatsync.domain.rules.index import CompiledRules


@dataclass(frozen=True, slots=True)
class Options:
    """How the use cases behave (from settings)."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    workers: int = 8
    """Spaces applied side by side (threads); the rate limiter, not this, bounds the call rate."""
    drift_mode: str = "revert"
    """``revert`` or ``report`` a manual change that contradicts the rules (see app.drifting)."""
    events_topic: str = ""
    """The Pub/Sub topic Workspace Events subscriptions deliver to."""
    auth_mode: str = "admin"
    """``admin`` or ``app`` (settings): the fixes logged for a space chatsync cannot use differ."""
    invocation_budget_s: float = 270.0
    """Seconds of work one invocation may start (a work item continues in another after it)."""
    work_item_size: int = 50
    """Operations per work item of a full reconcile."""
    stall_minutes: float = 30.0
    """A run without progress for this long is reported as stalled."""


@dataclass
class SpaceTypes:
    """Space types read once per instance (``spaces.get``): a space does not change its type."""

    known: dict[SpaceName, SpaceType] = field(default_factory=dict)

    def of(self, chat: ChatMembers, space: SpaceName) -> SpaceType:
        kind = self.known.get(space)
        if kind is None:
            kind = chat.get_space(space).space_type
            self.known[space] = kind
        return kind


@dataclass
class PersonLocks:
    """One delivery per person at a time within this instance."""

    locks: dict[Email, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def holding(self, email: Email) -> Iterator[None]:
        with self.guard:
            lock = self.locks.setdefault(email, threading.Lock())
        with lock:
            yield


@dataclass(frozen=True, slots=True)
class Deps:
    """The ports, the clock and the options one use case call needs."""

    ruleset: Ruleset
    chat: ChatMembers
    directory: Directory
    store: StateStore
    log: Logger
    options: Options = field(default_factory=Options)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    workspace_events: WorkspaceEvents | None = None
    space_types: SpaceTypes = field(default_factory=SpaceTypes)
    person_locks: PersonLocks = field(default_factory=PersonLocks)
    instance: str = "local"
    """This instance's name in per-person leases (see app.leasing)."""
    notifier: Notifier = field(default_factory=NullNotifier)
    """The admin space (see app.notifying); posts nothing unless one is configured."""
    snapshot_sink: SnapshotSink | None = None
    """Where a full reconcile publishes its snapshot (CHATSYNC_SNAPSHOT_URI); None: nowhere."""
    controls: Controls = field(default_factory=Controls)
    """A stop flag and a watcher for applies (the CLI's Ctrl-C and progress bar)."""
    work: WorkQueue | None = None
    """Where large change sets go as work items (CHATSYNC_WORK_TOPIC); None: applied here."""
    compiled: CompiledRules | None = None
    """``ruleset`` compiled into lookup tables (``domain.rules.index``), once per instance."""
    lanes: Lanes | None = None
    """The instance's kept threads for calls side by side (``app.lanes``); None: one by one."""
    started: float | None = None
    """``clock()`` when this invocation began (the invocation budget counts from it); None:
    when the use case starts."""
