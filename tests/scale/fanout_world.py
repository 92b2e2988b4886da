"""A small world for fan-out tests: an in-memory Chat with a clock that writes advance, a
Directory, and a work queue whose deliveries the test makes (once, twice, out of order).

Each delivery goes the way ``on_work_item`` takes it: the message encoded as on the work topic,
decoded by ``domain.events``, handed to ``Pipeline.handle``.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatsync.adapters.store import MemoryStore
from chatsync.app.logs import Logger
from chatsync.app.pipeline import Pipeline
from chatsync.app.ports import SpaceInfo
from chatsync.app.retrying import RetryPolicy
from chatsync.domain import errors, events, work_codec
from chatsync.domain.model import Email, Membership, Person, Role, SpaceName, SpaceType
from chatsync.domain.rules import load_rules_text
from chatsync.domain.work_items import WorkMessage

DOMAIN = "example.com"


def mail(name: str) -> Email:
    return Email(f"{name}@{DOMAIN}")


def rules(spaces: int) -> str:
    """``spaces`` authoritative spaces; ``dept: D<n>`` people belong in ``spaces/S<n>``."""
    lines = ["version: 1", "spaces:"]
    lines += [f"  - {{id: s{n}, name: spaces/S{n}, mode: authoritative}}" for n in range(spaces)]
    lines += ["rules:", f"  - {{id: ops, spaces: '*', role: owner, when: {{email: ops@{DOMAIN}}}}}"]
    lines += [
        f"  - {{id: d{n}, spaces: [s{n}], role: member, when: {{department: D{n}}}}}"
        for n in range(spaces)
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeChat:
    """Rosters by space and email; every landed write is counted and moves the clock on."""

    clock: Clock
    write_s: float = 1.0
    rosters: dict[SpaceName, dict[Email, Role]] = field(default_factory=dict)
    writes: Counter[tuple[str, SpaceName, Email]] = field(default_factory=Counter)
    failing: Callable[[str, SpaceName, Email], errors.SyncError | None] = lambda *_: None
    """Asked before each write: an error to raise instead of writing (None: write)."""

    def _write(self, verb: str, space: SpaceName, email: Email) -> None:
        self.clock.now += self.write_s
        error = self.failing(verb, space, email)
        if error is not None:
            raise error
        self.writes[(verb, space, email)] += 1

    def _member(self, space: SpaceName, email: Email, role: Role) -> Membership:
        return Membership(space, email, role, f"{space}/members/{email}")

    def get_space(self, space: SpaceName) -> SpaceInfo:
        return SpaceInfo(space, SpaceType.SPACE)

    def get_member(self, space: SpaceName, email: Email) -> Membership | None:
        role = self.rosters.get(space, {}).get(email)
        return None if role is None else self._member(space, email, role)

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> Sequence[Membership]:
        return [
            self._member(space, email, role)
            for email, role in sorted(self.rosters.get(space, {}).items())
            if not owners_only or role is Role.OWNER
        ]

    def add_member(self, space: SpaceName, email: Email) -> Membership:
        self._write("add", space, email)
        self.rosters.setdefault(space, {}).setdefault(email, Role.MEMBER)
        return self._member(space, email, self.rosters[space][email])

    def set_role(self, membership: Membership, role: Role) -> Membership:
        assert membership.email is not None
        self._write("role", membership.space, membership.email)
        self.rosters[membership.space][membership.email] = role
        return self._member(membership.space, membership.email, role)

    def remove_member(self, membership: Membership) -> None:
        assert membership.email is not None
        self._write("remove", membership.space, membership.email)
        self.rosters.get(membership.space, {}).pop(membership.email, None)


@dataclass
class FakeDirectory:
    people: dict[Email, Person] = field(default_factory=dict)
    groups: dict[Email, frozenset[Email]] = field(default_factory=dict)

    def get_person(self, key: str, *, groups: bool = True) -> Person:
        found = self.people.get(Email(key))
        if found is None:
            raise errors.PersonNotFound(f"{key}: not in the Directory")
        return found

    def groups_of(self, member: str) -> frozenset[Email]:
        return frozenset(g for g, members in self.groups.items() if member in members)

    def group_members(self, group: Email) -> frozenset[Email]:
        if group not in self.groups:
            raise errors.PersonNotFound(f"group {group}: not in the Directory")
        return self.groups[group]

    def list_people(self, groups: Any = None) -> list[Person]:
        return list(self.people.values())


@dataclass
class ManualQueue:
    """Keeps what is published; the test delivers it."""

    messages: list[WorkMessage] = field(default_factory=list)

    def publish(self, messages: Sequence[WorkMessage]) -> None:
        self.messages.extend(messages)

    def take(self) -> list[WorkMessage]:
        taken, self.messages = self.messages, []
        return taken


@dataclass
class World:
    clock: Clock
    chat: FakeChat
    directory: FakeDirectory
    queue: ManualQueue
    pipeline: Pipeline
    log: io.StringIO
    deliveries: int = 0

    def deliver(self, message: WorkMessage) -> Any:
        """One delivery as on_work_item gets it; returns the report or the error raised."""
        self.deliveries += 1
        wire = {
            "data": base64.b64encode(work_codec.encode(message)).decode("ascii"),
            "messageId": f"m-{self.deliveries}",
        }
        (event,) = events.decode_message(wire)
        try:
            return self.pipeline.handle(event)
        except errors.SyncError as exc:
            return exc

    def drain(self, *, twice: bool = False, limit: int = 1000) -> int:
        """Deliver until nothing is queued (``twice``: every message delivered two times, as
        Pub/Sub may); a delivery that raised is delivered again. Returns the deliveries made."""
        made = 0
        pending = self.queue.take()
        while pending and made < limit:
            message = pending.pop(0)
            for _ in range(2 if twice else 1):
                made += 1
                if isinstance(self.deliver(message), errors.RetryableError):
                    pending.append(message)
                    break
            pending.extend(self.queue.take())
        return made

    def lines(self, message: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self.log.getvalue().splitlines() if line]
        return [r for r in found if message is None or r.get("message") == message]


def world(
    *,
    spaces: int = 4,
    people: int = 40,
    budget: float = 270.0,
    item_size: int = 100,
    write_s: float = 1.0,
) -> World:
    """``people`` people spread over ``spaces`` departments, every roster empty but for ops@."""
    clock = Clock()
    chat = FakeChat(clock, write_s=write_s)
    ruleset = load_rules_text(rules(spaces))
    ops = mail("ops")
    for space in ruleset.spaces:
        chat.rosters[space.name] = {ops: Role.OWNER}
    directory = FakeDirectory()
    directory.people[ops] = Person(email=ops)
    for n in range(people):
        who = mail(f"p{n:03d}")
        directory.people[who] = Person(email=who, department=f"D{n % spaces}")
    stream = io.StringIO()
    queue = ManualQueue()
    pipeline = Pipeline(
        ruleset=ruleset,
        chat=chat,
        directory=directory,
        store=MemoryStore(),
        log=Logger(stream=stream, level="INFO"),
        policy=RetryPolicy(max_attempts=1),
        clock=clock,
        sleep=clock.sleep,
        workers=1,
        work=queue,
        invocation_budget_s=budget,
        work_item_size=item_size,
    )
    return World(clock, chat, directory, queue, pipeline, stream)


def tick(event_id: str = "tick-1") -> events.Event:
    (event,) = events.decode_message({"data": "", "messageId": event_id})
    return event


def expected(w: World) -> dict[SpaceName, dict[Email, Role]]:
    """The rosters the rules ask for, from the Directory as it is now."""
    out: dict[SpaceName, dict[Email, Role]] = {}
    for space in w.pipeline.ruleset.spaces:
        out[space.name] = {mail("ops"): Role.OWNER}
    for person in w.directory.people.values():
        if person.department and person.active:
            out[SpaceName(f"spaces/S{person.department[1:]}")][person.email] = Role.MEMBER
    return out
