"""The generated scale org, at a small size: deterministic, the promised shape, in step with its
own rules, and the same plan whichever evaluator (or the emulator over HTTP) produced it."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest

from chatsync.adapters import directory
from chatsync.app import reconciling
from chatsync.app.logs import Logger
from chatsync.domain import model, planning
from chatsync.domain.rules import evaluate, load_rules_text
from chatsync.domain.rules.index import compile_rules, decide_all
from chatsync.tools.benchmarking import running
from chatsync.tools.benchmarking import scale_org as orgs

pytestmark = pytest.mark.scale

SMALL = orgs.Shape.small(1_500)


@pytest.fixture(scope="module")
def org() -> orgs.ScaleOrg:
    return orgs.generate(SMALL)


@pytest.fixture(scope="module")
def in_step() -> orgs.ScaleOrg:
    return orgs.generate(orgs.Shape.small(1_500, drift=0.0))


def plan_with_evaluate(org: orgs.ScaleOrg, people: tuple[model.Person, ...]) -> planning.Plan:
    """The plan as ``reconciling.survey`` decides it: ``evaluate`` for everyone."""
    decisions = [
        d
        for p in people
        for d in evaluate(org.ruleset, p)
        if d.role is not None or d.email in org.current[d.space].members
    ]
    return planning.plan(org.ruleset, decisions, org.current)


def plan_with_index(org: orgs.ScaleOrg, people: tuple[model.Person, ...]) -> planning.Plan:
    rosters = {name: state.members for name, state in org.current.items()}
    decisions = decide_all(compile_rules(org.ruleset), people, rosters)
    return planning.plan(org.ruleset, decisions, org.current)


def test_the_same_shape_and_seed_give_the_same_org(org: orgs.ScaleOrg) -> None:
    """Rules, facts and rosters are a function of the shape; another seed gives other people."""
    again = orgs.generate(SMALL)
    assert again.rules_text == org.rules_text
    assert again.people == org.people
    assert again.current == org.current
    other = orgs.generate(orgs.Shape.small(1_500, seed=SMALL.seed + 1))
    assert other.rules_text == org.rules_text
    assert other.people != org.people


def test_the_org_has_the_people_spaces_and_all_hands_the_shape_asks_for(
    org: orgs.ScaleOrg,
) -> None:
    """Everyone plus ops@; every space of the shape managed and read; the all-hands spaces
    hold nearly everyone (``all``) and about a region's share (``region-*``)."""
    assert len(org.people) == SMALL.people + 1
    assert len({p.email for p in org.people}) == len(org.people)
    assert len(org.ruleset.spaces) == len(org.current) == SMALL.spaces
    sizes = {name: len(state.members) for name, state in org.current.items()}
    assert sizes[model.SpaceName("spaces/SCALEall")] > 0.9 * SMALL.people
    for region in range(SMALL.regions):
        share = sizes[model.SpaceName(f"spaces/SCALEregion{region:03d}")] / SMALL.people
        assert 0.6 / SMALL.regions < share < 1.4 / SMALL.regions
    assert all(orgs.OPS in state.owners for state in org.current.values())
    levels = Counter(p.job_level for p in org.people[1:])
    assert set(levels) == set(orgs.LEVELS)
    statuses = Counter(p.employment_status for p in org.people)
    assert statuses[model.EmploymentStatus.ACTIVE] > 0.9 * len(org.people)
    assert {model.EmploymentStatus.LEAVE, model.EmploymentStatus.SUSPENDED} <= set(statuses)


def test_the_full_shape_is_100k_people_and_over_1000_spaces() -> None:
    """The default shape (its people not generated here) is the benchmark's size, and its
    rules file loads with a space per counted space."""
    full = orgs.Shape()
    assert full.people >= 100_000
    assert full.spaces >= 1_000
    assert len(load_rules_text(orgs.rules_text(full)).spaces) == full.spaces


def test_a_shape_refuses_sizes_that_make_no_org() -> None:
    """Bad sizes are named."""
    with pytest.raises(ValueError, match=r"Shape\.people"):
        orgs.Shape(people=0)
    with pytest.raises(ValueError, match=r"Shape\.drift"):
        orgs.Shape(drift=1.5)


def test_without_drift_the_rosters_are_the_rules_answer(in_step: orgs.ScaleOrg) -> None:
    """The generator builds rosters from the facts without evaluating rules; ``evaluate`` and
    the index both find nothing to change."""
    assert plan_with_evaluate(in_step, in_step.people) == planning.Plan()
    assert plan_with_index(in_step, in_step.people) == planning.Plan()


def test_drift_gives_the_same_plan_by_index_and_by_evaluate(org: orgs.ScaleOrg) -> None:
    """Missing members, wrong roles and strays: one plan, whichever evaluator decided."""
    the_plan = plan_with_index(org, org.people)
    summary = the_plan.summary()
    assert summary["add"] and summary["remove"] and summary["demote"]
    assert the_plan == plan_with_evaluate(org, org.people)


def test_a_reorg_moves_departments_and_promotes_with_writes_in_proportion(
    in_step: orgs.ScaleOrg,
) -> None:
    """New divisions and levels for the changed people, at least one write per ten people
    (over 10,000 at full size), and the same plan by index and by evaluate."""
    reorg = orgs.reorg(in_step)
    before = {p.email: p for p in in_step.people}
    moved = [p for p in reorg.people if p.department in reorg.moved_departments]
    assert moved and all(p.division != before[p.email].division for p in moved)
    assert reorg.promoted > 0
    assert {p.email for p in reorg.people if p != before[p.email]} == set(reorg.changed)
    the_plan = plan_with_index(in_step, reorg.people)
    assert orgs.writes(the_plan) >= len(in_step.people) / 10
    assert the_plan == plan_with_evaluate(in_step, reorg.people)


def test_measure_plan_reports_the_sizes_and_the_plan(org: orgs.ScaleOrg) -> None:
    """The figures the benchmark prints, consistent with the org measured."""
    figures = orgs.measure_plan(org)
    assert figures["people"] == len(org.people)
    assert figures["spaces"] == len(org.current)
    assert figures["memberships"] == sum(len(s.members) for s in org.current.values())
    assert figures["indexed"] is True
    assert figures["plan"] == plan_with_evaluate(org, org.people).summary()
    assert figures["writes"] >= sum(figures["plan"][k] for k in ("add", "demote", "remove"))
    assert figures["rss_mb"] > 0 and figures["plan_s"] >= 0
    slow = orgs.measure_plan(org, people=org.people[:200], indexed=False)
    assert slow["indexed"] is False and slow["people"] == 200


def test_the_emulator_store_serves_the_org_the_plan_was_made_for(tmp_path: Path) -> None:
    """Through the emulator over HTTP, the Directory adapter reads the generated facts and
    ``reconciling.survey`` (which decides with ``evaluate``) plans what the index plans."""
    from workspace_emulator import directory_api
    from workspace_emulator.server import EmulatorServer

    small = orgs.generate(orgs.Shape.small(300, drift=0.05))
    store = orgs.emulator_store(small)
    by_email = {p.email: p for p in small.people}
    for user in store.people.values():
        facts = directory_api.user_json(user, projection="full")
        assert (
            directory.person_from_json(facts, by_email[user.email].groups) == by_email[user.email]
        )
    rules = tmp_path / "scale-rules.yaml"
    rules.write_text(small.rules_text, encoding="utf-8")
    with EmulatorServer(None, quotas=False) as emu:
        emu.emulator.world.store = store
        pipeline = running.build_chatsync(rules, emu.url, time_scale=1e6, workers=2)
        survey = reconciling.survey(pipeline, log=Logger(level="ERROR", stream=io.StringIO()))
    assert survey.plan.operations
    assert survey.plan == plan_with_index(small, small.people)
