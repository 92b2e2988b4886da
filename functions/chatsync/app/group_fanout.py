"""A group change or a Directory user change: everyone it names, planned as one.

One plan for everyone the event names, so the safety limits count the whole event. Each person
is planned from their merged facts (``app.facts``: the latest HR snapshot and the Directory), so
a group change never undoes what an HR event decided. A group change is first recorded per
(group, member) in the order the changes happened (``app.group_changes``): a stale one changes
nothing.

A group with more than ``fanout.GROUP_INLINE_MAX`` people is fanned out instead (when a work
topic is set): its people become work items, each planned and applied by ``on_work_item`` within
its budget, so a large group never times out the group function; the rolling window
(``safety:`` ``max_removals_per_window``) still counts every item's removals.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatsync.app import applying, facts, fanout, group_changes
from chatsync.app.deps import Deps
from chatsync.app.executing import Note, Report
from chatsync.app.logs import Logger
from chatsync.app.person_sync import plan_person
from chatsync.domain import events as ev
from chatsync.domain import planning
from chatsync.domain.model import Email


def group_event(deps: Deps, event: ev.GroupEvent, log: Logger) -> Report:
    """A member joined or left a group: that user, or everyone in a nested group."""
    change = group_changes.from_event(event, received_at=deps.clock())
    if not group_changes.record(deps.store, change):
        log.info(
            "stale group change: a later change of this membership was already applied",
            group=event.group_email,
            person=event.member_email,
        )
        return Report(note=Note.STALE)
    emails = (
        [event.member_email]
        if event.member_type == "user"
        else sorted(deps.directory.group_members(event.member_email))
    )
    if deps.work is not None and len(emails) > fanout.GROUP_INLINE_MAX:
        return fanout.start_people_run(
            deps, emails, run_id=f"group-{event.meta.event_id}", origin="group", log=log
        )
    return people(deps, emails, run_id=event.meta.event_id, log=log)


def people(deps: Deps, emails: Iterable[Email], *, run_id: str, log: Logger) -> Report:
    """Plan everyone at ``emails`` (a group's address stands for its members), apply as one."""
    subjects = [found.person for address in emails for found in facts.subjects(deps, address)]
    plans = [plan_person(deps, person, log=log) for person in subjects]
    merged = planning.Plan(
        tuple(sorted((op for p, _ in plans for op in p.operations), key=lambda op: op.phase)),
        tuple(skip for p, _ in plans for skip in p.skipped),
        tuple(u for p, _ in plans for u in p.unreachable),
    )
    decisions = [d for _, live in plans for d in live]
    return applying.execute(deps, merged, run_id=run_id, log=log, decisions=decisions)
