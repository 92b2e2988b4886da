"""Snapshots of what a full reconcile read, built from its rosters and published after it ran.

A rules change is reviewed offline (``chatsync plan --snapshot``) from the facts and rosters of
the last reconcile, so CI needs no tenant credentials. The full reconcile has just read
everything a snapshot holds; with ``CHATSYNC_SNAPSHOT_URI`` set it publishes them through the
``SnapshotSink`` port (``adapters.bucket`` for ``gs://``, ``adapters.snapshot`` for a file).

The rosters are those *after* the run: a space where a change landed is listed again (one read
of that space, none for the others); a held or dry-run plan changed nothing, so what was read is
still true. A snapshot that cannot be published is logged at ERROR and the reconcile carries on:
its changes are made, and a reviewer sees the older snapshot's ``taken_at``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence

from chatsync.app import retrying
from chatsync.app.deps import Deps
from chatsync.app.logs import Logger
from chatsync.domain import errors, planning
from chatsync.domain.model import Person, SpaceName, SpaceType
from chatsync.domain.snapshot_codec import Snapshot, SpaceRoster


def from_rosters(
    people: Iterable[Person],
    current: Mapping[SpaceName, planning.SpaceState],
    types: Mapping[SpaceName, SpaceType],
    *,
    taken_at: float,
    source: str,
    rules: str,
) -> Snapshot:
    """A snapshot of ``people`` and the complete rosters in ``current``; a space in ``types``
    that is not a named space is kept with its type and no members (chatsync never reads it)."""
    spaces: dict[SpaceName, SpaceRoster] = {}
    for name, kind in types.items():
        if kind is not SpaceType.SPACE:
            spaces[name] = SpaceRoster(name, kind, None)
    for name, state in current.items():
        spaces[name] = SpaceRoster(name, SpaceType.SPACE, tuple(state.members.values()))
    return Snapshot(
        taken_at=taken_at, source=source, rules=rules, people=tuple(people), spaces=spaces
    )


def publish_after_run(
    deps: Deps,
    *,
    run_id: str,
    people: Sequence[Person],
    current: Mapping[SpaceName, planning.SpaceState],
    applied: Sequence[planning.Operation],
    reread: Callable[[SpaceName], planning.SpaceState],
    log: Logger,
) -> bool:
    """Publish the snapshot of a full reconcile that just ran; True if it was published.

    ``reread(space)`` lists a space again (where ``applied`` changed it)."""
    sink = deps.snapshot_sink
    if sink is None:
        return False
    try:
        after = dict(current)
        for space in sorted({op.space for op in applied}):
            after[space] = reread(space)
        managed = {s.name for s in deps.ruleset.spaces}
        types = {n: t for n, t in deps.space_types.known.items() if n in managed}
        snapshot = from_rosters(
            people,
            after,
            types,
            taken_at=deps.clock(),
            source=f"reconcile {run_id}",
            rules=deps.ruleset.source,
        )
        retrying.retry(
            lambda: sink.publish(snapshot),
            policy=deps.options.policy,
            sleep=deps.sleep,
            rng=random.Random(),
        )
    except errors.SyncError as exc:
        log.error(
            "snapshot not published: rules reviews keep using the previous one",
            error=str(exc),
            error_type=type(exc).__name__,
        )
        return False
    log.info(
        "snapshot published",
        people=len(snapshot.people),
        spaces=len(snapshot.spaces),
    )
    return True
