"""The full reconcile: every managed space against everyone's facts and the rules, in one pass.

Called for the scheduler's tick and ``chatsync reconcile`` (the scheduler's tick and
``chatsync reconcile``). Reads, in this order and nothing more:

* the Directory once: ``users.list`` (500 a page) and, for each group a rule names (and only
  those), ``members.list?includeDerivedMembership=true``, so members of nested groups count,
  each page retried on its own; and the store's HR snapshots and group changes, one listing
  each, merged per person by ``app.facts.everyone`` exactly as the event paths merge them;
* per managed space, side by side: ``spaces.get`` (once per instance, cached: DMs and group
  chats are refused) and ``spaces.members.list`` paged at 1000 with ``member.type = "HUMAN"``.

Everyone is decided by the compiled rules (``domain.rules.index.decide_all``): a person costs
the rules that may match them and the spaces they are in, not every rule and space.

Chat answers app callers with ``users/{id}``, not emails; the Directory's ids map them back.
A member the Directory does not know (deleted, external) keeps its ``users/{id}`` as a key and
is removed from authoritative spaces like anyone no rule selects.

Deferred (future-dated) HR events that ``app.person_sync`` recorded (``app.deferred``) are
applied here once due: their snapshot counts as the person's latest HR snapshot in this run
(unless a newer one is stored), and becomes it once applied.

A space Chat answers 403/404 for is left out of the run (``Plan.unreachable``: logged, recorded
and reported by ``app.broken``) and every other space applies; a space applied without a failure
closes its ``broken_spaces`` record.

With ``CHATSYNC_SNAPSHOT_URI`` set, a run over every managed space then publishes what it read
(``app.snapshots``): the facts ``chatsync plan --snapshot`` reviews a rules change against.

With a work queue (``CHATSYNC_WORK_TOPIC``, or in process for local runs) the run applies
nothing itself: the guarded plan is published as work items (``app.fanout``) and applied by
``on_work_item``. Presence records and the snapshot are then written from the rosters as read
(the items keep presence current as they apply), due deferred events are settled before the
items are cut (so their watermarks do not make the items skip those people), and the
``full reconcile completed`` line is logged when the last item is done. A run does not start
while an earlier one is still being applied; a stalled one is reported and superseded.

Why it is long: the survey, the apply in place and the fan-out share the run's bookkeeping
(presence, snapshot, deferred events, broken spaces, the run record); split, each would
repeat it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from chatsync.app import (
    applying,
    broken,
    deferred,
    facts,
    fanout,
    gate,
    presence,
    runs,
    snapshots,
)
from chatsync.app.deferred import DueEvent
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Outcome, Report
from chatsync.app.logs import Logger
from chatsync.app.spaces import is_named_space
from chatsync.app.work_local import InProcessQueue
from chatsync.domain import errors, planning
from chatsync.domain.model import (
    Decision,
    Email,
    MemberKind,
    Membership,
    Person,
    Role,
    SpaceName,
)
from chatsync.domain.rules import evaluate
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
    due: tuple[DueEvent, ...] = ()
    """Those due deferred events (``finish`` settles them once applied)."""
    whole: bool = True
    """Every managed space was read (no ``spaces`` filter): presence can be written."""
    started: float = 0.0
    """When the survey began (the run's start in its ``runs`` record)."""


def survey(
    deps: Deps,
    *,
    log: Logger,
    spaces: Sequence[SpaceName] | None = None,
    due: Sequence[deferred.DueEvent] = (),
) -> Survey:
    """Read everyone's facts and every managed space; decide and plan (nothing is written)."""
    started = deps.clock()
    ruleset = deps.ruleset
    named = ruleset.groups_named()
    people = [found.person for found in facts.everyone(deps, due=due, groups=named)]
    ids = {f"users/{p.google_user_id}": p.email for p in people if p.google_user_id}
    listed = [m.name for m in ruleset.spaces if spaces is None or m.name in spaces]
    current, refused = read_rosters(deps, listed, ids, log=log)
    # By index (domain.rules.index): a person costs their candidate rules and memberships, not
    # every managed space; equal to evaluating everyone (property-tested in tests/scale).
    compiled = deps.compiled
    if compiled is None or compiled.ruleset is not ruleset:
        compiled = compile_rules(ruleset)
    decisions = decide_all(
        compiled, people, {name: state.members for name, state in current.items()}
    )
    wanted: dict[SpaceName, list[Email]] = {space: [] for space in refused}
    for person in people if refused else ():
        for decision in evaluate(ruleset, person):
            if decision.space in wanted and decision.role is not None:
                wanted[decision.space].append(decision.email)
    the_plan = replace(
        planning.plan(ruleset, decisions, current, known=frozenset(p.email for p in people)),
        unreachable=tuple(
            broken.found(exc, space, sorted(wanted[space])) for space, exc in refused.items()
        ),
    )
    log.info(
        "full reconcile planned",
        people=len(people),
        spaces_checked=len(current),
        deferred_applied=len(due),
        **the_plan.summary(),
    )
    return Survey(
        tuple(people),
        tuple(decisions),
        current,
        the_plan,
        tuple(d.key for d in due),
        tuple(due),
        spaces is None,
        started,
    )


def prepare(deps: Deps, *, log: Logger, spaces: Sequence[SpaceName] | None = None) -> Survey:
    """The survey a run would apply, due deferred events included (nothing is written): the
    CLI shows it and asks before ``finish``."""
    due = deferred.due_events(deps.store, deps.clock()) if spaces is None else []
    return survey(deps, log=log, spaces=spaces, due=due)


def read_rosters(
    deps: Deps, spaces: Sequence[SpaceName], ids: Mapping[str, Email], *, log: Logger
) -> tuple[dict[SpaceName, planning.SpaceState], dict[SpaceName, errors.SpaceUnreachable]]:
    """The roster of each named space of ``spaces`` (in that order), read side by side on the
    instance's kept threads (``app.lanes``): with Chat's latency one reader at a time would use
    a small part of the read quota, which the rate limiter, not this, bounds. Spaces that
    answered 403/404 come back apart."""

    def one(space: SpaceName) -> planning.SpaceState | errors.SpaceUnreachable | None:
        try:
            if not is_named_space(deps, space, log):
                return None
            return space_state(space, deps.chat.list_members(space), ids)
        except errors.SpaceUnreachable as exc:
            return exc

    # Always side by side: each space has its own read bucket (15 a second), so while a long
    # roster waits on its bucket the other spaces can be read.
    states = (
        deps.lanes.map(one, spaces, always=True) if deps.lanes else [one(space) for space in spaces]
    )
    current: dict[SpaceName, planning.SpaceState] = {}
    refused: dict[SpaceName, errors.SpaceUnreachable] = {}
    for space, state in zip(spaces, states, strict=True):
        if isinstance(state, errors.SpaceUnreachable):
            refused[space] = state
        elif state is not None:
            current[space] = state
    return current, refused


def run(
    deps: Deps, *, run_id: str, log: Logger, spaces: Sequence[SpaceName] | None = None
) -> tuple[Survey, Report]:
    """Survey, apply (a dry run if the pipeline is one) and settle due deferred events; then
    one ``full reconcile completed`` line and, unless a dry run, a ``runs`` record. With a work
    queue, the plan is published as work items instead (``fan_out``)."""
    if deps.work is not None and not deps.options.dry_run and _still_running(deps, log):
        return Survey((), (), {}, planning.Plan()), Report(note=Note.STALE)
    result = prepare(deps, log=log, spaces=spaces)
    return result, finish(deps, result, run_id=run_id, log=log)


def finish(deps: Deps, result: Survey, *, run_id: str, log: Logger) -> Report:
    """Apply a survey's plan, record presence from its rosters, settle its deferred events,
    heal the spaces it applied, and record the run (``finished``). With a work queue (and not a
    dry run) the plan is published as work items instead (``fan_out``)."""
    if deps.work is not None and not deps.options.dry_run:
        return fan_out(deps, result, run_id=run_id, log=log)
    due = result.due
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
    if result.whole:  # rosters read are facts, dry run or not; applied changes move them
        applied = [r.op for r in report.results if r.outcome is Outcome.APPLIED]
        _record_rosters(deps, result, applied, run_id=run_id, log=log)
    if due and not deps.options.dry_run:
        failed = {
            r.email
            for r in report.results
            if r.outcome
            in (Outcome.FAILED_RETRYABLE, Outcome.FAILED_PERMANENT, Outcome.INTERRUPTED)
        }
        deferred.settle(deps.store, due, failed=failed, now=deps.clock())
    failing = {r.space for r in (*report.retryable_failures, *report.permanent_failures)}
    broken.heal(deps, sorted(set(result.current) - failing), run_id=run_id, log=log)
    if result.whole:
        managed = {s.name for s in deps.ruleset.spaces}
        gone = [space for space, _ in broken.listed(deps.store) if space not in managed]
        broken.heal(deps, gone, run_id=run_id, log=log, why="no longer in the rules")
    finished(deps, run_id=run_id, started=result.started, report=report, full=result.whole, log=log)
    return report


def finished(
    deps: Deps, *, run_id: str, started: float, report: Report, full: bool, log: Logger
) -> None:
    """The line the "no completed full reconcile" alert counts, and the record
    ``chatsync status`` lists (``records.RUNS``): see ``runs.reconcile_finished``."""
    runs.reconcile_finished(
        deps.store,
        run_id=run_id,
        started=started,
        now=deps.clock(),
        counts=report.summary(),
        held=report.held,
        full=full,
        dry_run=deps.options.dry_run,
        log=log,
    )


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


def fan_out(deps: Deps, result: Survey, *, run_id: str, log: Logger) -> Report:
    """Guard ``result``'s plan for the run and publish it as work items (``app.fanout``):
    presence and the snapshot from the rosters as read, due deferred events settled first, the
    spaces read healed; the run's ``full reconcile completed`` line comes with its last item."""
    guarded, held = gate.gate(
        deps, result.plan, result.current, scope="run", run_id=run_id, log=log
    )
    if held is not None:
        return replace(
            held, broken=broken.note(deps, result.plan.unreachable, run_id=run_id, log=log)
        )
    flagged = broken.note(deps, result.plan.unreachable, run_id=run_id, log=log)
    if result.whole:  # rosters as read are facts; the items track what they change
        _record_rosters(deps, result, (), run_id=run_id, log=log)
    if result.due:
        deferred.settle(deps.store, result.due, failed=set(), now=deps.clock())
    broken.heal(deps, sorted(result.current), run_id=run_id, log=log)
    report = fanout.start_ops_run(
        deps,
        guarded,
        run_id=run_id,
        origin="reconcile" if result.whole else "reconcile_spaces",
        log=log,
        started=result.started,
    )
    if isinstance(deps.work, InProcessQueue):
        report = report.merge(deps.work.take_report())
    return replace(report, broken=flagged)


def _record_rosters(
    deps: Deps,
    result: Survey,
    applied: Sequence[planning.Operation],
    *,
    run_id: str,
    log: Logger,
) -> None:
    """After a whole survey: everyone's presence from the rosters as read (moved by ``applied``),
    and the run's snapshot (``app.snapshots``)."""
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
