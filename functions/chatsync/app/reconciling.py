"""The full reconcile: every managed space against everyone's facts and the rules, in one pass.

Called for the scheduler's tick and ``chatsync reconcile`` (the scheduler's tick and
``chatsync reconcile``). Reads, in this order and nothing more:

* the Directory once: ``users.list`` (500 a page), ``groups.list`` and one
  ``members.list?includeDerivedMembership=true`` per group, so nested groups count; and the
  store's HR snapshots and group changes, one listing each, merged per person by
  ``app.facts.everyone`` exactly as the event paths merge them;
* per managed space: ``spaces.get`` (once per instance, cached: DMs and group chats are refused)
  and ``spaces.members.list`` paged at 1000 with ``member.type = "HUMAN"``.

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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from chatsync.app import applying, broken, deferred, facts, presence, records, snapshots
from chatsync.app.deferred import DueEvent
from chatsync.app.deps import Deps
from chatsync.app.executing import Outcome, Report
from chatsync.app.logs import Logger
from chatsync.app.spaces import is_named_space
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
    people = [found.person for found in facts.everyone(deps, due=due)]
    ids = {f"users/{p.google_user_id}": p.email for p in people if p.google_user_id}
    current: dict[SpaceName, planning.SpaceState] = {}
    refused: dict[SpaceName, errors.SpaceUnreachable] = {}
    for managed in ruleset.spaces:
        if spaces is not None and managed.name not in spaces:
            continue
        try:
            if not is_named_space(deps, managed.name, log):
                continue
            members = deps.chat.list_members(managed.name)
        except errors.SpaceUnreachable as exc:
            refused[managed.name] = exc
            continue
        current[managed.name] = space_state(managed.name, members, ids)
    # By index (domain.rules.index): a person costs their candidate rules and memberships, not
    # every managed space; equal to evaluating everyone (property-tested in tests/scale).
    decisions = decide_all(
        compile_rules(ruleset), people, {name: state.members for name, state in current.items()}
    )
    wanted: dict[SpaceName, list[Email]] = {space: [] for space in refused}
    for person in people if refused else ():
        for decision in evaluate(ruleset, person):
            if decision.space in wanted and decision.role is not None:
                wanted[decision.space].append(decision.email)
    the_plan = replace(
        planning.plan(ruleset, decisions, current),
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


def run(
    deps: Deps, *, run_id: str, log: Logger, spaces: Sequence[SpaceName] | None = None
) -> tuple[Survey, Report]:
    """Survey, apply (a dry run if the pipeline is one) and settle due deferred events; then
    one ``full reconcile completed`` line and, unless a dry run, a ``runs`` record."""
    result = prepare(deps, log=log, spaces=spaces)
    return result, finish(deps, result, run_id=run_id, log=log)


def finish(deps: Deps, result: Survey, *, run_id: str, log: Logger) -> Report:
    """Apply a survey's plan, record presence from its rosters, settle its deferred events,
    heal the spaces it applied, and record the run (``finished``)."""
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
        seen = presence.from_rosters([p.email for p in result.people], result.current, applied)
        deps.store.put_docs(presence.KIND, {e: p.to_dict() for e, p in seen.items()})
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
    ``chatsync status`` lists (``records.RUNS``)."""
    counts = report.summary()
    log.info(
        "full reconcile completed" if full else "reconcile of some spaces completed",
        run_id=run_id,
        full=full,
        held=report.held,
        **counts,
    )
    if deps.options.dry_run:
        return
    record: records.RunRecord = {
        "kind": "reconcile" if full else "reconcile_spaces",
        "started_at": started,
        "finished_at": deps.clock(),
        "dry_run": False,
        "held": report.held,
        "counts": counts,
    }
    # Merged into what ``app.runs`` wrote when a CLI run started (its process, its status).
    deps.store.update_doc(records.RUNS, run_id, lambda doc: {**(doc or {}), **record})


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
