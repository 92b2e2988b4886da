"""A generated org, a reorg of it, and the rules' oracle.

Each of ``groups`` groups has four authoritative spaces: its department (members; people
managers are managers), its leads (the department's people managers), its site (location) and its
cost centre. ``ops@`` owns every space and never moves, so no plan is ever held back by the
last-owner guard. The reorg moves people between departments, sites and cost centres, promotes
some to people manager, terminates some and hires some: a few writes per changed person.

The oracle evaluates the rules on the final facts against the starting roster: every write a
correct engine must make (a create, plus a patch when the role is above member; a patch for a
role change; a delete), and nothing else.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from chatsync.domain import model
from chatsync.domain.rules import Ruleset, evaluate, load_rules_text

DOMAIN = "example.com"
OPS = model.Email(f"ops@{DOMAIN}")
FAMILIES = ("dept", "leads", "site", "cc")

Roster = dict[model.SpaceName, dict[model.Email, model.Role]]


@dataclass(frozen=True, slots=True)
class Org:
    rules_text: str
    ruleset: Ruleset
    before: tuple[model.Person, ...]
    """Everyone's facts before the reorg (the starting roster follows from them)."""
    after: tuple[model.Person, ...]
    """Everyone's facts after it (what the Directory and HR events say)."""
    changed: tuple[model.Email, ...]
    """People whose facts changed, in a shuffled (event) order."""

    @property
    def spaces(self) -> tuple[model.SpaceName, ...]:
        return tuple(s.name for s in self.ruleset.spaces)


def space_name(family: str, group: int) -> model.SpaceName:
    return model.SpaceName(f"spaces/BENCH{family}{group:03d}")


def rules_text(groups: int) -> str:
    lines = ["version: 1", "spaces:"]
    for g in range(groups):
        for family in FAMILIES:
            lines.append(
                f"  - {{id: {family}-{g:03d}, name: {space_name(family, g)}, mode: authoritative}}"
            )
    lines += ["rules:", "  - {id: ops-owns-all, spaces: '*', role: owner, when: {email: " + OPS]
    lines[-1] += "}}"
    for g in range(groups):
        dept, tag = f"D{g:03d}", f"{g:03d}"
        lines += [
            f"  - {{id: dept-{tag}, spaces: [dept-{tag}], role: member, "
            f"when: {{department: {dept}}}}}",
            f"  - {{id: dept-{tag}-managers, spaces: [dept-{tag}], role: manager, "
            f"when: {{department: {dept}, is_people_manager: true}}}}",
            f"  - {{id: leads-{tag}, spaces: [leads-{tag}], role: member, "
            f"when: {{department: {dept}, is_people_manager: true}}}}",
            f"  - {{id: site-{tag}, spaces: [site-{tag}], role: member, "
            f"when: {{location: L{tag}}}}}",
            f"  - {{id: cc-{tag}, spaces: [cc-{tag}], role: member, "
            f"when: {{cost_center: C{tag}}}}}",
        ]
    return "\n".join(lines) + "\n"


def generate(people: int, groups: int, *, seed: int = 8) -> Org:
    """``people`` people in ``groups`` groups (4 spaces each), and a reorg touching most of them."""
    rng = random.Random(seed)
    text = rules_text(groups)

    def pick() -> str:
        return f"{rng.randrange(groups):03d}"

    def person(i: int) -> model.Person:
        return model.Person(
            email=model.Email(f"u{i:05d}@{DOMAIN}"),
            title="Engineer",
            department=f"D{pick()}",
            location=f"L{pick()}",
            cost_center=f"C{pick()}",
            is_people_manager=rng.random() < 0.1,
        )

    hires = max(1, people // 30)
    staff = [person(i) for i in range(people)]
    ops = model.Person(email=OPS, title="Operations", department="OPS")
    before = [ops, *staff[: people - hires]]
    after = [ops]
    for p in staff[: people - hires]:
        roll = rng.random()
        moved = p
        if roll < 0.35:
            moved = replace(moved, department=f"D{pick()}")
        if 0.2 < roll < 0.45:
            moved = replace(moved, location=f"L{pick()}")
        if 0.4 < roll < 0.55:
            moved = replace(moved, cost_center=f"C{pick()}")
        if 0.55 < roll < 0.6:
            moved = replace(moved, is_people_manager=not moved.is_people_manager)
        if 0.6 < roll < 0.63:
            moved = replace(moved, employment_status=model.EmploymentStatus.TERMINATED)
        after.append(moved)
    after += staff[people - hires :]
    old = {p.email: p for p in before}
    changed = [p.email for p in after if old.get(p.email) != p]
    rng.shuffle(changed)
    return Org(
        text,
        load_rules_text(text, file="<bench rules>"),
        tuple(before),
        tuple(after),
        tuple(changed),
    )


def roster(ruleset: Ruleset, people: Iterable[model.Person]) -> Roster:
    """The rules' answer: who holds which role in every managed space."""
    result: Roster = {s.name: {} for s in ruleset.spaces}
    for p in people:
        for decision in evaluate(ruleset, p):
            if decision.role is not None:
                result[decision.space][p.email] = decision.role
    return result


def writes_between(start: Roster, end: Roster) -> int:
    """Membership writes from ``start`` to ``end``: create (+ patch above member), patch, delete."""
    total = 0
    for space, wanted in end.items():
        now = start.get(space, {})
        for email in now.keys() | wanted.keys():
            old, new = now.get(email), wanted.get(email)
            if old == new:
                continue
            if old is None:
                total += 1 if new is model.Role.MEMBER else 2
            else:
                total += 1
    return total


def seed(org: Org) -> dict[str, Any]:
    """The emulator seed: the Directory after the reorg, the spaces as they were before it."""
    start = roster(org.ruleset, org.before)
    users = []
    for p in org.after:
        user: dict[str, Any] = {
            "email": p.email,
            "title": p.title,
            "department": p.department,
            "location": p.location,
            "cost_center": p.cost_center,
            "suspended": not p.active,
            "custom": {"HR": {"is_people_manager": p.is_people_manager}},
        }
        users.append(user)
    spaces = []
    for name, members in start.items():
        spaces.append(
            {
                "name": name,
                "display_name": name.removeprefix("spaces/"),
                "type": "SPACE",
                "created_by": "app",
                "members": [{"user": "app"}]
                + [{"user": e, "role": r.value} for e, r in sorted(members.items())],
            }
        )
    return {"domains": [DOMAIN], "directory": {"users": users}, "spaces": spaces}


def final_roster(state: Mapping[str, Any], managed: Sequence[str]) -> Roster:
    """Human memberships of the managed spaces, from the emulator's ``state()``."""
    roles = {"ROLE_MANAGER": model.Role.OWNER, "ROLE_ASSISTANT_MANAGER": model.Role.MANAGER}
    result: Roster = {model.SpaceName(s): {} for s in managed}
    for space in state["spaces"]:
        if space["name"] not in result:
            continue
        for m in space["memberships"]:
            if m["kind"] == "HUMAN" and m.get("email"):
                role = roles.get(m["role"], model.Role.MEMBER)
                result[space["name"]][model.Email(m["email"].lower())] = role
    return result


def lost(expected: Roster, actual: Roster, people: Iterable[model.Email] | None = None) -> int:
    """(space, person) pairs whose final role is not the rules' answer (for ``people`` only)."""
    only = set(people) if people is not None else None
    count = 0
    for space, wanted in expected.items():
        have = actual.get(space, {})
        for email in wanted.keys() | have.keys():
            if only is not None and email not in only:
                continue
            count += wanted.get(email) != have.get(email)
    return count


def hr_message(person: model.Person, *, event_id: str, sequence: int) -> dict[str, Any]:
    """A ``dirsync.hr.v1`` ``person.updated`` Pub/Sub message with the full snapshot."""
    status = "terminated" if not person.active else "active"
    data = {
        "schema": "dirsync.hr.v1",
        "event_id": event_id,
        "event_type": "person.terminated" if not person.active else "person.updated",
        "occurred_at": "2026-11-02T09:00:00Z",
        "effective_at": "2026-11-02",
        "source": {"system": "bench"},
        "subject": {"person_id": f"hr-{person.email}", "work_email": person.email},
        "sequence": sequence,
        "person": {
            "employment_status": status,
            "title": person.title,
            "is_people_manager": person.is_people_manager,
            "department": person.department,
            "location": person.location,
            "cost_center": person.cost_center,
        },
    }
    body = json.dumps(data).encode()
    return {
        "data": base64.b64encode(body).decode(),
        "attributes": {"schema": "dirsync.hr.v1", "event_type": data["event_type"]},
        "messageId": event_id,
    }
