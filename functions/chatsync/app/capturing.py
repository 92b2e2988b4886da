"""Read, once, the facts and rosters a full plan needs: ``chatsync snapshot`` and the live
rules review (``chatsync plan --rules NEW`` without ``--snapshot``).

The reads are the full reconcile's (``app.reconciling``): everyone's facts once, merged as the
reconcile merges them (``app.facts.everyone``: the Directory's people, groups and nested groups
with the stored HR snapshots and group changes), then per space
``spaces.get`` and, for a named space, ``spaces.members.list``. Reading once and planning both
rule sets from that one reading means a change landing between two reads cannot show up as
caused by the rules change.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatsync.app import facts, reconciling, snapshots
from chatsync.app.deps import Deps
from chatsync.app.logs import Logger
from chatsync.domain import planning
from chatsync.domain.model import SpaceName, SpaceType
from chatsync.domain.snapshot_codec import Snapshot


def capture(
    deps: Deps, spaces: Iterable[SpaceName], *, source: str, rules: str, log: Logger
) -> Snapshot:
    """People as the reconcile sees them and the roster of each of ``spaces`` (nothing written)."""
    people = [found.person for found in facts.everyone(deps)]
    ids = {f"users/{p.google_user_id}": p.email for p in people if p.google_user_id}
    types: dict[SpaceName, SpaceType] = {}
    current: dict[SpaceName, planning.SpaceState] = {}
    for space in sorted(set(spaces)):
        types[space] = deps.space_types.of(deps.chat, space)
        if types[space] is SpaceType.SPACE:
            members = deps.chat.list_members(space)
            current[space] = reconciling.space_state(space, members, ids)
    log.info("snapshot taken", people=len(people), spaces=len(types))
    return snapshots.from_rosters(
        people, current, types, taken_at=deps.clock(), source=source, rules=rules
    )
