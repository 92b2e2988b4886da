"""The full reconcile: every managed space against the Directory and the rules, in one pass.

Called for the scheduler's tick and ``chatsync reconcile`` (the scheduler's tick and
``chatsync reconcile``). Reads, in this order and nothing more:

* the Directory once: ``users.list`` (500 a page) and, for each group a rule names (and only
  those), ``members.list?includeDerivedMembership=true``, so members of nested groups count;
  each page is retried on its own;
* per managed space: ``spaces.get`` (once per instance, cached: DMs and group chats are refused)
  and ``spaces.members.list`` paged at 1000 with ``member.type = "HUMAN"``.

Chat answers app callers with ``users/{id}``, not emails; the Directory's ids map them back.
A member the Directory does not know (deleted, external) keeps its ``users/{id}`` as a key and
is removed from authoritative spaces like anyone no rule selects.

Deferred (future-dated) HR events that ``app.person_sync`` recorded (``app.deferred``) are
applied here once due: their snapshot replaces the Directory's facts for that person in this run.

With ``CHATSYNC_SNAPSHOT_URI`` set, a run over every managed space then publishes what it read
(``app.snapshots``): the facts ``chatsync plan --snapshot`` reviews a rules change against.

With a work queue (``CHATSYNC_WORK_TOPIC``, or in process for local runs) the run applies
nothing itself: the guarded plan is published as work items (``app.fanout``) and applied by
``on_work_item``. Presence records and the snapshot are then written from the rosters as read
(the items keep presence current as they apply), and due deferred events are settled before the
items are cut, so their watermarks do not make the items skip those people. A run does not start
while an earlier one is still running; a stalled one is reported and superseded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from chatsync.app import applying, deferred, fanout, gate, presence, records, snapshots
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Outcome, Report
from chatsync.app.logs import Logger
from chatsync.app.ports import StateStore
from chatsync.app.spaces import is_named_space
from chatsync.app.work_local import InProcessQueue
from chatsync.domain import planning
from chatsync.domain.model import (
    Decision,
    Email,
    EmploymentStatus,
    MemberKind,
    Membership,
    Person,
    Role,
    SpaceName,
)
from chatsync.domain.rules.index import compile_rules, decide_all


@dataclass(frozen=True, slots=True)
class Survey:
    """What one full reconcile read and decided."""

    people: tuple[Person, ...]
    decisions: tuple[Decision, ...]
    """Only those that matter: a role somewhere, or a current member of that space."""
    current: Mapping[SpaceName, planning.SpaceState]
    plan: planning.Plan
    deferred: tuple[str, ...] = ()
    """Keys of the due deferred events whose snapshots this survey used."""


def survey(
    deps: Deps,
    *,
    log: Logger,
    spaces: Sequence[SpaceName] | None = None,
    due: Sequence[deferred.DueEvent] = (),
) -> Survey:
    """Read the Directory and every managed space; decide and plan (nothing is written)."""
    ruleset = deps.ruleset
    named = ruleset.groups_named()
    people = hr_precedence(list(deps.directory.list_people(named)), deps.store)
    ids = {f"users/{p.google_user_id}": p.email for p in people if p.google_user_id}
    if due:
        snapshots = {d.person.email: d.person for d in due}
        groups = {p.email: p.groups for p in people}
        people = [p for p in people if p.email not in snapshots]
        people += [replace(s, groups=groups.get(s.email, s.groups)) for s in snapshots.values()]
    wanted = [m.name for m in ruleset.spaces if spaces is None or m.name in spaces]
    current = read_rosters(deps, wanted, ids, log=log)
    # By index: a person costs the rules that may match them and the spaces they are in, not
    # every rule and space (domain.rules.index; the same decisions evaluate would keep).
    rosters = {name: state.members for name, state in current.items()}
    compiled = deps.compiled
    if compiled is None or compiled.ruleset is not ruleset:
        compiled = compile_rules(ruleset)
    decisions = decide_all(compiled, people, rosters)
    the_plan = planning.plan(ruleset, decisions, current)
    log.info(
        "full reconcile planned",
        people=len(people),
        spaces_checked=len(current),
        deferred_applied=len(due),
        **the_plan.summary(),
    )
    return Survey(tuple(people), tuple(decisions), current, the_plan, tuple(d.key for d in due))


def read_rosters(
    deps: Deps, spaces: Sequence[SpaceName], ids: Mapping[str, Email], *, log: Logger
) -> dict[SpaceName, planning.SpaceState]:
    """The roster of each named space of ``spaces`` (in that order), read side by side on the
    instance's kept threads (``app.lanes``): with Chat's latency one reader at a time would use
    a small part of the read quota, which the rate limiter, not this, bounds."""

    def one(space: SpaceName) -> planning.SpaceState | None:
        if not is_named_space(deps, space, log):
            return None
        return space_state(space, deps.chat.list_members(space), ids)

    # Always side by side: each space has its own read bucket (15 a second), so while a long
    # roster waits on its bucket the other spaces can be read.
    states = (
        deps.lanes.map(one, spaces, always=True) if deps.lanes else [one(space) for space in spaces]
    )
    return {space: state for space, state in zip(spaces, states, strict=True) if state is not None}


def run(
    deps: Deps, *, run_id: str, log: Logger, spaces: Sequence[SpaceName] | None = None
) -> tuple[Survey, Report]:
    """Survey, apply (a dry run if the pipeline is one) and settle due deferred events; with a
    work queue, publish the plan as work items instead of applying it here."""
    fanning = deps.work is not None and not deps.options.dry_run
    if fanning and _still_running(deps, log):
        return Survey((), (), {}, planning.Plan()), Report(note=Note.STALE)
    due = deferred.due_events(deps.store, deps.clock()) if spaces is None else []
    result = survey(deps, log=log, spaces=spaces, due=due)
    if fanning:
        return result, fan_out(deps, result, run_id=run_id, log=log, whole=spaces is None)
    report = applying.execute(
        deps,
        result.plan,
        run_id=run_id,
        log=log,
        decisions=result.decisions,
        current=result.current,
        scope="run",
        track_presence=False,
    )
    if spaces is None:  # rosters read are facts, dry run or not; applied changes move them
        applied = [r.op for r in report.results if r.outcome is Outcome.APPLIED]
        seen = presence.from_rosters([p.email for p in result.people], result.current, applied)
        deps.store.put_docs(presence.KIND, presence.documents(seen))
        ids = {f"users/{p.google_user_id}": p.email for p in result.people if p.google_user_id}
        snapshots.publish_after_run(
            deps,
            run_id=run_id,
            people=result.people,
            current=result.current,
            applied=applied,
            reread=lambda space: space_state(space, deps.chat.list_members(space), ids),
            log=log,
        )
    if due and not deps.options.dry_run:
        failed = {r.email for r in (*report.retryable_failures, *report.permanent_failures)}
        deferred.settle(deps.store, due, failed=failed, now=deps.clock())
    return result, report


def _still_running(deps: Deps, log: Logger) -> bool:
    """True if an earlier full reconcile's items are still being applied (this tick waits for
    the next). Stalled runs are reported (``fanout.check_runs``) and superseded."""
    waiting = False
    for state in fanout.check_runs(deps, log=log):
        if state.origin != "reconcile":
            continue
        if state.state == "stalled":
            fanout.supersede(deps, state.run_id, by="a newer full reconcile")
            continue
        waiting = True
        log.warning(
            "full reconcile not started: an earlier run is still being applied",
            run_id=state.run_id,
            items_done=state.items_done,
            items_total=state.items_total,
        )
    return waiting


def fan_out(deps: Deps, result: Survey, *, run_id: str, log: Logger, whole: bool = True) -> Report:
    """Guard ``result``'s plan for the run and publish it as work items (``app.fanout``);
    ``whole``: the survey covered every managed space (presence and snapshot are written)."""
    guarded, held = gate.gate(
        deps, result.plan, result.current, scope="run", run_id=run_id, log=log
    )
    if held is not None:
        return held
    if whole:  # rosters as read are facts; the items track what they change
        seen = presence.from_rosters([p.email for p in result.people], result.current, ())
        deps.store.put_docs(presence.KIND, presence.documents(seen))
        ids = {f"users/{p.google_user_id}": p.email for p in result.people if p.google_user_id}
        snapshots.publish_after_run(
            deps,
            run_id=run_id,
            people=result.people,
            current=result.current,
            applied=(),
            reread=lambda space: space_state(space, deps.chat.list_members(space), ids),
            log=log,
        )
    if result.deferred:
        due = [d for d in deferred.due_events(deps.store, deps.clock()) if d.key in result.deferred]
        deferred.settle(deps.store, due, failed=set(), now=deps.clock())
    report = fanout.start_ops_run(deps, guarded, run_id=run_id, origin="reconcile", log=log)
    if isinstance(deps.work, InProcessQueue):
        report = report.merge(deps.work.take_report())
    return report


def hr_precedence(people: Sequence[Person], store: StateStore) -> list[Person]:
    """An HR termination (or a pre-hire) outranks a Directory account that is still active:
    IT often suspends the account days later, and the nightly reconcile must not re-add the
    leaver meanwhile. A suspended account stays out whatever HR says."""
    statuses = {key: doc.get("status") for key, doc in store.list_docs(records.HR_STATUS)}
    return [
        replace(p, employment_status=EmploymentStatus(statuses[p.email]))
        if p.active and statuses.get(p.email) in ("terminated", "pre_hire")
        else p
        for p in people
    ]


def space_state(
    space: SpaceName, members: Sequence[Membership], ids: Mapping[str, Email]
) -> planning.SpaceState:
    """A complete roster keyed by email (``users/{id}`` when the Directory does not know it)."""
    roster: dict[Email, Membership] = {}
    for member in members:
        if member.kind is not MemberKind.HUMAN:
            continue
        key = member.key(ids)
        roster[key] = replace(member, email=key) if member.email is None else member
    owners = frozenset(e for e, m in roster.items() if m.role is Role.OWNER)
    return planning.SpaceState(space=space, members=roster, owners=owners, complete=True)
