"""Change thresholds and the never-rules, on plans built by hand (domain.safety is pure)."""

from __future__ import annotations

from chatsync.domain import planning, safety
from chatsync.domain.model import Email, MemberKind, Membership, Role, SpaceName
from chatsync.domain.rules.schema import Ruleset, Safety, Space

S = SpaceName("spaces/AAAA")
T = SpaceName("spaces/BBBB")


def ruleset(**limits: object) -> Ruleset:
    return Ruleset(
        spaces=(Space("a", S, "authoritative"), Space("b", T, "authoritative")),
        rules=(),
        protected=frozenset({Email("boss@example.com")}),
        safety=Safety(**limits),  # type: ignore[arg-type]
    )


def member(email: str, role: Role = Role.MEMBER, space: SpaceName = S, **kw: object) -> Membership:
    return Membership(space, Email(email), role, f"{space}/members/{email}", **kw)  # type: ignore[arg-type]


def removals(n: int, space: SpaceName = S) -> planning.Plan:
    return planning.Plan(
        tuple(
            planning.RemoveMember(
                space, Email(f"p{i}@example.com"), f"{space}/members/{i}", Role.MEMBER
            )
            for i in range(n)
        )
    )


def roster(n: int, space: SpaceName = S) -> dict[SpaceName, planning.SpaceState]:
    members = {
        Email(f"p{i}@example.com"): member(f"p{i}@example.com", space=space) for i in range(n)
    }
    owner = member("owner@example.com", Role.OWNER, space)
    members[Email("owner@example.com")] = owner
    return {
        space: planning.SpaceState(space, members, frozenset({Email("owner@example.com")}), True)
    }


def test_per_event_count_holds_above_the_limit_only() -> None:
    """Exactly the limit passes; one more is held, with the limit named."""
    rules = ruleset(max_removals_per_event=3)
    assert safety.check(removals(3), rules, {}, scope="event").ok
    verdict = safety.check(removals(4), rules, {}, scope="event")
    assert verdict.held
    assert "max_removals_per_event=3" in verdict.reasons[0]


def test_run_scope_uses_the_run_limit() -> None:
    """A reconcile run is judged by max_removals_per_run, not the per-event limit."""
    rules = ruleset(max_removals_per_event=1, max_removals_per_run=10)
    assert safety.check(removals(5), rules, {}, scope="run").ok
    assert safety.check(removals(11), rules, {}, scope="run").held


def test_demotions_count_and_promotions_do_not() -> None:
    """A demotion is a loss; a promotion is not."""
    demote = planning.ChangeRole(
        S, Email("a@example.com"), f"{S}/members/1", Role.OWNER, Role.MEMBER
    )
    promote = planning.ChangeRole(
        S, Email("b@example.com"), f"{S}/members/2", Role.MEMBER, Role.OWNER
    )
    verdict = safety.check(
        planning.Plan((promote, demote)), ruleset(max_removals_per_event=0), {}, scope="event"
    )
    assert verdict.held
    assert verdict.losses == 1


def test_percent_applies_per_space_above_the_floor() -> None:
    """3 of 10 is 30% > 25%: held; a 4-person space is below the floor of 5 and exempt."""
    rules = ruleset(max_removal_percent=25, min_space_size_for_percent=5)
    big = roster(9)  # 9 + the owner = 10
    assert safety.check(removals(3), rules, big, scope="run").held
    assert safety.check(removals(2), rules, big, scope="run").ok
    small = roster(3)  # 4 people
    assert safety.check(removals(3), rules, small, scope="run").ok


def test_percent_with_unknown_size_needs_a_read_only_when_it_could_matter() -> None:
    """Incomplete rosters: sizes_needed names the space only if the percentage could trip."""
    rules = ruleset(max_removal_percent=25, min_space_size_for_percent=8)
    assert safety.sizes_needed(removals(1), rules, {}) == ()
    assert safety.sizes_needed(removals(3), rules, {}) == (S,)
    assert safety.check(removals(3), rules, {}, scope="event", sizes={S: 100}).ok
    assert safety.check(removals(3), rules, {}, scope="event", sizes={S: 10}).held


def test_no_limits_never_hold() -> None:
    """An empty safety section holds nothing."""
    assert safety.check(removals(500), ruleset(), {}, scope="event").ok


def test_guard_refuses_protected_unmanaged_apps_and_the_last_owner() -> None:
    """Every never-rule turns the operation into a Skipped, and the rest survives."""
    app = Membership(
        S, Email("bot@example.com"), Role.MEMBER, f"{S}/members/app", kind=MemberKind.BOT
    )
    owner = member("owner@example.com", Role.OWNER)
    current = {
        S: planning.SpaceState(
            S,
            {Email("bot@example.com"): app, Email("owner@example.com"): owner},
            frozenset({Email("owner@example.com")}),
            False,
        )
    }
    ops = (
        planning.RemoveMember(S, Email("boss@example.com"), f"{S}/members/9", Role.MEMBER),
        planning.AddMember(SpaceName("spaces/ZZZZ"), Email("x@example.com"), Role.MEMBER),
        planning.RemoveMember(S, Email("bot@example.com"), f"{S}/members/app", Role.MEMBER),
        planning.RemoveMember(S, Email("owner@example.com"), f"{S}/members/1", Role.OWNER),
        planning.RemoveMember(S, Email("ok@example.com"), f"{T}/members/7", Role.MEMBER),
        planning.AddMember(S, Email("new@example.com"), Role.MEMBER),
    )
    guarded = safety.guard(planning.Plan(ops), ruleset(), current)
    assert [op.email for op in guarded.operations] == ["new@example.com"]
    whys = sorted(s.why for s in guarded.skipped)
    assert len(whys) == 5
    assert all(w.startswith("refused by safety guard") for w in whys)


def test_guard_lets_an_owner_go_when_another_is_added() -> None:
    """Handing a space to a new owner in the same plan is fine."""
    owner = member("owner@example.com", Role.OWNER)
    current = {
        S: planning.SpaceState(
            S, {Email("owner@example.com"): owner}, frozenset({Email("owner@example.com")}), True
        )
    }
    ops = (
        planning.AddMember(S, Email("new@example.com"), Role.OWNER),
        planning.RemoveMember(S, Email("owner@example.com"), owner.name, Role.OWNER),
    )
    plan = planning.Plan(ops)
    assert safety.guard(plan, ruleset(), current) is plan
