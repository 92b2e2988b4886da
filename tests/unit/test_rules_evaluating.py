"""Evaluating rules: highest role wins, exclusions, inactive and protected people, explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import model
from chatsync.domain.rules import evaluate, explain, load_rules

RULES = load_rules(Path(__file__).parent.parent / "data" / "rules" / "example.yaml")
ENG, LEADS, ALL = "spaces/AAAAeng", "spaces/AAAAleads", "spaces/AAAAall"
M, G, OWN = model.Role.MEMBER, model.Role.MANAGER, model.Role.OWNER


def person(email: str = "ana@example.com", **facts: Any) -> model.Person:
    return model.Person(email=model.Email(email), **facts)


def roles(p: model.Person) -> dict[str, model.Role | None]:
    return {d.space: d.role for d in evaluate(RULES, p)}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({}, {ALL: M, ENG: None, LEADS: None}),
        ({"org_unit_path": "/Engineering/Data"}, {ALL: M, ENG: M, LEADS: None}),
        ({"org_unit_path": "/Engineering"}, {ALL: M, ENG: M, LEADS: None}),
        ({"org_unit_path": "/EngineeringOps"}, {ALL: M, ENG: None, LEADS: None}),
        (
            {
                "org_unit_path": "/Engineering/Data",
                "employment_status": model.EmploymentStatus.LEAVE,
            },
            {ALL: None, ENG: None, LEADS: None},
        ),
        (
            {"org_unit_path": "/Engineering", "is_people_manager": True, "department": "Data"},
            {ALL: M, ENG: G, LEADS: G},
        ),
        ({"is_people_manager": True, "department": "Sales"}, {ALL: M, ENG: None, LEADS: None}),
        (
            {
                "groups": frozenset({model.Email("eng-owners@example.com")}),
                "is_people_manager": True,
                "department": "Data",
            },
            {ALL: M, ENG: OWN, LEADS: OWN},
        ),
        (
            {"title": "Principal Engineering Manager", "custom": {"job_level": "M3"}},
            {ALL: M, ENG: OWN, LEADS: OWN},
        ),
        (
            {"title": "Principal Engineering Manager", "custom": {"job_level": "M1"}},
            {ALL: M, ENG: None, LEADS: None},
        ),
        (
            {"groups": frozenset({model.Email("sec-admins@example.com")})},
            {ALL: OWN, ENG: OWN, LEADS: OWN},
        ),
        (
            {
                "employment_status": model.EmploymentStatus.TERMINATED,
                "groups": frozenset({model.Email("it-admins@example.com")}),
            },
            {ALL: None, ENG: None, LEADS: None},
        ),
        (
            {"employment_status": model.EmploymentStatus.SUSPENDED},
            {ALL: None, ENG: None, LEADS: None},
        ),
        (
            {"employment_status": model.EmploymentStatus.PRE_HIRE},
            {ALL: None, ENG: None, LEADS: None},
        ),
    ],
)
def test_the_highest_granted_role_wins_per_space(
    facts: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Each managed space gets the highest role any matching, non-excluded rule grants."""
    assert roles(person(**facts)) == expected


def test_decisions_come_one_per_managed_space_sorted_by_name() -> None:
    """evaluate returns exactly the managed spaces, in name order."""
    assert [d.space for d in evaluate(RULES, person())] == sorted(RULES.managed)


def test_reasons_name_the_rule_and_the_facts() -> None:
    """A decision's reason reads like: rule 'x' matched: <facts with values>."""
    p = person(org_unit_path="/Engineering", is_people_manager=True, department="Data")
    decision = {d.space: d for d in evaluate(RULES, p)}[ENG]
    assert decision.rule_ids == ("eng-managers",)
    assert decision.reasons == (
        "rule 'eng-managers' matched: is_people_manager is true, "
        "department 'Data' in [Platform, Data]",
    )


def test_inactive_people_are_marked_and_explained() -> None:
    """Inactive people get role None everywhere, flagged ``inactive``, with a reason."""
    for decision in evaluate(RULES, person(employment_status=model.EmploymentStatus.TERMINATED)):
        assert decision.role is None and decision.inactive
        assert "terminated: inactive people hold no role" in decision.reasons[0]


def test_protected_people_are_flagged_in_every_space() -> None:
    """A protected person's decisions carry protected=True so the planner leaves them alone."""
    decisions = evaluate(RULES, person("ceo@example.com"))
    assert all(d.protected for d in decisions)
    assert not any(d.protected for d in evaluate(RULES, person()))


def test_explain_says_which_condition_failed_and_the_actual_value() -> None:
    """explain lists every rule with the deciding condition and the resulting role per space."""
    p = person(org_unit_path="/Engineering/Data", is_people_manager=True, department="Sales")
    story = explain(RULES, p)
    by_id = {r.rule_id: r for r in story.rules}
    assert by_id["eng-everyone"].matched
    assert not by_id["eng-managers"].matched
    assert by_id["eng-managers"].reason == (
        "rule 'eng-managers' did not match: department 'Sales' not in [Platform, Data]"
    )
    assert by_id["admins-everywhere"].when.text == (
        "not a member of any of groups it-admins@example.com, sec-admins@example.com"
    )
    assert story.facts["department"] == "Sales"
    assert {s.space: s.decision.role for s in story.spaces} == {ALL: M, ENG: M, LEADS: None}
    assert any(
        "=> spaces/AAAAeng (engineering, authoritative): member" in line for line in story.lines()
    )
    assert story.as_dict()["spaces"][1]["role"] == "member"  # type: ignore[index]


def test_explain_reports_an_exclusion() -> None:
    """A rule whose ``unless`` holds is reported as excluded, with the reason."""
    p = person(org_unit_path="/Engineering", employment_status=model.EmploymentStatus.LEAVE)
    rule = {r.rule_id: r for r in explain(RULES, p).rules}["eng-everyone"]
    assert rule.excluded and not rule.matched
    assert rule.reason == "rule 'eng-everyone' excluded: unless employment_status is 'leave'"


def test_explain_can_focus_on_one_space() -> None:
    """explain(space=handle) keeps only the rules and outcome for that space."""
    story = explain(RULES, person(), space="eng-leads")
    assert [s.space for s in story.spaces] == [LEADS]
    assert {r.rule_id for r in story.rules} == {"eng-managers", "eng-owners", "admins-everywhere"}
    with pytest.raises(ValueError, match="not a managed space"):
        explain(RULES, person(), space="spaces/elsewhere")


def test_evaluation_is_deterministic() -> None:
    """The same facts always give the same decisions."""
    p = person(
        org_unit_path="/Engineering", groups=frozenset({model.Email("it-admins@example.com")})
    )
    assert evaluate(RULES, p) == evaluate(RULES, p)
