"""The rule index: the same decisions as ``evaluate`` for any rules and any person, found by lookup.

The property tests draw rulesets the loader could build (attribute tests with every operator,
groups, ``all`` / ``any`` / ``not``, ``unless``, ``everyone``, repeated and odd org-unit paths,
mixed-case emails) and people with any facts, and hold ``evaluate_indexed`` and ``decide_all``
to ``evaluate``. The unit tests pin the lookups themselves: which rules a person is a candidate
for, and which are tried for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatsync.domain import model
from chatsync.domain.rules import Ruleset, evaluate, load_rules_text, schema
from chatsync.domain.rules.evaluating import check
from chatsync.domain.rules.index import compile_rules, decide_all, evaluate_indexed

pytestmark = pytest.mark.scale

# -- drawing rulesets and people ----------------------------------------------------------------

SPACES = tuple(model.SpaceName(f"spaces/AAAA{n}") for n in ("eng", "data", "all", "leads"))
GROUPS = tuple(model.Email(f"g{n}@example.com") for n in range(3))
EMAILS = ("ana@example.com", "bo@example.com", "cy@example.com")
TEXT: dict[str, tuple[str, ...]] = {
    "department": ("Platform", "Data", "Sales"),
    "title": ("Staff Engineer", "Engineer", "VP Sales"),
    "org_unit_path": ("/", "/Eng", "/Eng/", "/Eng/Platform", "/Eng/Platform/T1", "/EngOps", "Eng"),
    "custom.level": ("a", "b", "ab"),
    "employment_status": tuple(s.value for s in model.EmploymentStatus),
    "email": EMAILS,
    "manager_email": EMAILS[:2],
}
"""Few attributes, so that drawn rules and people often meet; the other text attributes are
looked up exactly as ``department`` is."""
UNITS = (*TEXT["org_unit_path"], "/Eng/Platform/", "/Engineering", "/Eng/PlatformX")
PREFIXES: dict[str, tuple[str, ...]] = {
    "org_unit_path": ("/", "", "/Eng", "/Eng/", "/Eng/Platform", "/EngO", "Eng"),
    "email": ("ana", "a", ""),
    "manager_email": ("bo@", "b"),
}
PATTERNS = (".*", "(Staff|VP) .*", "P.*", "[a-z]+@example\\.com", "/Eng(/.*)?")


@st.composite
def attribute_tests(draw: st.DrawFn) -> schema.AttributeTest:
    name = draw(st.sampled_from([*TEXT, "org_unit_path", "is_people_manager"]))
    if name == "is_people_manager":
        flags = draw(st.lists(st.booleans(), min_size=1, max_size=2, unique=True))
        return schema.AttributeTest(name, "equals" if len(flags) == 1 else "in", tuple(flags))
    operator = draw(st.sampled_from(["equals", "in", "prefix", "regex"]))
    values = TEXT[name]
    if operator == "equals":
        return schema.AttributeTest(name, "equals", (draw(st.sampled_from(values)),))
    if operator == "in":
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
        return schema.AttributeTest(name, "in", tuple(chosen))
    if operator == "prefix":
        prefix = draw(
            st.sampled_from(PREFIXES.get(name, ("", values[0], *(v[:2] for v in values))))
        )
        return schema.AttributeTest(name, "prefix", (prefix,))
    text = draw(st.sampled_from(PATTERNS))
    flags = re.IGNORECASE if name in schema.EMAIL_ATTRIBUTES else 0
    return schema.AttributeTest(name, "regex", (text,), re.compile(text, flags))


group_tests = st.builds(
    schema.GroupTest,
    st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True).map(tuple),
    st.booleans(),
)
conditions = st.recursive(
    st.one_of(attribute_tests(), group_tests, st.just(schema.AllOf(()))),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda c: schema.AllOf(tuple(c))),
        st.lists(inner, min_size=1, max_size=3).map(lambda c: schema.AnyOf(tuple(c))),
        inner.map(schema.Not),
    ),
    max_leaves=6,
)


@st.composite
def rulesets(draw: st.DrawFn) -> Ruleset:
    names = draw(st.lists(st.sampled_from(SPACES), min_size=1, max_size=4, unique=True))
    modes = st.sampled_from(["authoritative", "additive"])
    spaces = tuple(
        schema.Space(name.removeprefix("spaces/AAAA"), name, draw(modes)) for name in sorted(names)
    )
    rules = tuple(
        schema.Rule(
            id=f"r{i}",
            role=draw(st.sampled_from(list(model.Role))),
            spaces=tuple(sorted(draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))),
            when=draw(conditions),
            unless=draw(st.none() | conditions),
        )
        for i in range(draw(st.integers(0, 7)))
    )
    protected = frozenset(model.Email(e) for e in draw(st.sets(st.sampled_from(EMAILS))))
    return Ruleset(spaces=spaces, rules=rules, protected=protected, source="drawn.yaml")


def _maybe(values: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(values)


people = st.builds(
    lambda who, status, dept, title, unit, boss, mgr, custom, groups: (
        model.Person(
            email=model.Email(who), employment_status=status, department=dept, title=title,
            org_unit_path=unit, manager_email=None if boss is None else model.Email(boss),
            is_people_manager=mgr, custom={} if custom is None else {"level": custom},
            groups=frozenset(groups),
        )
    ),
    st.sampled_from(EMAILS),
    st.sampled_from(list(model.EmploymentStatus)),
    _maybe(TEXT["department"]),
    _maybe(TEXT["title"]),
    _maybe(UNITS) | st.sampled_from(UNITS),
    _maybe(("Ana@Example.com", "bo@example.com", "BO@EXAMPLE.COM")),
    st.booleans(),
    _maybe(TEXT["custom.level"]),
    st.sets(st.sampled_from([*GROUPS, model.Email("other@example.com")])),
)  # fmt: skip


@st.composite
def rosters(draw: st.DrawFn, ruleset: Ruleset) -> dict[model.SpaceName, frozenset[model.Email]]:
    """Current members of some of the managed spaces (a stranger among them at times)."""
    pool = [*EMAILS, "stranger@example.com"]
    read = draw(st.lists(st.sampled_from([s.name for s in ruleset.spaces]), unique=True))
    return {
        name: frozenset(model.Email(e) for e in draw(st.sets(st.sampled_from(pool))))
        for name in read
    }


def survey_filter(
    ruleset: Ruleset,
    persons: Sequence[model.Person],
    members: Mapping[model.SpaceName, frozenset[model.Email]],
) -> list[model.Decision]:
    """What ``reconciling.survey`` keeps of ``evaluate``: a role, or a current member."""
    return [
        d
        for p in persons
        for d in evaluate(ruleset, p)
        if d.space in members and (d.role is not None or d.email in members[d.space])
    ]


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(rulesets(), st.lists(people, min_size=1, max_size=6))
def test_evaluate_indexed_gives_exactly_the_decisions_of_evaluate(
    ruleset: Ruleset, persons: list[model.Person]
) -> None:
    """Same decisions, order, roles, reasons, rule ids, protected and inactive flags."""
    compiled = compile_rules(ruleset)
    for person in persons:
        assert evaluate_indexed(compiled, person) == evaluate(ruleset, person)


@settings(max_examples=1000, deadline=None)
@given(rulesets(), people)
def test_every_rule_whose_when_holds_is_a_candidate(ruleset: Ruleset, person: model.Person) -> None:
    """The index only ever narrows to a superset of the matches: it never loses a rule."""
    holds = {rule.id for rule in ruleset.rules if check(rule.when, person).passed}
    assert holds <= {rule.id for rule in compile_rules(ruleset).candidates(person)}


@settings(max_examples=300, deadline=None)
@given(st.data(), rulesets(), st.lists(people, max_size=6))
def test_decide_all_keeps_what_the_full_reconcile_keeps(
    data: st.DataObject, ruleset: Ruleset, persons: list[model.Person]
) -> None:
    """For any rosters: the decisions ``survey`` keeps of ``evaluate``, in the same order."""
    members = data.draw(rosters(ruleset))
    expected = survey_filter(ruleset, persons, members)
    assert decide_all(compile_rules(ruleset), persons, members) == expected


# -- lookups -------------------------------------------------------------------------------------

RULES = load_rules_text(
    """
version: 1
spaces:
  - {id: eng, name: spaces/AAAAeng, mode: authoritative}
  - {id: all, name: spaces/AAAAall, mode: additive}
  - {id: leads, name: spaces/AAAAleads, mode: authoritative}
rules:
  - {id: eng-ou, spaces: [eng], role: member, when: {org_unit_path: {prefix: /Engineering/}}}
  - {id: data-or-platform, spaces: [eng], role: member, when: {department: {in: [Data, Platform]}}}
  - {id: staff, spaces: [eng], role: manager, when: {title: {prefix: Staff}}}
  - {id: lisbon, spaces: [all], role: member, when: {group: lisbon@example.com}}
  - id: owners
    spaces: [leads]
    role: owner
    when: {group: {all: [owners@example.com, leads@example.com]}}
  - id: data-managers
    spaces: [leads]
    role: manager
    when: {is_people_manager: true, department: Data}
    unless: {group: contractors@example.com}
  - {id: everyone, spaces: [all], role: member, when: {everyone: true}}
  - {id: vp, spaces: [leads], role: owner, when: {title: {regex: "VP .*"}}}
  - {id: not-sales, spaces: [all], role: member, when: {not: {department: Sales}}}
  - {id: boss, spaces: [leads], role: member, when: {manager_email: ceo@example.com}}
""",
    file="index.yaml",
)
SCANNED = {"everyone", "vp", "not-sales"}


def candidates(**facts: object) -> set[str]:
    person = model.Person(email=model.Email("ana@example.com"), **facts)  # type: ignore[arg-type]
    return {rule.id for rule in compile_rules(RULES).candidates(person)} - SCANNED


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("/Engineering", {"eng-ou"}),
        ("/Engineering/Data/Team1", {"eng-ou"}),
        ("/Engineering/", {"eng-ou"}),
        ("/EngineeringOps", set()),
        ("/", set()),
        (None, set()),
    ],
)
def test_an_org_unit_prefix_finds_the_unit_and_its_sub_units_only(
    unit: str | None, expected: set[str]
) -> None:
    """``/Engineering/`` selects the OU and everything below it, never ``/EngineeringOps``."""
    assert candidates(org_unit_path=unit) == expected


def test_a_text_prefix_is_looked_up_at_each_prefix_length() -> None:
    """``title: {prefix: Staff}`` finds ``Staff Engineer`` and ``Staff``, not ``Senior Staff``."""
    assert candidates(title="Staff Engineer") == {"staff"}
    assert candidates(title="Staff") == {"staff"}
    assert candidates(title="Senior Staff") == set()
    assert candidates(title="Sta") == set()


def test_in_is_a_hash_lookup_of_each_listed_value() -> None:
    """Each value of ``in`` leads to the rule; any other value to nothing."""
    assert candidates(department="Data") == {"data-or-platform", "data-managers"}
    assert candidates(department="Platform") == {"data-or-platform"}
    assert candidates(department="Sales") == set()


def test_a_conjunction_is_filed_under_its_most_selective_part() -> None:
    """``is_people_manager: true, department: Data`` is looked up by department: a manager in
    Sales is not a candidate, a non-manager in Data is (and fails the full check)."""
    assert "data-managers" not in candidates(is_people_manager=True, department="Sales")
    assert "data-managers" in candidates(is_people_manager=False, department="Data")


def test_groups_any_and_all_are_found_by_membership() -> None:
    """A group rule is a candidate for members of its group (``all``: of its first group)."""
    lisbon, owners, leads = (model.Email(f"{g}@example.com") for g in ("lisbon", "owners", "leads"))
    assert candidates(groups=frozenset({lisbon})) == {"lisbon"}
    assert candidates(groups=frozenset({owners})) == {"owners"}
    assert candidates(groups=frozenset({leads})) == set()
    assert candidates(groups=frozenset()) == set()


def test_emails_are_looked_up_without_case() -> None:
    """``manager_email`` is compared lower-cased, as ``evaluate`` does."""
    assert candidates(manager_email="CEO@Example.com") == {"boss"}


def test_regex_not_and_everyone_are_tried_for_everyone() -> None:
    """Rules the index cannot narrow are candidates for a person with no facts at all."""
    person = model.Person(email=model.Email("nobody@example.com"))
    assert {rule.id for rule in compile_rules(RULES).candidates(person)} == SCANNED


def test_candidate_spaces_are_the_spaces_of_the_candidate_rules() -> None:
    """A person in Sales with no groups may only get a role where the scanned rules grant."""
    person = model.Person(email=model.Email("ana@example.com"), department="Sales")
    assert compile_rules(RULES).candidate_spaces(person) == {"spaces/AAAAall", "spaces/AAAAleads"}


def test_decide_all_decides_only_roles_and_current_memberships() -> None:
    """A person no rule selects costs one decision per space they are a member of, no more;
    an inactive member gets the inactive decision; a member with a role keeps it."""
    rules = load_rules_text(
        "version: 1\nspaces:\n"
        "  - {id: eng, name: spaces/AAAAeng, mode: authoritative}\n"
        "  - {id: data, name: spaces/AAAAdata, mode: authoritative}\n"
        "rules:\n"
        "  - {id: eng, spaces: [eng], role: member, when: {department: Eng}}\n",
    )
    nobody = model.Person(email=model.Email("no@example.com"), department="Sales")
    gone = model.Person(
        email=model.Email("gone@example.com"),
        department="Eng",
        employment_status=model.EmploymentStatus.TERMINATED,
    )
    eng = model.Person(email=model.Email("eng@example.com"), department="Eng")
    eng_space, data_space = model.SpaceName("spaces/AAAAeng"), model.SpaceName("spaces/AAAAdata")
    members = {eng_space: {gone.email}, data_space: {nobody.email}}

    decisions = decide_all(compile_rules(rules), [nobody, gone, eng], members)

    assert [(d.email, d.space, d.role, d.inactive) for d in decisions] == [
        (nobody.email, data_space, None, False),
        (gone.email, eng_space, None, True),
        (eng.email, eng_space, model.Role.MEMBER, False),
    ]
    assert decisions == survey_filter(rules, [nobody, gone, eng], members)  # type: ignore[arg-type]


def test_groups_named_lists_every_group_a_rule_names() -> None:
    """Groups in ``when``, in ``unless`` and inside ``all``/``any``/``not``: what the Directory
    needs to read; no rule naming a group gives an empty set."""
    nested = load_rules_text(
        "version: 1\nspaces: [{id: s, name: spaces/AAAAs, mode: additive}]\nrules:\n"
        "  - {id: a, spaces: [s], role: member, when: {any: [{not: {group: x@example.com}},"
        " {department: D}]}}\n"
        "  - {id: b, spaces: [s], role: member, when: {department: E},"
        " unless: {all: [{group: {any: [y@example.com, Z@example.com]}}]}}\n",
    )
    assert nested.groups_named() == {"x@example.com", "y@example.com", "z@example.com"}
    assert RULES.groups_named() == {
        "lisbon@example.com",
        "owners@example.com",
        "leads@example.com",
        "contractors@example.com",
    }
    plain = load_rules_text(
        "version: 1\nspaces: [{id: s, name: spaces/AAAAs, mode: additive}]\nrules:\n"
        "  - {id: a, spaces: [s], role: member, when: {department: D}}\n",
    )
    assert plain.groups_named() == frozenset()
