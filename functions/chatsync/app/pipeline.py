"""Where the steps meet: event -> facts -> rules -> desired state -> plan -> apply -> record.

An event is a reason to reconcile a person, never a blind command: the pipeline reads the
person's facts (the snapshot in an HR event, else the Directory), decides every managed space,
reads the live memberships, plans the difference and applies it. A duplicate changes nothing;
a stale event (older than the person's watermark) is dropped.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from chatsync.adapters import workspace_events as subscriptions
from chatsync.adapters.store import StateStore, Watermark
from chatsync.app import approving, drifting, leasing, presence, reconciling, recording
from chatsync.app.chat_port import ChatMembers
from chatsync.app.executing import Executor, Report, RetryPolicy, describe
from chatsync.app.logs import Logger
from chatsync.domain import errors, planning, safety
from chatsync.domain import events as ev
from chatsync.domain.model import (
    Decision,
    Email,
    EmploymentStatus,
    Person,
    Role,
    SpaceName,
    SpaceType,
)
from chatsync.domain.rules import Ruleset, evaluate


class Directory(Protocol):
    def get_person(self, key: str) -> Person: ...

    def group_members(self, group: Email) -> frozenset[Email]: ...

    def list_people(self) -> list[Person]: ...


@dataclass
class Pipeline:
    ruleset: Ruleset
    chat: ChatMembers
    directory: Directory
    store: StateStore
    log: Logger
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    workers: int = 8
    """Spaces applied side by side (threads); the rate limiter, not this, bounds the call rate."""
    drift_mode: str = "revert"
    """``revert`` or ``report`` a manual change that contradicts the rules (see drifting)."""
    workspace_events: subscriptions.WorkspaceEvents | None = None
    events_topic: str = ""
    _space_types: dict[SpaceName, SpaceType] = field(default_factory=dict)
    _people_locks: dict[Email, threading.Lock] = field(default_factory=dict)
    _locks_lock: threading.Lock = field(default_factory=threading.Lock)
    _instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    """This instance's name in per-person leases (see chatsync.app.leasing)."""

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, event: ev.Event) -> Report:
        """Reconcile whoever ``event`` is about. Raises RetryableError if any change must wait."""
        meta = event.meta
        log = self.log.bind(
            event_id=meta.event_id, message_id=meta.message_id, event_type=meta.event_type
        )
        if self.store.is_processed(meta.event_id):
            log.info("duplicate event: already applied, nothing to do")
            return Report(extra={"duplicate": True})
        report = self._dispatch(event, log)
        pending = report.retryable_failures
        if pending:
            first = pending[0]
            raise errors.RetryableError(
                f"{len(pending)} change(s) not applied yet, first: "
                f"{describe(first.op)}: {first.detail}",
                delay=None,
            )
        self.store.mark_processed(meta.event_id, self.clock())
        return report

    def _dispatch(self, event: ev.Event, log: Logger) -> Report:
        if isinstance(event, ev.PersonEvent):
            return self._person_event(event, log)
        if isinstance(event, ev.GroupEvent):
            emails = (
                [event.member_email]
                if event.member_type == "user"
                else sorted(self.directory.group_members(event.member_email))
            )
            return self._many(emails, run_id=event.meta.event_id, log=log)
        if isinstance(event, ev.DirectoryUserEvent):
            return self._many([event.email], run_id=event.meta.event_id, log=log)
        if isinstance(event, ev.ChatMembershipEvent):
            return self._chat_event(event, log)
        if isinstance(event, ev.ReconcileTick):
            if event.approve_plan:
                return self.approve(
                    event.approve_plan, log=log, approved_by=f"message {event.meta.message_id}"
                )
            if event.renew_subscriptions:
                return self.renew_subscriptions(log=log)
            return self.reconcile_all(run_id=event.meta.event_id, log=log)
        log.info("subscription lifecycle event", subscription=event.subscription, kind=event.kind)
        if event.kind in ("expirationReminder", "expired"):
            return self.renew_subscriptions(log=log)
        return Report()

    def renew_subscriptions(self, *, log: Logger) -> Report:
        """One live Workspace Events subscription per managed space (see subscriptions)."""
        if self.workspace_events is None:
            log.warning("no Workspace Events client configured: subscriptions not renewed")
            return Report()
        spaces = [s.name for s in self.ruleset.spaces]
        renewal = subscriptions.ensure(
            self.workspace_events, spaces, topic=self.events_topic, now=self.clock(), log=log
        )
        return Report(extra={"subscriptions": renewal.summary()})

    def _person_event(self, event: ev.PersonEvent, log: Logger) -> Report:
        person = event.person
        mark = Watermark(
            event.meta.occurred_at.timestamp(), event.meta.sequence, event.meta.event_id
        )
        current = self.store.get_watermark(person.email)
        # A redelivery of the event that holds the watermark (it failed half way) may go on.
        if (
            current is not None
            and current.event_id != mark.event_id
            and not mark.is_newer_than(current)
        ):
            log.info(
                "stale event: a newer one was already applied for this person",
                person=person.email,
                watermark=current.event_id,
            )
            return Report(extra={"stale": True})
        if event.effective_at.timestamp() > self.clock():
            self.store.put_doc(
                "deferred",
                event.meta.event_id,
                {
                    "due": event.effective_at.timestamp(),
                    "email": person.email,
                    "event_type": event.meta.event_type,
                    "person": reconciling.person_to_dict(person),
                    "occurred_at": mark.occurred_at,
                    "sequence": mark.sequence,
                },
            )
            log.info(
                "future-dated event: recorded, the reconcile applies it when due",
                person=person.email,
                effective_at=event.effective_at.isoformat(),
            )
            return Report(extra={"deferred": True})
        if self.ruleset.uses_groups:
            person = _with_groups(person, self._groups(person.email))
        with self._person_lock(person.email):
            holder = f"{self._instance}:{event.meta.event_id}"
            with leasing.held(self.store, person.email, holder, now=self.clock()):
                return self._claim_and_reconcile(person, mark, log)

    @contextmanager
    def _person_lock(self, email: Email) -> Iterator[None]:
        """One delivery per person at a time in this instance."""
        with self._locks_lock:
            lock = self._people_locks.setdefault(email, threading.Lock())
        with lock:
            yield

    def _claim_and_reconcile(self, person: Person, mark: Watermark, log: Logger) -> Report:
        """Claim the watermark *before* applying, so that no older event starts afterwards; then
        reconcile. If a newer event claimed it while this one applied (another instance), this
        delivery's writes may have landed after the newer one's: reconcile again from the newer
        event's snapshot (stored under ``person_facts``) until the watermark stays put."""
        self.store.put_doc(FACTS, mark.event_id, reconciling.person_to_dict(person))
        held = self.store.get_watermark(person.email)
        if (held is None or held.event_id != mark.event_id) and not self.store.advance_watermark(
            person.email, mark
        ):
            log.info("stale event: a newer one was claimed for this person", person=person.email)
            return Report(extra={"stale": True})
        report = self.reconcile_person(person, run_id=mark.event_id, log=log)
        self.store.put_doc(
            reconciling.HR_STATUS,
            person.email,
            {"status": person.employment_status.value, "event_id": mark.event_id},
        )
        for _ in range(3):
            latest = self.store.get_watermark(person.email)
            if latest is None or latest.event_id == mark.event_id or report.retryable_failures:
                break
            snapshot = self.store.get_doc(FACTS, latest.event_id)
            if snapshot is None:
                break
            log.info(
                "a newer event for this person was claimed meanwhile: reconciling from it",
                person=person.email,
                watermark=latest.event_id,
            )
            mark = latest
            newer = reconciling.person_from_dict(snapshot)
            # Presence records may be stale here: a concurrent delivery wrote them from what it
            # saw before this one's writes landed. Read every space that can change.
            report = report.merge(
                self.reconcile_person(newer, run_id=mark.event_id, log=log, use_presence=False)
            )
        return report

    def _groups(self, email: Email) -> frozenset[Email]:
        groups_of = getattr(self.directory, "groups_of", None)
        if groups_of is None:
            return frozenset()
        try:
            return frozenset(groups_of(email))
        except errors.PersonNotFound:
            return frozenset()

    def _many(self, emails: Iterable[Email], *, run_id: str, log: Logger) -> Report:
        """One plan for everyone the event names, so its limits count the whole event."""
        people = [person for address in emails for person in self._subjects(address)]
        plans = [self.plan_person(person, log=log) for person in people]
        merged = planning.Plan(
            tuple(sorted((op for p, _ in plans for op in p.operations), key=_phase)),
            tuple(skip for p, _ in plans for skip in p.skipped),
        )
        decisions = [d for _, live in plans for d in live]
        return self.execute(merged, run_id=run_id, log=log, decisions=decisions)

    def _subjects(self, address: Email) -> list[Person]:
        """The person at ``address``; or, when it is a group (an Admin audit log names nested
        groups and users alike), everyone in it; or, when neither exists, a deleted person."""
        try:
            return [self.directory.get_person(address)]
        except errors.PersonNotFound:
            pass
        try:
            members = self.directory.group_members(address)
        except errors.PersonNotFound:
            return [Person(email=address, employment_status=EmploymentStatus.TERMINATED)]
        return [self._facts(member) for member in sorted(members)]

    def _facts(self, address: Email) -> Person:
        try:
            return self.directory.get_person(address)
        except errors.PersonNotFound:
            # Deleted from the Directory: they hold no role anywhere.
            return Person(email=address, employment_status=EmploymentStatus.TERMINATED)

    def _chat_event(self, event: ev.ChatMembershipEvent, log: Logger) -> Report:
        return drifting.handle(self, event, log)

    # -- one person ---------------------------------------------------------------------------
    def reconcile_person(
        self,
        person: Person,
        *,
        run_id: str,
        log: Logger,
        spaces: Sequence[SpaceName] | None = None,
        use_presence: bool = True,
    ) -> Report:
        the_plan, live = self.plan_person(person, log=log, spaces=spaces, use_presence=use_presence)
        return self.execute(the_plan, run_id=run_id, log=log, decisions=live)

    def plan_person(
        self,
        person: Person,
        *,
        log: Logger,
        spaces: Sequence[SpaceName] | None = None,
        use_presence: bool = True,
    ) -> tuple[planning.Plan, list[Decision]]:
        decisions = [
            d for d in evaluate(self.ruleset, person) if spaces is None or d.space in spaces
        ]
        current: dict[SpaceName, planning.SpaceState] = {}
        live: list[Decision] = []
        known = presence.load(self.store, person.email) if use_presence else None
        seen: dict[SpaceName, bool] = {}
        for decision in decisions:
            managed = self.ruleset.space(decision.space)
            if managed is None or decision.protected:
                live.append(decision)
                continue
            if decision.role is None and managed.mode == "additive" and person.active:
                continue  # nothing to add, and additive spaces never remove
            if decision.role is None and known is not None and not known.may_be_in(decision.space):
                continue  # checked and not found there: nothing to remove (see app.presence)
            if not self._is_named_space(decision.space, log):
                continue
            membership = self.chat.get_member(decision.space, person.email)
            seen[decision.space] = membership is not None
            owners: frozenset[Email] = frozenset()
            if membership is not None and membership.role is Role.OWNER:
                owners = frozenset(
                    person.email if m.user == membership.user else m.email or Email(m.user)
                    for m in self.chat.list_members(decision.space, owners_only=True)
                )
            current[decision.space] = planning.SpaceState(
                space=decision.space,
                members={person.email: membership} if membership is not None else {},
                owners=owners,
                complete=False,
            )
            live.append(decision)
        if seen:
            presence.save(self.store, person.email, (known or presence.Presence()).observe(seen))
        return planning.plan(self.ruleset, live, current), live

    def _is_named_space(self, space: SpaceName, log: Logger) -> bool:
        kind = self._space_types.get(space)
        if kind is None:
            kind = self.chat.get_space(space).space_type
            self._space_types[space] = kind
        if kind is not SpaceType.SPACE:
            log.error(
                "managed space is not a named space: chatsync leaves DMs and group chats "
                "alone; remove it from the rules file",
                space=space,
                space_type=kind.value,
            )
            return False
        return True

    # -- every managed space --------------------------------------------------------------------
    def reconcile_all(
        self, *, run_id: str, log: Logger, spaces: Sequence[SpaceName] | None = None
    ) -> Report:
        """Every managed space (or ``spaces``) against the Directory; due deferred events too."""
        return reconciling.run(self, run_id=run_id, log=log, spaces=spaces)[1]

    def plan_all(
        self, *, log: Logger, spaces: Sequence[SpaceName] | None = None
    ) -> tuple[planning.Plan, list[Decision]]:
        """The full reconcile's plan, nothing applied (see reconciling.survey)."""
        result = reconciling.survey(self, log=log, spaces=spaces)
        return result.plan, list(result.decisions)

    # -- apply and record -----------------------------------------------------------------------
    def execute(
        self,
        the_plan: planning.Plan,
        *,
        run_id: str,
        log: Logger,
        decisions: Sequence[Decision] = (),
        current: Mapping[SpaceName, planning.SpaceState] | None = None,
        scope: safety.Scope | None = "event",
        track_presence: bool = True,
    ) -> Report:
        """Guard the plan, hold it if it exceeds a ``safety:`` limit for ``scope`` (None: an
        approved plan, limits off), else apply it and record the audit trail."""
        the_plan, held = approving.gate(
            self, the_plan, current, scope=scope, run_id=run_id, log=log
        )
        if held is not None:
            return held
        recorder = recording.Recorder(log, run_id=run_id, clock=self.clock)
        recorder.skipped(the_plan.skipped)
        executor = Executor(
            self.chat,
            policy=self.policy,
            sleep=self.sleep,
            dry_run=self.dry_run,
            on_result=recorder,
            workers=self.workers,
        )
        report = executor.apply(the_plan)
        recorder.flush(self.store)
        if track_presence:
            presence.track(self.store, report)
        if not the_plan.operations and not the_plan.skipped:
            log.info(
                "no change needed", run_id=run_id, spaces_checked=len({d.space for d in decisions})
            )
        return report

    def approve(self, plan_id: str, *, log: Logger, approved_by: str = "") -> Report:
        """Release a held plan (see approving.approve)."""
        return approving.approve(self, plan_id, log=log, approved_by=approved_by)


FACTS = "person_facts"
"""Store kind: the snapshot of each applied HR event, by event id."""


def _phase(op: planning.Operation) -> tuple[str, int, int]:
    """Per space: adds, promotions (highest first), demotions, removals (as the planner does)."""
    if isinstance(op, planning.AddMember):
        return op.space, 0, 0
    if isinstance(op, planning.ChangeRole):
        return (op.space, 1, -op.new.rank) if op.promotion else (op.space, 2, 0)
    return op.space, 3, 0


def _with_groups(person: Person, groups: frozenset[Email]) -> Person:
    return replace(person, groups=groups)


def new_run_id(prefix: str = "run") -> str:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return f"{prefix}-{stamp}-{uuid.uuid4().hex[:6]}"
