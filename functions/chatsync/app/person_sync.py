"""One person: decide every managed space, read what can change, plan and apply.

An event is a reason to reconcile a person, never a blind command. ``person_event`` is the HR
path: stale events are dropped by the per-person watermark, future-dated ones recorded for the
reconcile, the rest claimed (watermark first) and reconciled under a per-person lock in this
instance and a lease in the store across instances. The event's snapshot becomes the person's
latest HR snapshot; what is reconciled is the person's merged facts (``app.facts``), the same
that every other path and the full reconcile read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chatsync.app import applying, broken, deferred, facts, hr_snapshots, leasing, presence
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Report
from chatsync.app.logs import Logger
from chatsync.app.ports import Watermark
from chatsync.app.spaces import is_named_space
from chatsync.domain import errors, planning
from chatsync.domain import events as ev
from chatsync.domain.model import Decision, Email, Person, Role, SpaceName
from chatsync.domain.rules import evaluate
from chatsync.domain.rules.index import evaluate_indexed


def plan_person(
    deps: Deps,
    person: Person,
    *,
    log: Logger,
    spaces: Sequence[SpaceName] | None = None,
    use_presence: bool = True,
) -> tuple[planning.Plan, list[Decision]]:
    """The person's plan across managed spaces (or ``spaces``), reading only what can change.

    A space that answers 403/404 is left out and named in ``Plan.unreachable`` (app.broken).
    """
    # By index when compiled (the same decisions as evaluate, trying only candidate rules).
    decided = (
        evaluate_indexed(deps.compiled, person)
        if deps.compiled is not None and deps.compiled.ruleset is deps.ruleset
        else evaluate(deps.ruleset, person)
    )
    decisions = [d for d in decided if spaces is None or d.space in spaces]
    managed_spaces = {s.name: s for s in deps.ruleset.spaces}
    current: dict[SpaceName, planning.SpaceState] = {}
    live: list[Decision] = []
    unreachable: list[planning.Unreachable] = []
    known = presence.load(deps.store, person.email) if use_presence else None
    to_read: list[Decision] = []
    for decision in decisions:
        managed = managed_spaces.get(decision.space)
        if managed is None or decision.protected:
            live.append(decision)
            continue
        if decision.role is None and managed.mode == "additive" and person.active:
            continue  # nothing to add, and additive spaces never remove
        if decision.role is None and known is not None and not known.may_be_in(decision.space):
            continue  # checked and not found there: nothing to remove (see app.presence)
        last_seen = known.role_in(decision.space) if known is not None else None
        if decision.role is not None and last_seen is decision.role:
            continue  # last seen there with this very role: nothing to write
        to_read.append(decision)

    def read(decision: Decision) -> planning.SpaceState | planning.Unreachable | None:
        try:
            if not is_named_space(deps, decision.space, log):
                return None
            membership = deps.chat.get_member(decision.space, person.email)
            owners: frozenset[Email] = frozenset()
            if membership is not None and membership.role is Role.OWNER:
                owners = frozenset(
                    person.email if m.user == membership.user else m.key()
                    for m in deps.chat.list_members(decision.space, owners_only=True)
                )
        except errors.SpaceUnreachable as exc:
            return broken.found(exc, decision.space, (person.email,))
        return planning.SpaceState(
            space=decision.space,
            members={person.email: membership} if membership is not None else {},
            owners=owners,
            complete=False,
        )

    # Side by side on the instance's kept threads: each read is a round trip to Chat.
    states = deps.lanes.map(read, to_read) if deps.lanes else [read(d) for d in to_read]
    seen: dict[SpaceName, Role | None] = {}
    for decision, state in zip(to_read, states, strict=True):
        if state is None:
            continue
        if isinstance(state, planning.Unreachable):
            unreachable.append(state)
            continue
        current[decision.space] = state
        found = state.members.get(person.email)
        seen[decision.space] = found.role if found is not None else None
        live.append(decision)
    if seen:
        presence.save(deps.store, person.email, (known or presence.Presence()).observe(seen))
    the_plan = replace(planning.plan(deps.ruleset, live, current), unreachable=tuple(unreachable))
    return the_plan, live


def reconcile_person(
    deps: Deps,
    person: Person,
    *,
    run_id: str,
    log: Logger,
    spaces: Sequence[SpaceName] | None = None,
    use_presence: bool = True,
) -> Report:
    """Plan the person and apply it."""
    the_plan, live = plan_person(deps, person, log=log, spaces=spaces, use_presence=use_presence)
    return applying.execute(deps, the_plan, run_id=run_id, log=log, decisions=live)


def person_event(deps: Deps, event: ev.PersonEvent, log: Logger) -> Report:
    """An HR person event: drop it if stale, defer it if future-dated, else reconcile."""
    email = event.person.email
    mark = Watermark(event.meta.occurred_at.timestamp(), event.meta.sequence, event.meta.event_id)
    current = deps.store.get_watermark(email)
    # A redelivery of the event that holds the watermark (it failed half way) may go on.
    overtaken = current is not None and not mark.is_newer_than(current)
    if overtaken and current is not None and current.event_id != mark.event_id:
        log.info(
            "stale event: a newer one was already applied for this person",
            person=email,
            watermark=current.event_id,
        )
        return Report(note=Note.STALE)
    if event.effective_at.timestamp() > deps.clock():
        deferred.record(deps.store, event, mark)
        log.info(
            "future-dated event: recorded, the reconcile applies it when due",
            person=email,
            effective_at=event.effective_at.isoformat(),
        )
        return Report(note=Note.DEFERRED)
    with deps.person_locks.holding(email):
        holder = f"{deps.instance}:{event.meta.event_id}"
        with leasing.held(deps.store, email, holder, now=deps.clock()):
            return claim_and_reconcile(deps, event, mark, log)


def claim_and_reconcile(deps: Deps, event: ev.PersonEvent, mark: Watermark, log: Logger) -> Report:
    """Keep the event's snapshot as the person's latest (``app.hr_snapshots``) and claim the
    watermark *before* applying, so that no older event starts afterwards; then reconcile the
    person's merged facts. If a newer event claimed it while this one applied (another
    instance), this delivery's writes may have landed after the newer one's: reconcile again
    (from the newer snapshot, which the facts now hold) until the watermark stays put."""
    store, email = deps.store, event.person.email
    hr_snapshots.record(store, hr_snapshots.from_event(event), now=deps.clock())
    held = store.get_watermark(email)
    if (held is None or held.event_id != mark.event_id) and not store.advance_watermark(
        email, mark
    ):
        log.info("stale event: a newer one was claimed for this person", person=email)
        return Report(note=Note.STALE)
    report = reconcile_person(deps, facts.of(deps, email).person, run_id=mark.event_id, log=log)
    for _ in range(3):
        latest = store.get_watermark(email)
        if latest is None or latest.event_id == mark.event_id or report.retryable_failures:
            break
        log.info(
            "a newer event for this person was claimed meanwhile: reconciling from it",
            person=email,
            watermark=latest.event_id,
        )
        mark = latest
        # Presence records may be stale here: a concurrent delivery wrote them from what it
        # saw before this one's writes landed. Read every space that can change.
        newer = facts.of(deps, email).person
        report = report.merge(
            reconcile_person(deps, newer, run_id=mark.event_id, log=log, use_presence=False)
        )
    return report
