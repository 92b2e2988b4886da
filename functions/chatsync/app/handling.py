"""One decoded event in: the use case it calls for, run once.

Duplicates (an event id already processed) change nothing. A report with changes that must wait
raises ``RetryableError`` so that Pub/Sub redelivers; the event is marked processed only when
nothing is pending.
"""

from __future__ import annotations

from chatsync.app import (
    approving,
    drifting,
    group_fanout,
    notifying,
    person_sync,
    reconciling,
    subscriptions,
    work_items,
)
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Report, describe
from chatsync.app.logs import Logger
from chatsync.domain import errors
from chatsync.domain import events as ev


def handle(deps: Deps, event: ev.Event) -> Report:
    """Reconcile whoever ``event`` is about. Raises RetryableError if any change must wait."""
    meta = event.meta
    log = deps.log.bind(
        event_id=meta.event_id, message_id=meta.message_id, event_type=meta.event_type
    )
    if deps.store.is_processed(meta.event_id):
        log.info("duplicate event: already applied, nothing to do")
        return Report(note=Note.DUPLICATE)
    try:
        report = dispatch(deps, event, log)
    except errors.ChatPermissionDenied as exc:
        # A read Chat refused (403/404) for a managed space: the event is dropped as before
        # (main.py), and the admin space hears of the space (app.notifying).
        notifying.error_unmanageable(deps, exc, log=log)
        raise
    pending = report.retryable_failures
    if pending:
        first = pending[0]
        raise errors.RetryableError(
            f"{len(pending)} change(s) not applied yet, first: "
            f"{describe(first.op)}: {first.detail}",
            delay=None,
        )
    deps.store.mark_processed(meta.event_id, deps.clock())
    return report


def dispatch(deps: Deps, event: ev.Event, log: Logger) -> Report:
    """The use case for each kind of event."""
    if isinstance(event, ev.PersonEvent):
        return person_sync.person_event(deps, event, log)
    if isinstance(event, ev.GroupEvent):
        return group_fanout.group_event(deps, event, log)
    if isinstance(event, ev.DirectoryUserEvent):
        return group_fanout.people(deps, [event.email], run_id=event.meta.event_id, log=log)
    if isinstance(event, ev.ChatMembershipEvent):
        return drifting.handle(deps, event, log)
    if isinstance(event, ev.WorkItemEvent):
        return work_items.handle(deps, event, log)
    if isinstance(event, ev.ReconcileTick):
        if event.approve_plan:
            return approving.approve(
                deps, event.approve_plan, log=log, approved_by=f"message {event.meta.message_id}"
            )
        if event.renew_subscriptions:
            return renew_subscriptions(deps, log=log)
        return reconciling.run(deps, run_id=event.meta.event_id, log=log)[1]
    log.info("subscription lifecycle event", subscription=event.subscription, kind=event.kind)
    if event.kind in ("expirationReminder", "expired"):
        return renew_subscriptions(deps, log=log)
    return Report()


def renew_subscriptions(deps: Deps, *, log: Logger) -> Report:
    """One live Workspace Events subscription per managed space (see app.subscriptions)."""
    if deps.workspace_events is None:
        log.warning("no Workspace Events client configured: subscriptions not renewed")
        return Report()
    spaces = [s.name for s in deps.ruleset.spaces]
    renewal = subscriptions.ensure(
        deps.workspace_events,
        spaces,
        topic=deps.options.events_topic,
        now=deps.clock(),
        log=log,
    )
    return Report(subscriptions=renewal.summary())
