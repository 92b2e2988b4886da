"""A large generated org for the scale benchmark: 100,000 people, 1,025 spaces, in seconds.

Why it is long: the org's people, groups, spaces, rules text, drifted rosters, reorg and the
emulator store are generated together from one ``Shape`` so that they agree; split apart, each
part would need the others' internals.

The org (``generate``), deterministic for a ``Shape`` (its seed included):

* people in departments (``D000``...), each department in a division (``Div00``...), with the
  org unit ``/Company/<division>/<department>/T<team>``; a site (``S000``...) in a region; a job
  level (``IC1``..``IC6``, ``M1``..``M4``; every ``M`` is a people manager) with its title; a few
  Google Groups; 2% on leave, 1.5% suspended or terminated;
* spaces, each with its rules (``rules_text``): ``all`` (everyone, additive) and one per region
  (``location: {in: [...]}``), the all-hands spaces, each over 20,000 members at full size; per
  division (OU prefix; directors manage) and its managers (``unless`` on leave); per department
  (people managers manage) and its leads; per site; per level (``custom.job_level``); per group
  (every tenth additive); ``staff-principal`` (a title ``regex``) and ``leaders`` (an ``any``);
  ``ops@`` owns every space and ``ceo@`` is protected;
* the current Chat rosters (``current``): the rules' answer for these facts, then ``drift``: a
  share of the members missing, some with the wrong role, strays no rule selects. The rosters are
  built from the facts directly (``_wanted``), not by evaluating the rules, so a test can hold the
  generator and the evaluators to each other.

``reorg`` moves departments to another division and promotes a wave of people: new facts, over
10,000 necessary writes at full size. ``measure_plan`` times the pure plan of a full reconcile
(decisions for everyone, then ``planning.plan``) without HTTP. ``emulator_store`` builds the
Workspace emulator's store directly (a seed dict would resolve 900,000 memberships by email).
Memory stays lean by sharing what repeats: fact strings, the custom-attribute mappings, user names.

Why it is long: the org, its rules file, its rosters, the reorg and the emulator store must agree
with each other name for name; kept in one module they are read (and changed) together.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from chatsync.domain import model, planning
from chatsync.domain.rules import Ruleset, evaluate, load_rules_text
from chatsync.domain.rules.index import compile_rules, decide_all

if TYPE_CHECKING:
    from workspace_emulator import store as st

DOMAIN = "example.com"
OPS = model.Email(f"ops@{DOMAIN}")
CEO = model.Email(f"ceo@{DOMAIN}")
LEVELS = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "M1", "M2", "M3", "M4")
LEVEL_WEIGHTS = (14, 22, 22, 14, 8, 4, 8, 5, 2, 1)
TITLES = {
    "IC1": "Associate Engineer",
    "IC2": "Engineer",
    "IC3": "Senior Engineer",
    "IC4": "Staff Engineer",
    "IC5": "Principal Engineer",
    "IC6": "Distinguished Engineer",
    "M1": "Engineering Manager",
    "M2": "Senior Engineering Manager",
    "M3": "Director",
    "M4": "Vice President",
}
DIRECTORS = ("M3", "M4")
LEADER_LEVELS = ("IC5", "IC6")
STAFF_TITLE = "(Staff|Principal) .*"
STAFF_TITLES = frozenset({"Staff Engineer", "Principal Engineer"})
"""The titles ``STAFF_TITLE`` matches among ``TITLES`` (``_wanted`` must not run the regex)."""
SCHEMA = "HR"
"""The Directory custom schema holding job level, people-manager flag, division and status."""

Roster = dict[model.SpaceName, dict[model.Email, model.Role]]


@dataclass(frozen=True, slots=True)
class Shape:
    """How big the org is. ``spaces`` follows from the counts (1,025 by default)."""

    people: int = 100_000
    divisions: int = 12
    departments: int = 250
    sites: int = 60
    regions: int = 3
    groups: int = 425
    drift: float = 0.01
    """Share of memberships out of step: half missing, a quarter with the wrong role, and a
    quarter as many strays again."""
    seed: int = 2026

    @classmethod
    def small(cls, people: int = 1_500, *, drift: float = 0.01, seed: int = 2026) -> Shape:
        """The same org in miniature, for tests: 103 spaces."""
        return cls(people, 4, 20, 9, 3, 30, drift, seed)

    @property
    def spaces(self) -> int:
        return (
            1
            + self.regions
            + 2 * self.divisions
            + 2 * self.departments
            + self.sites
            + len(LEVELS)
            + self.groups
            + 2
        )

    def __post_init__(self) -> None:
        for name in ("people", "divisions", "departments", "sites", "regions", "groups"):
            if getattr(self, name) < 1:
                raise ValueError(f"Shape.{name}: must be at least 1, got {getattr(self, name)}")
        if self.regions > self.sites:
            raise ValueError(f"Shape.regions: {self.regions} regions need as many sites")
        if not 0 <= self.drift <= 1:
            raise ValueError(f"Shape.drift: a share from 0 to 1, got {self.drift}")


@dataclass(frozen=True, slots=True)
class ScaleOrg:
    shape: Shape
    rules_text: str
    ruleset: Ruleset
    people: tuple[model.Person, ...]
    """Everyone's facts now (as the Directory adapter would read them from ``emulator_store``)."""
    current: Mapping[model.SpaceName, planning.SpaceState]
    """The Chat rosters now: complete, keyed by email, the rules' answer plus drift."""

    @property
    def memberships(self) -> int:
        return sum(len(state.members) for state in self.current.values())


@dataclass(frozen=True, slots=True)
class Reorg:
    people: tuple[model.Person, ...]
    """Everyone's facts after the reorg (same order as before)."""
    changed: tuple[model.Email, ...]
    moved_departments: tuple[str, ...]
    promoted: int


# -- names ------------------------------------------------------------------------------------


def _space(kind: str, n: int | str = "") -> model.SpaceName:
    suffix = f"{n:03d}" if isinstance(n, int) else n
    return model.SpaceName(f"spaces/SCALE{kind}{suffix}")


def _division(d: int) -> str:
    return f"Div{d:02d}"


def _group(g: int) -> model.Email:
    return model.Email(f"g{g:03d}@{DOMAIN}")


@dataclass(frozen=True, slots=True)
class _Names:
    """Every name the org uses, built once so people share the strings."""

    divisions: tuple[str, ...]
    departments: tuple[str, ...]
    sites: tuple[str, ...]
    groups: tuple[model.Email, ...]
    region_of_site: tuple[int, ...]

    @classmethod
    def of(cls, shape: Shape) -> _Names:
        return cls(
            tuple(_division(d) for d in range(shape.divisions)),
            tuple(f"D{d:03d}" for d in range(shape.departments)),
            tuple(f"S{s:03d}" for s in range(shape.sites)),
            tuple(_group(g) for g in range(shape.groups)),
            tuple(s % shape.regions for s in range(shape.sites)),
        )


def rules_text(shape: Shape) -> str:
    """The rules file of the org: one flow-style line per space and per rule."""
    names = _Names.of(shape)
    spaces: list[tuple[str, model.SpaceName, str]] = [("all", _space("all"), "additive")]
    spaces += [(f"region-{r}", _space("region", r), "authoritative") for r in range(shape.regions)]
    for d in range(shape.divisions):
        spaces += [
            (f"div-{d:02d}", _space("div", d), "authoritative"),
            (f"div-{d:02d}-managers", _space("divmgr", d), "authoritative"),
        ]
    for d in range(shape.departments):
        spaces += [
            (f"dept-{d:03d}", _space("dept", d), "authoritative"),
            (f"leads-{d:03d}", _space("leads", d), "authoritative"),
        ]
    spaces += [(f"site-{s:03d}", _space("site", s), "authoritative") for s in range(shape.sites)]
    spaces += [(f"level-{lv}", _space("level", lv), "authoritative") for lv in LEVELS]
    spaces += [
        (f"group-{g:03d}", _space("group", g), "additive" if g % 10 == 9 else "authoritative")
        for g in range(shape.groups)
    ]
    spaces += [
        ("staff-principal", _space("staff"), "authoritative"),
        ("leaders", _space("leaders"), "authoritative"),
    ]
    lines = ["version: 1", "spaces:"]
    lines += [f"  - {{id: {h}, name: {n}, mode: {m}}}" for h, n, m in spaces]
    lines += ["protected: [" + CEO + "]", "rules:"]

    def rule(rule_id: str, space: str, role: str, when: str, unless: str = "") -> None:
        tail = f", unless: {{{unless}}}" if unless else ""
        lines.append(
            f"  - {{id: {rule_id}, spaces: [{space}], role: {role}, when: {{{when}}}{tail}}}"
        )

    lines.append(f"  - {{id: ops-owns-all, spaces: '*', role: owner, when: {{email: {OPS}}}}}")
    rule("all-company", "all", "member", "everyone: true")
    for r in range(shape.regions):
        sites = ", ".join(
            s for s, i in zip(names.sites, names.region_of_site, strict=True) if i == r
        )
        rule(f"region-{r}", f"region-{r}", "member", f"location: {{in: [{sites}]}}")
    directors = f"job_level: {{in: [{', '.join(DIRECTORS)}]}}"
    for d, division in enumerate(names.divisions):
        div, unit = f"div-{d:02d}", f"org_unit_path: {{prefix: /Company/{division}}}"
        rule(div, div, "member", unit)
        rule(f"{div}-directors", div, "manager", f"{unit}, {directors}")
        managers = f"division: {division}, is_people_manager: true"
        rule(f"{div}-managers", f"{div}-managers", "member", managers, "employment_status: leave")
    for d, department in enumerate(names.departments):
        rule(f"dept-{d:03d}", f"dept-{d:03d}", "member", f"department: {department}")
        managed = f"department: {department}, is_people_manager: true"
        rule(f"dept-{d:03d}-managers", f"dept-{d:03d}", "manager", managed)
        rule(f"leads-{d:03d}", f"leads-{d:03d}", "member", managed)
    for s, site in enumerate(names.sites):
        rule(f"site-{s:03d}", f"site-{s:03d}", "member", f"location: {site}")
    for level in LEVELS:
        rule(f"level-{level}", f"level-{level}", "member", f"custom.job_level: {level}")
    for g, group in enumerate(names.groups):
        rule(f"group-{g:03d}", f"group-{g:03d}", "member", f"group: {group}")
    rule("staff-principal", "staff-principal", "member", f'title: {{regex: "{STAFF_TITLE}"}}')
    leaders = f"{{custom.job_level: {{in: [{', '.join(LEADER_LEVELS)}]}}}}"
    rule("leaders", "leaders", "member", f"any: [{{is_people_manager: true}}, {leaders}]")
    return "\n".join(lines) + "\n"


# -- people -----------------------------------------------------------------------------------


class _Customs:
    """The custom-attribute mappings, one shared read-only mapping per distinct combination."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, bool, str, str | None], Mapping[str, str]] = {}

    def get(
        self, level: str, manager: bool, division: str, status: str | None
    ) -> Mapping[str, str]:
        key = (level, manager, division, status)
        found = self._seen.get(key)
        if found is None:
            fields = {"job_level": level, "is_people_manager": "true" if manager else "false"}
            fields["division"] = division
            if status is not None:
                fields["employment_status"] = status
            # As chatsync.adapters.directory reads customSchemas: "<schema>.<field>" and "<field>".
            flat = {f"{SCHEMA}.{k}": v for k, v in fields.items()} | fields
            found = self._seen[key] = MappingProxyType(flat)
        return found


def _user_id(n: int) -> str:
    return f"1{n:014d}"


def _people(shape: Shape, names: _Names, rng: random.Random) -> list[model.Person]:
    customs = _Customs()
    units: dict[tuple[int, int, int], str] = {}
    cost_centers = tuple(f"CC{d:03d}" for d in range(shape.departments))
    statuses = (
        (0.965, model.EmploymentStatus.ACTIVE),
        (0.985, model.EmploymentStatus.LEAVE),
        (0.995, model.EmploymentStatus.SUSPENDED),
        (1.0, model.EmploymentStatus.TERMINATED),
    )
    group_counts = (0, 1, 1, 2, 2, 3)
    levels = rng.choices(LEVELS, LEVEL_WEIGHTS, k=shape.people)
    people = [
        model.Person(email=OPS, google_user_id=_user_id(0), title="Operations", org_unit_path="/")
    ]
    for i in range(shape.people):
        email = CEO if i == 0 else model.Email(f"u{i:06d}@{DOMAIN}")
        department = rng.randrange(shape.departments)
        division = department % shape.divisions
        team = rng.randrange(4)
        unit = units.get((division, department, team))
        if unit is None:
            unit = f"/Company/{names.divisions[division]}/{names.departments[department]}/T{team}"
            units[(division, department, team)] = unit
        level = "M4" if i == 0 else levels[i]
        joins = min(shape.groups, rng.choice(group_counts))
        roll = rng.random()
        status = next(s for bound, s in statuses if roll < bound)
        people.append(
            _person(
                email,
                _user_id(i + 1),
                level=level,
                division=names.divisions[division],
                department=names.departments[department],
                cost_center=cost_centers[department],
                unit=unit,
                site=names.sites[rng.randrange(shape.sites)],
                status=status if i else model.EmploymentStatus.ACTIVE,
                groups=frozenset(names.groups[g] for g in rng.sample(range(shape.groups), joins)),
                customs=customs,
            )
        )
    return people


def _person(
    email: model.Email,
    user_id: str,
    *,
    level: str,
    division: str,
    department: str,
    cost_center: str,
    unit: str,
    site: str,
    status: model.EmploymentStatus,
    groups: frozenset[model.Email],
    customs: _Customs,
) -> model.Person:
    manager = level.startswith("M")
    # The Directory says suspended with a flag and any other status in the custom schema.
    told = status not in (model.EmploymentStatus.ACTIVE, model.EmploymentStatus.SUSPENDED)
    return model.Person(
        email=email,
        employment_status=status,
        account=(
            model.Account.SUSPENDED
            if status is model.EmploymentStatus.SUSPENDED
            else model.Account.ACTIVE
        ),
        google_user_id=user_id,
        title=TITLES[level],
        job_level=level,
        department=department,
        division=division,
        cost_center=cost_center,
        location=site,
        org_unit_path=unit,
        is_people_manager=manager,
        custom=customs.get(level, manager, division, status.value if told else None),
        groups=groups,
    )


# -- rosters ----------------------------------------------------------------------------------


def _wanted(
    person: model.Person, region_of: Mapping[str, int]
) -> dict[model.SpaceName, model.Role]:
    """The rules' answer for one person of this org, from the facts (no rule is evaluated)."""
    if person.email == OPS:
        return {}  # ops@ owns every space: added by the caller
    if not person.active:
        return {}
    level, department, division = person.job_level or "", person.department, person.division
    manager = person.is_people_manager
    member, boss = model.Role.MEMBER, model.Role.MANAGER
    wanted = {_space("all"): member}
    site = person.location or ""
    if site in region_of:
        wanted[_space("region", region_of[site])] = member
        wanted[_space("site", int(site[1:]))] = member
    if division and (person.org_unit_path or "").startswith(f"/Company/{division}/"):
        wanted[_space("div", int(division[3:]))] = boss if level in DIRECTORS else member
    if division and manager and person.employment_status is not model.EmploymentStatus.LEAVE:
        wanted[_space("divmgr", int(division[3:]))] = member
    if department:
        number = int(department[1:])
        wanted[_space("dept", number)] = boss if manager else member
        if manager:
            wanted[_space("leads", number)] = member
    if level:
        wanted[_space("level", level)] = member
    for group in person.groups:
        wanted[_space("group", int(group[1:4]))] = member
    if person.title in STAFF_TITLES:
        wanted[_space("staff")] = member
    if manager or level in LEADER_LEVELS:
        wanted[_space("leaders")] = member
    return wanted


def _drift(
    roster: Roster, people: Sequence[model.Person], drift: float, rng: random.Random
) -> None:
    """Put ``drift`` of each roster out of step (ops@ and the protected CEO are left alone)."""
    if not drift:
        return
    emails = [p.email for p in people if p.email not in (OPS, CEO)]
    other = {model.Role.MEMBER: model.Role.MANAGER, model.Role.MANAGER: model.Role.MEMBER}
    for space in sorted(roster):
        members = roster[space]
        for email in sorted(members):
            if email in (OPS, CEO):
                continue
            roll = rng.random()
            if roll < drift / 2:
                del members[email]
            elif roll < drift * 3 / 4 and members[email] in other:
                members[email] = other[members[email]]
        for _ in range(round(len(members) * drift / 4)):
            stray = emails[rng.randrange(len(emails))]
            members.setdefault(stray, model.Role.MEMBER)


def _states(
    ruleset: Ruleset, roster: Roster, people: Sequence[model.Person]
) -> dict[model.SpaceName, planning.SpaceState]:
    users = {p.email: model.ChatUserId(f"users/{p.google_user_id}") for p in people}
    states: dict[model.SpaceName, planning.SpaceState] = {}
    for space in ruleset.spaces:
        members = {
            email: model.Membership(
                space.name, email, role, f"{space.name}/members/{users[email][6:]}",
                user=model.ChatUserId(users[email]),
            )
            for email, role in sorted(roster.get(space.name, {}).items())
        }  # fmt: skip
        owners = frozenset(e for e, m in members.items() if m.role is model.Role.OWNER)
        states[space.name] = planning.SpaceState(space.name, members, owners, complete=True)
    return states


def generate(shape: Shape | None = None) -> ScaleOrg:
    """The org for ``shape`` (the full 100,000 x 1,025 by default)."""
    shape = shape or Shape()
    names = _Names.of(shape)
    rng = random.Random(shape.seed)
    text = rules_text(shape)
    ruleset = load_rules_text(text, file="<scale rules>")
    people = _people(shape, names, rng)
    region_of = {site: names.region_of_site[s] for s, site in enumerate(names.sites)}
    roster: Roster = {space.name: {OPS: model.Role.OWNER} for space in ruleset.spaces}
    for person in people:
        for space, role in _wanted(person, region_of).items():
            roster[space][person.email] = role
    _drift(roster, people, shape.drift, rng)
    return ScaleOrg(shape, text, ruleset, tuple(people), _states(ruleset, roster, people))


# -- the reorg --------------------------------------------------------------------------------


def reorg(
    org: ScaleOrg, *, departments: float = 0.08, promotions: float = 0.15, seed: int = 7
) -> Reorg:
    """New facts: ``departments`` of the departments move to the next division (new org unit,
    division), and ``promotions`` of the active IC1..IC5 people go up one level (new title)."""
    shape, rng = org.shape, random.Random(seed)
    names = _Names.of(shape)
    count = max(1, round(shape.departments * departments))
    moved = tuple(sorted(rng.sample(names.departments, count)))
    moving = set(moved)
    customs = _Customs()
    after: list[model.Person] = []
    changed: list[model.Email] = []
    promoted = 0
    for person in org.people:
        new = person
        if person.department in moving and person.division and person.org_unit_path:
            step = names.divisions.index(person.division) + 1
            division = names.divisions[step % shape.divisions]
            unit = person.org_unit_path.replace(f"/{person.division}/", f"/{division}/", 1)
            new = replace(new, division=division, org_unit_path=unit)
        level = person.job_level or ""
        if person.active and level[:2] == "IC" and level != "IC6" and rng.random() < promotions:
            level = LEVELS[LEVELS.index(level) + 1]
            new = replace(new, job_level=level, title=TITLES[level])
            promoted += 1
        if new is not person:
            status = new.custom.get("employment_status")
            custom = customs.get(level, new.is_people_manager, new.division or "", status)
            new = replace(new, custom=custom)
            changed.append(new.email)
        after.append(new)
    return Reorg(tuple(after), tuple(changed), moved, promoted)


# -- measuring --------------------------------------------------------------------------------


def measure_plan(
    org: ScaleOrg,
    *,
    people: Sequence[model.Person] | None = None,
    indexed: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Time the pure plan of a full reconcile of ``org`` (or of new facts ``people`` against its
    rosters): decisions for everyone as ``reconciling.survey`` keeps them, then the plan.

    ``indexed=False`` decides with ``evaluate`` for every person and space instead (the cost the
    index removes). Keys: ``people``, ``spaces``, ``memberships``, ``decisions``, ``plan_s``
    (seconds), ``rss_mb`` (the process's peak resident memory so far), ``indexed``, ``plan``
    (counts by kind) and ``writes`` (Chat writes the plan needs: an add above member is a
    create and a patch).
    """
    facts = org.people if people is None else tuple(people)
    current = org.current
    start = clock()
    if indexed:
        rosters = {name: state.members for name, state in current.items()}
        decisions = decide_all(compile_rules(org.ruleset), facts, rosters)
    else:
        decisions = [
            d
            for p in facts
            for d in evaluate(org.ruleset, p)
            if d.space in current and (d.role is not None or d.email in current[d.space].members)
        ]
    the_plan = planning.plan(org.ruleset, decisions, current)
    seconds = clock() - start
    return {
        "people": len(facts),
        "spaces": len(current),
        "memberships": org.memberships,
        "decisions": len(decisions),
        "plan_s": round(seconds, 3),
        "rss_mb": peak_rss_mb(),
        "indexed": indexed,
        "plan": the_plan.summary(),
        "writes": writes(the_plan),
    }


def writes(plan: planning.Plan) -> int:
    """Chat writes the plan's operations need (create, then patch when above member)."""
    total = 0
    for op in plan.operations:
        above = isinstance(op, planning.AddMember) and op.role is not model.Role.MEMBER
        total += 2 if above else 1
    return total


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB (Linux reports ``ru_maxrss`` in KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- the emulator -----------------------------------------------------------------------------


def emulator_store(org: ScaleOrg, *, people: Sequence[model.Person] | None = None) -> st.Store:
    """The Workspace emulator's store for ``org``: the Directory holds ``people`` (default: the
    org's facts), the spaces hold the current rosters. Built directly: no seed dict, no lookups
    by email. Serve it with ``EmulatorServer`` and ``emulator.world.store = store``."""
    from workspace_emulator import seeding
    from workspace_emulator import store as st

    facts = org.people if people is None else people
    app = st.App(id=seeding.DEFAULT_APP_ID, display_name="chatsync", calling=True)
    store = st.Store(customer="C0emulator", domains=(DOMAIN,), app=app)
    store.apps[app.id] = app
    ids: dict[model.Email, str] = {}
    members: dict[model.Email, list[st.GroupMember]] = {}
    for person in facts:
        assert person.google_user_id is not None
        ids[person.email] = person.google_user_id
        custom: dict[str, Any] = {
            k.removeprefix(f"{SCHEMA}."): v
            for k, v in person.custom.items()
            if k.startswith(f"{SCHEMA}.")
        }
        if "is_people_manager" in custom:  # a boolean field in the Directory
            custom["is_people_manager"] = custom["is_people_manager"] == "true"
        store.people[person.google_user_id] = st.Person(
            id=person.google_user_id,
            email=person.email,
            name=person.email.split("@")[0],
            suspended=person.employment_status is model.EmploymentStatus.SUSPENDED,
            org_unit_path=person.org_unit_path or "/",
            title=person.title,
            department=person.department,
            cost_center=person.cost_center,
            location=person.location,
            custom={SCHEMA: custom} if custom else {},
        )
        for group in person.groups:
            members.setdefault(group, []).append(st.GroupMember(email=person.email))
    for group, direct in sorted(members.items()):
        group_id = st.derived_id(group, prefix="0")
        store.groups[group_id] = st.Group(group_id, group, group, tuple(direct))
    bot = st.Membership(app.id, "BOT", "ROLE_MEMBER", "JOINED", seeding.SEED_TIME)
    for space in org.ruleset.spaces:
        state = org.current[space.name]
        room = st.Space(space.name, "SPACE", space.id, "app", seeding.SEED_TIME)
        room.memberships[app.id] = bot
        for email, member in state.members.items():
            user = ids.get(email) or member.user.removeprefix("users/")
            role: Any = member.role.api
            room.memberships[user] = st.Membership(user, "HUMAN", role, "JOINED", seeding.SEED_TIME)
        store.spaces[space.name] = room
    return store
