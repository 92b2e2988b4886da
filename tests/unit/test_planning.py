"""Planning: desired roles + current memberships -> a safe, deterministic, idempotent plan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatsync.domain import model
from chatsync.domain.planning import AddMember, ChangeRole, Plan, RemoveMember, SpaceState, plan
from chatsync.domain.rules import load_rules_text

RULES = load_rules_text(
    """\
version: 1
spaces:
  - {id: auth, name: spaces/A, mode: authoritative}
  - {id: add, name: spaces/B, mode: additive}
protected: [boss@x.com]
rules: []
"""
)
A, B = model.SpaceName("spaces/A"), model.SpaceName("spaces/B")
MEMBER, MANAGER, OWNER = model.Role.MEMBER, model.Role.MANAGER, model.Role.OWNER
ROLES = {"member": MEMBER, "manager": MANAGER, "owner": OWNER, None: None}


def e(name: str) -> model.Email:
    return model.Email(f"{name}@x.com")


def membership(
    space: model.SpaceName,
    who: str,
    role: model.Role,
    kind: model.MemberKind = model.MemberKind.HUMAN,
) -> model.Membership:
    return model.Membership(space, e(who), role, f"{space}/members/{who}", kind)


def state(
    space: model.SpaceName,
    roster: Mapping[str, str],
    *,
    complete: bool = True,
    kinds: Mapping[str, model.MemberKind] | None = None,
) -> SpaceState:
    kinds = kinds or {}
    members = {
        e(w): membership(space, w, ROLES[r], kinds.get(w, model.MemberKind.HUMAN))  # type: ignore[arg-type]
        for w, r in roster.items()
    }
    owners = frozenset(m.email for m in members.values() if m.role is OWNER and m.email)
    return SpaceState(space, members, owners, complete)


def want(
    space: model.SpaceName,
    desired: Mapping[str, str | None],
    *,
    inactive: bool = False,
) -> list[model.Decision]:
    return [
        model.Decision(
            space, e(w), ROLES[r], (f"why {w}",), protected=(w == "boss"), inactive=inactive
        )
        for w, r in desired.items()
    ]


def ops(p: Plan) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for op in p.operations:
        who = op.email.split("@")[0]
        if isinstance(op, AddMember):
            out.append(("add", op.space, who, op.role.value))
        elif isinstance(op, ChangeRole):
            out.append(("promote" if op.promotion else "demote", op.space, who, op.new.value))
        else:
            out.append(("remove", op.space, who))
    return out


@pytest.mark.parametrize(
    ("title", "roster", "desired", "expected"),
    [
        (
            "add before promote",
            {"ana": "member", "old": "owner"},
            {"bo": "member", "ana": "manager", "old": "owner"},
            [("add", A, "bo", "member"), ("promote", A, "ana", "manager")],
        ),
        (
            "promote the new owner before demoting the old",
            {"old": "owner", "new": "member"},
            {"old": "member", "new": "owner"},
            [("promote", A, "new", "owner"), ("demote", A, "old", "member")],
        ),
        (
            "highest promotion first",
            {"a": "member", "b": "member", "o": "owner"},
            {"a": "manager", "b": "owner", "o": "owner"},
            [("promote", A, "b", "owner"), ("promote", A, "a", "manager")],
        ),
        (
            "adds, promotions, demotions, removals",
            {"o": "owner", "d": "manager", "r": "member", "p": "member"},
            {"o": "owner", "d": "member", "p": "manager", "n": "member"},
            [
                ("add", A, "n", "member"),
                ("promote", A, "p", "manager"),
                ("demote", A, "d", "member"),
                ("remove", A, "r"),
            ],
        ),
        (
            "an owner added as owner lets the old one go",
            {"old": "owner"},
            {"new": "owner"},
            [("add", A, "new", "owner"), ("remove", A, "old")],
        ),
        (
            "other owners remain",
            {"o1": "owner", "o2": "owner"},
            {"o1": "owner", "o2": "member"},
            [("demote", A, "o2", "member")],
        ),
        ("never the last owner", {"o": "owner", "m": "member"}, {"o": "member", "m": "member"}, []),
        (
            "only one of two owners leaves when nobody replaces them",
            {"o1": "owner", "o2": "owner"},
            {},
            [("remove", A, "o1")],
        ),
        ("protected untouched", {"boss": "owner", "o": "owner"}, {"boss": None, "o": "owner"}, []),
        (
            "invited members count as present",
            {"o": "owner", "inv": "member"},
            {"o": "owner", "inv": "member"},
            [],
        ),
        ("nothing to do", {"o": "owner", "m": "member"}, {"o": "owner", "m": "member"}, []),
    ],
)
def test_authoritative_plans(
    title: str,
    roster: dict[str, str],
    desired: dict[str, str | None],
    expected: list[tuple[str, ...]],
) -> None:
    """Authoritative spaces converge in the safe order without losing their last owner."""
    result = plan(RULES, want(A, desired), {A: state(A, roster)})
    assert ops(result) == expected, title


def test_skips_say_why() -> None:
    """The last owner, a protected person and an app are skipped with a readable reason."""
    current = {
        A: state(
            A,
            {"o": "owner", "boss": "member", "bot": "member"},
            kinds={"bot": model.MemberKind.BOT},
        )
    }
    result = plan(RULES, want(A, {"o": "member", "boss": "owner", "bot": None}), current)
    assert result.is_empty
    assert [(s.email, s.why) for s in result.skipped] == [
        (e("boss"), "protected: would have promoted member -> owner"),
        (e("bot"), "bot membership: never touched"),
        (e("o"), "would leave spaces/A without an owner: would have demoted owner -> member"),
    ]
    assert result.summary() == {"add": 0, "promote": 0, "demote": 0, "remove": 0, "skipped": 3}


def test_additive_spaces_never_remove_or_demote() -> None:
    """Additive: adds and promotions go ahead; demotions and removals are skipped."""
    current = {B: state(B, {"o": "owner", "m": "manager", "x": "member", "p": "member"})}
    result = plan(
        RULES, want(B, {"o": "owner", "m": "member", "p": "owner", "n": "member"}), current
    )
    assert ops(result) == [("add", B, "n", "member"), ("promote", B, "p", "owner")]
    assert {s.email for s in result.skipped} == {e("m"), e("x")}


def test_inactive_people_are_removed_even_from_additive_spaces() -> None:
    """Leavers lose access everywhere: inactive decisions remove in additive spaces too."""
    current = {B: state(B, {"o": "owner", "gone": "manager"})}
    result = plan(RULES, want(B, {"gone": None}, inactive=True), current)
    assert ops(result) == [("remove", B, "gone")]


def test_an_incomplete_roster_only_touches_people_with_decisions() -> None:
    """Per-person reconcile: members without a decision are left alone."""
    current = {A: state(A, {"o": "owner", "stranger": "member"}, complete=False)}
    assert ops(plan(RULES, want(A, {"ana": "member"}), current)) == [("add", A, "ana", "member")]


KEEPING = load_rules_text(
    """\
version: 1
spaces:
  - {id: auth, name: spaces/A, mode: authoritative, outsiders: keep}
rules: []
"""
)


def test_a_space_that_keeps_outsiders_removes_only_people_the_directory_knows() -> None:
    """``outsiders: keep``: a member outside ``known`` (another organization, a deleted account)
    is skipped with the reason; an insider no rule selects is still removed."""
    current = {A: state(A, {"o": "owner", "guest": "member", "ex": "member"})}
    result = plan(KEEPING, want(A, {"o": "owner", "ex": None}), current, known={e("o"), e("ex")})
    assert ops(result) == [("remove", A, "ex")]
    (kept,) = result.skipped
    assert kept.email == e("guest") and "keeps outsiders" in kept.why


def test_outsiders_are_removed_by_default_or_when_nobody_is_told_apart() -> None:
    """The default policy removes outsiders; without ``known`` every member counts as known."""
    current = {A: state(A, {"o": "owner", "guest": "member"})}
    by_default = plan(RULES, want(A, {"o": "owner"}), current, known={e("o")})
    untold = plan(KEEPING, want(A, {"o": "owner"}), current)
    assert ops(by_default) == ops(untold) == [("remove", A, "guest")]


def test_unmanaged_spaces_are_never_touched() -> None:
    """Decisions for a space the rules do not manage become skips."""
    other = model.SpaceName("spaces/Z")
    result = plan(RULES, want(other, {"ana": "owner"}), {other: state(other, {})})
    assert result.is_empty and result.skipped[0].why == "spaces/Z is not a managed space"


def test_operations_carry_reasons_and_membership_names() -> None:
    """Plan lines keep the decision's reasons and the canonical membership name."""
    result = plan(
        RULES, want(A, {"o": "owner", "m": "manager"}), {A: state(A, {"o": "owner", "m": "member"})}
    )
    (op,) = result.operations
    assert isinstance(op, ChangeRole)
    assert (op.name, op.old, op.new, op.reasons) == (
        "spaces/A/members/m",
        MEMBER,
        MANAGER,
        ("why m",),
    )


# --- properties -------------------------------------------------------------------------------

PEOPLE = ["a", "b", "c", "d", "boss", "bot", "grp"]
KINDS = {"bot": model.MemberKind.BOT, "grp": model.MemberKind.GROUP}


def apply(
    p: Plan, current: Mapping[model.SpaceName, SpaceState]
) -> dict[model.SpaceName, SpaceState]:
    """Apply a plan to in-memory space states, as a perfect executor would."""
    members = {s: dict(st_.members) for s, st_ in current.items()}
    for op in p.operations:
        roster = members[op.space]
        if isinstance(op, AddMember):
            assert op.email not in roster
            roster[op.email] = model.Membership(
                op.space, op.email, op.role, f"{op.space}/members/{op.email}"
            )
        elif isinstance(op, ChangeRole):
            roster[op.email] = model.Membership(
                op.space, op.email, op.new, op.name, roster[op.email].kind
            )
        else:
            del roster[op.email]
    return {
        s: SpaceState(s, m, _owners(m.values()), current[s].complete) for s, m in members.items()
    }


def _owners(members: Iterable[model.Membership]) -> frozenset[model.Email]:
    return frozenset(m.email for m in members if m.role is OWNER and m.email)


roles = st.sampled_from([MEMBER, MANAGER, OWNER])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[model.Decision], dict[model.SpaceName, SpaceState]]:
    current: dict[model.SpaceName, SpaceState] = {}
    decisions: list[model.Decision] = []
    for space in (A, B):
        roster = draw(st.dictionaries(st.sampled_from(PEOPLE), roles, max_size=len(PEOPLE)))
        members = {
            e(w): model.Membership(
                space, e(w), r, f"{space}/members/{w}", KINDS.get(w, model.MemberKind.HUMAN)
            )
            for w, r in roster.items()
        }
        current[space] = SpaceState(space, members, _owners(members.values()), draw(st.booleans()))
        for who in draw(st.lists(st.sampled_from(PEOPLE), unique=True)):
            inactive = draw(st.booleans())
            role = None if inactive else draw(st.none() | roles)
            decisions.append(
                model.Decision(space, e(who), role, protected=who == "boss", inactive=inactive)
            )
    return decisions, current


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_planning_again_after_applying_gives_no_operations(
    scenario: tuple[list[model.Decision], dict[model.SpaceName, SpaceState]],
) -> None:
    """Idempotence: apply(plan) then plan again is empty, and planning is deterministic."""
    decisions, current = scenario
    first = plan(RULES, decisions, current)
    assert plan(RULES, decisions, current) == first
    assert plan(RULES, decisions, apply(first, current)).is_empty


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_plan_touches_protected_people_apps_or_groups_or_drops_the_last_owner(
    scenario: tuple[list[model.Decision], dict[model.SpaceName, SpaceState]],
) -> None:
    """Safety invariants hold for any facts and any current state."""
    decisions, current = scenario
    result = plan(RULES, decisions, current)
    after = apply(result, current)
    for op in result.operations:
        assert op.email != e("boss")
        member = current[op.space].members.get(op.email)
        assert member is None or member.kind is model.MemberKind.HUMAN
        if op.space == B and not isinstance(op, AddMember):
            lost = isinstance(op, RemoveMember) or not op.promotion
            inactive = any(d.inactive for d in decisions if d.space == B and d.email == op.email)
            assert not lost or inactive
    for space, before in current.items():
        if before.owners and after[space].members:
            assert after[space].owners, f"{space} lost its last owner"
    kinds = [type(op) for op in result.operations if op.space == A]
    order = [AddMember, ChangeRole, RemoveMember]
    assert kinds == sorted(kinds, key=order.index)
