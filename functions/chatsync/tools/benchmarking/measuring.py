"""What one full reconcile costs: calls by method, quota minutes, time (for ``chatsync bench``)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chatsync.app import applying
from chatsync.app.logs import Logger
from chatsync.app.pipeline import Pipeline
from chatsync.app.ports import ChatMembers, SpaceInfo
from chatsync.app.reconciling import survey
from chatsync.domain.model import Email, Membership, Role, SpaceName


@dataclass
class CountingChat:
    """A ``ChatMembers`` that counts calls by method (list pages counted by roster size)."""

    inner: ChatMembers
    calls: Counter[str] = field(default_factory=Counter)

    def get_space(self, space: SpaceName) -> SpaceInfo:
        self.calls["spaces.get"] += 1
        return self.inner.get_space(space)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        self.calls["spaces.members.get"] += 1
        return self.inner.get_member(space, email)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        members = self.inner.list_members(space, owners_only=owners_only)
        self.calls["spaces.members.list"] += 1 + len(members) // 1000
        return members

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        self.calls["spaces.members.create"] += 1
        return self.inner.add_member(space, email)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        self.calls["spaces.members.patch"] += 1
        return self.inner.set_role(membership, role)

    def remove_member(self, membership: Membership) -> None:
        self.calls["spaces.members.delete"] += 1
        self.inner.remove_member(membership)


READS_PER_MINUTE = 3000
WRITES_PER_MINUTE = 300


def measure(
    pipeline: Pipeline,
    *,
    apply: bool = False,
    log: Logger | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Run one full reconcile (a dry run unless ``apply``) and report its calls and time.

    Keys: ``people``, ``spaces``, ``directory_calls``, ``chat_reads`` (members get/list pages),
    ``space_reads`` (spaces.get), ``chat_writes``, ``calls`` (by method), ``seconds``,
    ``plan`` (counts), ``read_quota_minutes`` (membership reads / 3000: the least wall time the
    read quota allows) and ``busiest_space_reads`` (list pages of the largest roster; 15/s cap).
    """
    quiet = log or Logger(level="ERROR")
    base = pipeline.deps()
    counting = CountingChat(base.chat)
    # A copy of the dependencies that counts Chat calls: the live pipeline is left as it is.
    deps = replace(
        base,
        chat=counting,
        options=replace(base.options, dry_run=base.options.dry_run or not apply),
        log=quiet,
    )
    directory_before = int(getattr(base.directory, "calls", 0))
    start = clock()
    result = survey(deps, log=quiet)
    if apply:
        applying.execute(
            deps,
            result.plan,
            run_id="measure",
            log=quiet,
            decisions=result.decisions,
            current=result.current,
            scope=None,
        )
    seconds = clock() - start
    reads = counting.calls["spaces.members.list"] + counting.calls["spaces.members.get"]
    writes = sum(counting.calls[f"spaces.members.{m}"] for m in ("create", "patch", "delete"))
    biggest = max((len(s.members) for s in result.current.values()), default=0)
    return {
        "people": len(result.people),
        "spaces": len(result.current),
        "directory_calls": int(getattr(base.directory, "calls", 0)) - directory_before,
        "chat_reads": reads,
        "space_reads": counting.calls["spaces.get"],
        "chat_writes": writes,
        "calls": dict(sorted(counting.calls.items())),
        "seconds": round(seconds, 3),
        "plan": result.plan.summary(),
        "read_quota_minutes": round(reads / READS_PER_MINUTE, 3),
        "write_quota_minutes": round(writes / WRITES_PER_MINUTE, 3),
        "busiest_space_reads": 1 + biggest // 1000,
    }
