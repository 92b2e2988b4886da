"""A generated HR history for the demo org, and the oracle that says where it must end.

Every person except the anchors (the owner the seed gives each managed space) gets a chain of
HR snapshots with increasing ``sequence``. The stream is then duplicated (Pub/Sub redeliveries
with the same message id, publisher retries with a new one) and reordered within a window.
The oracle evaluates each person's last snapshot merged with their Directory record, as
``domain.facts`` documents it (the Directory owns the account state, org unit and groups).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from chaos import harness
from chatsync.domain import events, model
from chatsync.domain.facts import DirectoryRead, HrSnapshot, merge
from chatsync.domain.rules import Ruleset, evaluate

ANCHORS = frozenset(
    {
        "vp.eng@example.com",
        "raj.mehta@example.com",
        "li.wei@example.com",
        "head.people@example.com",
        "vp.sales@example.com",
        "comms@example.com",
    }
)


def _profile(
    department: str, title: str, ou: str, level: str = "IC2", manager: bool = False, **kw: str
) -> dict[str, Any]:
    return {"department": department, "title": title, "org_unit_path": ou, "job_level": level,
            "is_people_manager": manager, **kw}  # fmt: skip


ENG, DATA = "/Engineering/Platform", "/Engineering/Data"
PROFILES: tuple[dict[str, Any], ...] = (
    _profile("Platform", "Software Engineer", ENG, "IC3"),
    _profile("Platform", "Engineering Manager", ENG, "M1", True),
    _profile("Data", "Data Engineer", DATA),
    _profile("Data", "Engineering Manager", DATA, "M1", True),
    _profile("Sales", "Account Executive", "/Sales"),
    _profile("Sales", "Sales Manager", "/Sales", "M1", True),
    _profile("People", "Recruiter", "/People"),
    _profile("Finance", "Controller", "/Finance", "M2", True),
    _profile("Platform", "Software Engineer", ENG, status="leave"),
    _profile("Sales", "Account Executive", "/Sales", status="terminated"),
    _profile("Data", "Data Engineer", DATA, status="terminated"),
    _profile("Platform", "Software Engineer", ENG, status="pre_hire"),
)


@dataclass(frozen=True)
class Generated:
    messages: list[dict[str, Any]]
    """In delivery order, duplicates included."""
    final: dict[str, dict[str, Any]]
    """Each person's last snapshot (highest sequence): the profile the oracle evaluates."""
    unique: int
    duplicates: int
    reordered: int


def people(emulator: Any) -> list[str]:
    return sorted(u["email"] for u in emulator.state()["directory"]["users"])


def generate(emulator: Any, *, events_wanted: int, seed: int, window: int = 12) -> Generated:
    rng = random.Random(seed)
    everyone = [p for p in people(emulator) if p not in ANCHORS]
    chains: list[tuple[str, int, dict[str, Any]]] = []
    final: dict[str, dict[str, Any]] = {}
    sequence = dict.fromkeys(everyone, 0)
    for i in range(events_wanted):
        email = rng.choice(everyone)
        sequence[email] += 1
        profile = dict(rng.choice(PROFILES))
        chains.append((email, sequence[email], profile))
        final[email] = profile
        del i
    messages = []
    for n, (email, seq, profile) in enumerate(chains):
        status = profile.pop("status", "active")
        messages.append(
            harness.hr_message(
                email=email,
                sequence=seq,
                event_id=f"ev-{email}-{seq}",
                message_id=f"m{n}",
                status=status,
                **profile,
            )
        )
        profile["status"] = status
    # Reorder within a window: each message moves up to `window` places.
    keyed = sorted(
        ((i + rng.uniform(0, window), m) for i, m in enumerate(messages)), key=lambda x: x[0]
    )
    ordered = [m for _, m in keyed]
    reordered = sum(1 for i, m in enumerate(ordered) if m is not messages[i])
    # Duplicates: a redelivery (same message id) or a publisher retry (new message id), later.
    duplicates = 0
    keyed_out: list[tuple[float, dict[str, Any]]] = []
    for i, m in enumerate(ordered):
        keyed_out.append((i, m))
        if rng.random() < 0.15:
            copy = dict(m)
            if rng.random() < 0.5:
                copy["messageId"] = m["messageId"] + "-retry"
            keyed_out.append((i + rng.uniform(1, 200), copy))
            duplicates += 1
    out = [m for _, m in sorted(keyed_out, key=lambda x: x[0])]
    return Generated(out, final, len(messages), duplicates, reordered)


def person_of(email: str, profile: dict[str, Any]) -> model.Person:
    """The HR snapshot of a generated profile."""
    return model.Person(
        email=model.Email(email),
        employment_status=model.EmploymentStatus(profile.get("status", "active")),
        title=profile.get("title"),
        department=profile.get("department"),
        org_unit_path=profile.get("org_unit_path"),
        is_people_manager=bool(profile.get("is_people_manager", False)),
        job_level=profile.get("job_level"),
    )


def directory_people(emulator: Any) -> dict[str, model.Person]:
    """Everyone in the emulated Directory as chatsync reads them (groups included)."""
    from google.oauth2.credentials import Credentials

    from chatsync.adapters.directory import DirectoryClient

    client = DirectoryClient(Credentials(token="app"), endpoint=emulator.url, timeout=10)
    return {person.email: person for person in client.list_people()}


API_ROLE = {r.api: r for r in model.Role}


def check_oracle(
    ruleset: Ruleset,
    before: dict[str, dict[str, str]],
    after: dict[str, dict[str, str]],
    final: dict[str, dict[str, Any]],
    directory: dict[str, model.Person],
) -> list[str]:
    """Every mismatch between the final rosters and the rules applied to everyone's final facts
    (their last HR snapshot merged with their Directory record)."""
    problems: list[str] = []
    modes = {s.name: s.mode for s in ruleset.spaces}
    for space, roster in after.items():
        for email in sorted(set(roster) | set(before[space]) | set(final)):
            now = API_ROLE.get(roster.get(email, ""))
            was = API_ROLE.get(before[space].get(email, ""))
            if email not in final or email in ruleset.protected:
                if now != was:
                    problems.append(f"{space} {email}: untouchable, was {was}, now {now}")
                continue
            snapshot = HrSnapshot(person_of(email, final[email]), "last", 0.0)
            listed = DirectoryRead(directory.get(email), 0.0)
            person = merge(model.Email(email), snapshot, listed, ruleset.facts, now=0.0).person
            (decision,) = [d for d in evaluate(ruleset, person) if d.space == space]
            if modes[space] == "authoritative" or not person.active:
                if now != decision.role:
                    problems.append(f"{space} {email}: rules say {decision.role}, Chat has {now}")
            elif decision.role is not None and (now is None or now < decision.role):
                problems.append(f"{space} {email}: additive, rules say {decision.role}, has {now}")
    return problems


def decode_all(messages: list[dict[str, Any]]) -> list[events.Event]:
    return [harness.decode(m) for m in messages]
