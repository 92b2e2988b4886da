"""Properties of the pure core with the real rules: facts -> evaluate -> plan.

The planner's own property tests (tests/unit/test_planning.py) draw decisions directly; these
draw *people* (any facts, protected people included), evaluate the demo rules file on them and
plan against any current state (apps, groups, invited people, an unmanaged space, complete or
partial rosters). For every draw: applying the plan and planning again gives nothing; no plan
breaks a never-rule; the safety guard never has anything left to refuse; the change limits
hold exactly the plans over them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import unit.test_planning as planning_tests
from chatsync.domain import model, planning, safety
from chatsync.domain.rules import evaluate, load_rules
from chatsync.domain.rules.schema import Safety
from conftest import DEMO_RULES

RULES = load_rules(DEMO_RULES)
UNMANAGED = model.SpaceName("spaces/AAAAsocial")
SPACES = [*sorted(RULES.managed), UNMANAGED]
POOL = ["ceo", "it-admin", "ana", "bo", "cy", "di", "ed", "fa", "gu", "bot", "grp"]
KINDS = {"bot": model.MemberKind.BOT, "grp": model.MemberKind.GROUP}


def e(who: str) -> model.Email:
    return model.Email(f"{who}@example.com")


people = st.builds(
    lambda who, status, dept, title, ou, mgr, level, lisbon: model.Person(
        email=e(who),
        employment_status=status,
        department=dept,
        title=title,
        org_unit_path=ou,
        is_people_manager=mgr,
        job_level=level,
        groups=frozenset({model.Email("lisbon-office@example.com")}) if lisbon else frozenset(),
    ),
    st.sampled_from(POOL[:-2]),
    st.sampled_from(list(model.EmploymentStatus)),
    st.sampled_from([None, "Platform", "Data", "Sales", "People"]),
    st.sampled_from([None, "Engineering Manager", "VP Engineering", "VP Sales", "Head of People",
                     "Head of Communications", "Engineer"]),
    st.sampled_from([None, "/Engineering", "/Engineering/Platform", "/Sales"]),
    st.booleans(),
    st.sampled_from([None, "M1", "M2", "IC3"]),
    st.booleans(),
)  # fmt: skip


@st.composite
def worlds(
    draw: st.DrawFn,
) -> tuple[list[model.Decision], dict[model.SpaceName, planning.SpaceState]]:
    persons = {p.email: p for p in draw(st.lists(people, max_size=8))}
    decisions = [d for p in persons.values() for d in evaluate(RULES, p)]
    current: dict[model.SpaceName, planning.SpaceState] = {}
    for space in SPACES:
        roster = draw(
            st.dictionaries(
                st.sampled_from(POOL), st.sampled_from(list(model.Role)), max_size=len(POOL)
            )
        )
        members = {
            e(w): model.Membership(
                space, e(w), r, f"{space}/members/{w}", KINDS.get(w, model.MemberKind.HUMAN)
            )
            for w, r in roster.items()
        }
        owners = frozenset(
            m.email for m in members.values() if m.role is model.Role.OWNER and m.email
        )
        current[space] = planning.SpaceState(space, members, owners, draw(st.booleans()))
    return decisions, current


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_applying_the_plan_then_planning_again_gives_nothing(
    world: tuple[list[model.Decision], dict[model.SpaceName, planning.SpaceState]],
) -> None:
    """Convergence in one step for any facts and any current state."""
    decisions, current = world
    first = planning.plan(RULES, decisions, current)
    after = planning_tests.apply(first, current)
    assert planning.plan(RULES, decisions, after).is_empty


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_no_plan_breaks_a_never_rule(
    world: tuple[list[model.Decision], dict[model.SpaceName, planning.SpaceState]],
) -> None:
    """Protected people, apps and groups, unmanaged spaces untouched; no space loses its last
    owner; additive spaces only lose inactive people; the guard finds nothing to refuse."""
    decisions, current = world
    result = planning.plan(RULES, decisions, current)
    after = planning_tests.apply(result, current)
    inactive = {d.email for d in decisions if d.inactive}
    for op in result.operations:
        assert op.email not in RULES.protected
        assert op.space in RULES.managed
        member = current[op.space].members.get(op.email)
        assert member is None or member.kind is model.MemberKind.HUMAN
        space = RULES.space(op.space)
        assert space is not None
        if space.mode == "additive" and safety.is_loss(op):
            assert op.email in inactive
    for space, before in current.items():
        if before.owners:
            assert after[space].owners, f"{space} lost its last owner"
    assert safety.guard(result, RULES, current) == result


@settings(max_examples=200, deadline=None)
@given(worlds(), st.integers(0, 6))
def test_the_event_limit_holds_exactly_the_plans_over_it(
    world: tuple[list[model.Decision], dict[model.SpaceName, planning.SpaceState]], limit: int
) -> None:
    """Held iff removals + demotions exceed max_removals_per_event; no losses, never held."""
    decisions, current = world
    result = planning.plan(RULES, decisions, current)
    rules = RULES.__class__(
        RULES.spaces, RULES.rules, RULES.protected, Safety(max_removals_per_event=limit)
    )
    verdict = safety.check(result, rules, current, scope="event")
    losses = sum(1 for op in result.operations if safety.is_loss(op))
    assert verdict.held == (losses > limit)
    assert verdict.losses == losses
