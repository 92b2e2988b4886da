"""Drift: a Chat membership event (Workspace Events API) in a managed space.

Someone changed a membership directly: in the Chat UI, the admin console, another app — or
chatsync itself, whose own writes come back as events too. The event is a reason to look, never
a command: the person's facts are read (``app.facts``: the latest HR snapshot merged with the
Directory, as on every path), their decision for that one space is made, the membership is read
live, and the difference is planned.

* An empty plan: the space already agrees with the rules. Every echo of chatsync's own change
  lands here, as does a manual change the rules allow.
* A non-empty plan in an authoritative space: the change contradicts the rules. With
  ``CHATSYNC_DRIFT_MODE=revert`` (default) it is applied, reverting the change; with ``report`` it
  is logged as a warning and stored (``drift`` records) for an admin, and nothing is written.
  Either way the admin space is told (``app.notifying``: the first drift per space and hour).
* A non-empty plan in an additive space is only reported: people there are curated by hand,
  and the full reconcile still adds whoever the rules select.

Apps, groups and unmanaged spaces are ignored. A ``deleted`` event carries only the membership
name; its member id (``spaces/S/members/{id}``) names the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chatsync.app import applying, facts, notifying, presence, records
from chatsync.app.deps import Deps
from chatsync.app.executing import Outcome, Report, describe
from chatsync.app.logs import Logger
from chatsync.app.person_sync import plan_person
from chatsync.domain import events as ev
from chatsync.domain import planning
from chatsync.domain.plan_codec import op_json

DRIFT = records.DRIFT
"""Store kind of reported (not reverted) drift."""


def member_key(event: ev.ChatMembershipEvent) -> str | None:
    """The Directory key (id or email) of the member an event is about, or None for non-users."""
    user = event.user
    if user is None:
        _, _, member_id = event.membership_name.partition("/members/")
        user = f"users/{member_id}" if member_id else None
    if user is None or not user.startswith("users/"):
        return None
    return user.removeprefix("users/")


def handle(deps: Deps, event: ev.ChatMembershipEvent, log: Logger) -> Report:
    """Decide whether the change is drift, and revert or report it (see the module docstring)."""
    space = event.space
    log = log.bind(space=space, membership=event.membership_name, change=event.kind)
    if event.member_type not in (None, "HUMAN"):
        log.info("chat membership event for an app or group: not ours to manage")
        return Report()
    managed = deps.ruleset.space(space)
    if managed is None:
        log.info("chat membership event in an unmanaged space: ignored")
        return Report()
    key = member_key(event)
    if key is None:
        log.info("chat membership event without a user: ignored")
        return Report()
    person = facts.of(deps, key).person
    presence.forget(deps.store, person.email, space)  # the event says: look again
    the_plan, decisions = plan_person(deps, person, log=log, spaces=(space,))
    if the_plan.is_empty:
        log.info(
            "membership matches the rules: nothing to revert",
            person=person.email,
            skipped=len(the_plan.skipped),
        )
        return Report(skipped=the_plan.skipped, drift="none")
    ops = [op_json(op) for op in the_plan.operations]
    revert = deps.options.drift_mode == "revert" and managed.mode == "authoritative"
    if not revert:
        why = (
            "CHATSYNC_DRIFT_MODE=report"
            if deps.options.drift_mode != "revert"
            else "additive space: changes by hand are allowed"
        )
        for op in the_plan.operations:
            log.warning(
                f"drift reported, not reverted ({why}): would {describe(op)}",
                person=op.email,
                action="drift",
                drift="reported",
                rule=list(op.reasons),
            )
        deps.store.put_doc(
            DRIFT,
            event.meta.event_id,
            {
                "at": deps.clock(),
                "space": space,
                "person": person.email,
                "change": event.kind,
                "membership": event.membership_name,
                "operations": ops,
                "why_not_reverted": why,
            },
        )
        notifying.drift(
            deps,
            space=space,
            person=person.email,
            change=event.kind,
            operations=[describe(op) for op in the_plan.operations],
            reasons=_reasons(the_plan.operations),
            reverted=False,
            why_not_reverted=why,
            log=log,
        )
        return Report(skipped=the_plan.skipped, drift="reported")
    log.warning(
        "drift: a manual change contradicts the rules; reverting it",
        person=person.email,
        drift="reverted",
        operations=[describe(op) for op in the_plan.operations],
    )
    report = applying.execute(
        deps, the_plan, run_id=event.meta.event_id, log=log, decisions=decisions
    )
    if any(r.outcome is Outcome.APPLIED for r in report.results):
        notifying.drift(
            deps,
            space=space,
            person=person.email,
            change=event.kind,
            operations=[describe(r.op) for r in report.results if r.outcome is Outcome.APPLIED],
            reasons=_reasons(the_plan.operations),
            reverted=True,
            log=log,
        )
    return replace(report, drift="reverted")


def _reasons(operations: Sequence[planning.Operation]) -> list[str]:
    """Each rule reason once, in plan order."""
    return list(dict.fromkeys(reason for op in operations for reason in op.reasons))
