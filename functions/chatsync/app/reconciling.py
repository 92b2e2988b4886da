"""The full reconcile: every managed space against the Directory and the rules, in one pass.

Called by ``Pipeline.plan_all`` / ``Pipeline.reconcile_all`` (the scheduler's tick and
``chatsync reconcile``). Reads, in this order and nothing more:

* the Directory once: ``users.list`` (500 a page), ``groups.list`` and one
  ``members.list?includeDerivedMembership=true`` per group, so nested groups count;
* per managed space: ``spaces.get`` (once per instance, cached: DMs and group chats are refused)
  and ``spaces.members.list`` paged at 1000 with ``member.type = "HUMAN"``.

Chat answers app callers with ``users/{id}``, not emails; the Directory's ids map them back.
A member the Directory does not know (deleted, external) keeps its ``users/{id}`` as a key and
is removed from authoritative spaces like anyone no rule selects.

Deferred (future-dated) HR events that ``Pipeline._person_event`` recorded are applied here once
due: their snapshot replaces the Directory's facts for that person in this run.

``measure`` runs one reconcile and counts what it cost, for ``chatsync bench``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from chatsync.adapters.store import StateStore, Watermark
from chatsync.app import presence
from chatsync.app.chat_port import ChatMembers, SpaceInfo
from chatsync.app.executing import Report
from chatsync.app.logs import Logger
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
from chatsync.domain.rules import evaluate

if TYPE_CHECKING:
    from chatsync.app.pipeline import Pipeline

DEFERRED = "deferred"
"""Store kind of future-dated person events (written by the pipeline, applied here)."""


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


@dataclass(frozen=True, slots=True)
class DueEvent:
    key: str
    person: Person
    mark: Watermark


def survey(
    pipeline: Pipeline,
    *,
    log: Logger,
    spaces: Sequence[SpaceName] | None = None,
    due: Sequence[DueEvent] = (),
) -> Survey:
    """Read the Directory and every managed space; decide and plan (nothing is written)."""
    ruleset = pipeline.ruleset
    people = hr_precedence(list(pipeline.directory.list_people()), pipeline.store)
    ids = {f"users/{p.google_user_id}": p.email for p in people if p.google_user_id}
    if due:
        snapshots = {d.person.email: d.person for d in due}
        groups = {p.email: p.groups for p in people}
        people = [p for p in people if p.email not in snapshots]
        people += [replace(s, groups=groups.get(s.email, s.groups)) for s in snapshots.values()]
    current: dict[SpaceName, planning.SpaceState] = {}
    for managed in ruleset.spaces:
        if spaces is not None and managed.name not in spaces:
            continue
        if not pipeline._is_named_space(managed.name, log):
            continue
        members = pipeline.chat.list_members(managed.name)
        current[managed.name] = space_state(managed.name, members, ids)
    decisions = []
    for person in people:
        for decision in evaluate(ruleset, person):
            state = current.get(decision.space)
            if state is None:
                continue
            if decision.role is not None or decision.email in state.members:
                decisions.append(decision)
    the_plan = planning.plan(ruleset, decisions, current)
    log.info(
        "full reconcile planned",
        people=len(people),
        spaces_checked=len(current),
        deferred_applied=len(due),
        **the_plan.summary(),
    )
    return Survey(tuple(people), tuple(decisions), current, the_plan, tuple(d.key for d in due))


def run(
    pipeline: Pipeline, *, run_id: str, log: Logger, spaces: Sequence[SpaceName] | None = None
) -> tuple[Survey, Report]:
    """Survey, apply (a dry run if the pipeline is one) and settle due deferred events."""
    due = due_events(pipeline.store, pipeline.clock()) if spaces is None else []
    result = survey(pipeline, log=log, spaces=spaces, due=due)
    report = pipeline.execute(
        result.plan,
        run_id=run_id,
        log=log,
        decisions=result.decisions,
        current=result.current,
        scope="run",
        track_presence=False,
    )
    if spaces is None:  # rosters read are facts, dry run or not; applied changes move them
        applied = [r.op for r in report.results if r.outcome.value in ("applied", "already_done")]
        seen = presence.from_rosters([p.email for p in result.people], result.current, applied)
        pipeline.store.put_docs(presence.KIND, {e: p.to_dict() for e, p in seen.items()})
    if due and not pipeline.dry_run:
        failed = {r.email for r in (*report.retryable_failures, *report.permanent_failures)}
        settle(pipeline.store, due, failed=failed, now=pipeline.clock())
    return result, report


HR_STATUS = "hr_status"
"""Store kind: the employment status of each person's latest applied HR event."""


def hr_precedence(people: Sequence[Person], store: StateStore) -> list[Person]:
    """An HR termination (or a pre-hire) outranks a Directory account that is still active:
    IT often suspends the account days later, and the nightly reconcile must not re-add the
    leaver meanwhile. A suspended account stays out whatever HR says."""
    statuses = {key: doc.get("status") for key, doc in store.list_docs(HR_STATUS)}
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
        key = member.email or ids.get(member.user) or Email(member.user)
        roster[key] = replace(member, email=key) if member.email is None else member
    owners = frozenset(e for e, m in roster.items() if m.role is Role.OWNER)
    return planning.SpaceState(space=space, members=roster, owners=owners, complete=True)


# -- deferred (future-dated) person events --------------------------------------------------


def person_to_dict(person: Person) -> dict[str, Any]:
    """A JSON-ready snapshot (for the store)."""
    data: dict[str, Any] = {}
    for f in fields(Person):
        value = getattr(person, f.name)
        if isinstance(value, EmploymentStatus):
            value = value.value
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        data[f.name] = value
    return data


def person_from_dict(data: Mapping[str, Any]) -> Person:
    known = {f.name for f in fields(Person)}
    values = {k: v for k, v in data.items() if k in known}
    values["email"] = Email(str(values["email"]))
    values["employment_status"] = EmploymentStatus(values.get("employment_status", "active"))
    values["groups"] = frozenset(Email(g) for g in values.get("groups") or ())
    values["custom"] = dict(values.get("custom") or {})
    return Person(**values)


def due_events(store: StateStore, now: float) -> list[DueEvent]:
    """Deferred events whose time has come and that carry a snapshot, oldest due first.

    Several due events for one person: the newest by watermark wins (the others are older facts).
    """
    newest: dict[Email, DueEvent] = {}
    for key, doc in sorted(store.list_docs(DEFERRED), key=lambda kv: kv[1].get("due", 0.0)):
        if doc.get("applied_at") is not None or float(doc.get("due", 0.0)) > now:
            continue
        snapshot = doc.get("person")
        if not isinstance(snapshot, Mapping):
            continue
        person = person_from_dict(snapshot)
        mark = Watermark(float(doc.get("occurred_at", 0.0)), doc.get("sequence"), key)
        seen = newest.get(person.email)
        if seen is None or mark.is_newer_than(seen.mark):
            newest[person.email] = DueEvent(key, person, mark)
    return sorted(newest.values(), key=lambda d: d.key)


def settle(store: StateStore, due: Sequence[DueEvent], *, failed: set[Email], now: float) -> None:
    """Mark applied deferred events done (and advance watermarks); failed people wait a run."""
    for event in due:
        if event.person.email in failed:
            continue
        current = store.get_watermark(event.person.email)
        if current is None or event.mark.is_newer_than(current):
            store.advance_watermark(event.person.email, event.mark)
        doc = store.get_doc(DEFERRED, event.key) or {}
        store.put_doc(DEFERRED, event.key, {**doc, "applied_at": now})


# -- what it costs ----------------------------------------------------------------------------


@dataclass
class CountingChat:
    """A ``ChatMembers`` that counts calls by method (list pages counted by roster size)."""

    inner: ChatMembers
    calls: Counter[str] = field(default_factory=Counter)

    def get_space(self, space: SpaceName) -> SpaceInfo:
        self.calls["spaces.get"] += 1
        return self.inner.get_space(space)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        self.calls["spaces.members.get"] += 1
        return self.inner.get_member(space, email)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        members = self.inner.list_members(space, owners_only=owners_only)
        self.calls["spaces.members.list"] += 1 + len(members) // 1000
        return members

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        self.calls["spaces.members.create"] += 1
        return self.inner.add_member(space, email)

    def set_role(self, membership: Membership, role: Role) -> Membership:
        self.calls["spaces.members.patch"] += 1
        return self.inner.set_role(membership, role)

    def remove_member(self, membership: Membership) -> None:
        self.calls["spaces.members.delete"] += 1
        self.inner.remove_member(membership)


READS_PER_MINUTE = 3000
WRITES_PER_MINUTE = 300


def measure(
    pipeline: Pipeline,
    *,
    apply: bool = False,
    log: Logger | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Run one full reconcile (a dry run unless ``apply``) and report its calls and time.

    Keys: ``people``, ``spaces``, ``directory_calls``, ``chat_reads`` (members get/list pages),
    ``space_reads`` (spaces.get), ``chat_writes``, ``calls`` (by method), ``seconds``,
    ``plan`` (counts), ``read_quota_minutes`` (membership reads / 3000: the least wall time the
    read quota allows) and ``busiest_space_reads`` (list pages of the largest roster; 15/s cap).
    """
    quiet = log or Logger(level="ERROR")
    counting = CountingChat(pipeline.chat)
    directory_before = int(getattr(pipeline.directory, "calls", 0))
    dry_run = pipeline.dry_run
    original = pipeline.chat
    pipeline.chat = counting
    pipeline.dry_run = dry_run or not apply
    start = clock()
    try:
        result = survey(pipeline, log=quiet)
        if apply:
            pipeline.execute(
                result.plan,
                run_id="measure",
                log=quiet,
                decisions=result.decisions,
                current=result.current,
                scope=None,
            )
    finally:
        pipeline.chat = original
        pipeline.dry_run = dry_run
    seconds = clock() - start
    reads = counting.calls["spaces.members.list"] + counting.calls["spaces.members.get"]
    writes = sum(counting.calls[f"spaces.members.{m}"] for m in ("create", "patch", "delete"))
    biggest = max((len(s.members) for s in result.current.values()), default=0)
    return {
        "people": len(result.people),
        "spaces": len(result.current),
        "directory_calls": int(getattr(pipeline.directory, "calls", 0)) - directory_before,
        "chat_reads": reads,
        "space_reads": counting.calls["spaces.get"],
        "chat_writes": writes,
        "calls": dict(sorted(counting.calls.items())),
        "seconds": round(seconds, 3),
        "plan": result.plan.summary(),
        "read_quota_minutes": round(reads / READS_PER_MINUTE, 3),
        "write_quota_minutes": round(writes / WRITES_PER_MINUTE, 3),
        "busiest_space_reads": 1 + biggest // 1000,
    }
