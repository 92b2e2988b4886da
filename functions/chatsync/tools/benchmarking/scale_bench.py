"""``chatsync bench --scale``: a 100,000-person org, 1,025 spaces: planned, read, reorganised.

Three phases, one process, one Workspace emulator serving the generated store:

1. **plan**: the pure plan of the reorg's full reconcile (rules decided by index for everyone,
   then the planner), without HTTP: ``plan_s``. Its write count is the oracle
   (``necessary_writes``): what a correct engine must write, and nothing else.
2. **reads**: the reconcile function's survey against the emulator (the Directory: people and
   the groups the rules name; Chat: every roster, paged at 1000, read side by side). Chat's read
   quota (3000 a minute, 15 a second per space) bounds it; ``read_quota_utilization`` is that
   bound over the time the Chat reads took. The quota clock runs at ``read_time_scale`` (0.5:
   half speed), so that the emulator, which shares the CPU, is not what limits the reads.
3. **reorg**: the survey's plan fanned out as work items (``reconciling.fan_out``) and applied by
   ``instances`` work instances (``work_instances``) at the quotas time-scaled by
   ``time_scale``, each at the per-instance rate (the project's 300 writes a minute split among
   them) and within the invocation budget (486 s, the work function's, scaled too). Writes,
   429s, lost changes, invocations and the longest one are read back from the emulator's call
   log and store.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatsync.domain import model, planning
from chatsync.domain.rules.index import compile_rules, decide_all
from chatsync.tools.benchmarking import scale_org as orgs
from chatsync.tools.benchmarking import work_instances

WRITES_PER_MINUTE, READS_PER_MINUTE, SPACE_READS_PER_SECOND = 300.0, 3000.0, 15.0
READS = ("spaces.members.get", "spaces.members.list")
WRITES = ("spaces.members.create", "spaces.members.delete", "spaces.members.patch")


@dataclass(frozen=True, slots=True)
class ScaleConfig:
    out_dir: Path
    people: int = 100_000
    departments: float = 0.02
    """Share of the departments the reorg moves to another division."""
    promotions: float = 0.04
    """Share of the active IC1..IC5 people the reorg promotes."""
    time_scale: float = 20.0
    """Quota time speed-up for the reorg phase."""
    read_time_scale: float = 0.5
    instances: int = 3
    """Work instances; each gets floor(300 / instances) writes a minute."""
    invocation_budget_s: float = 486.0
    """The work function's budget as Terraform sets it (540 s timeout less a tenth)."""
    item_size: int = 50
    survey_workers: int = 8


def _quiet() -> Any:
    from chatsync.app.logs import Logger

    return Logger(level="ERROR", stream=io.StringIO())


def _instance(
    rules: Path,
    url: str,
    *,
    ruleset: Any,
    store: Any,
    name: str,
    writes_per_minute: float,
    reads_per_minute: float,
    space_reads_per_second: float,
    time_scale: float,
    workers: int = 1,
    work: Any = None,
    budget_s: float = 270.0,
    item_size: int = 50,
) -> Any:
    """One function instance: the real pipeline at its own rates, sharing ``store``."""
    from chatsync.adapters.chat.ratelimit import Limits, RateLimitedChat
    from chatsync.runtime import build_pipeline
    from chatsync.tools.benchmarking.running import bench_settings, find_layer

    pipeline = build_pipeline(bench_settings(rules, url), log=_quiet(), store=store)
    pipeline.ruleset = ruleset
    find_layer(pipeline.chat, RateLimitedChat).limits = Limits(
        writes_per_minute=writes_per_minute,
        reads_per_minute=reads_per_minute,
        space_reads_per_second=space_reads_per_second,
        burst_seconds=1.0 / time_scale,  # one second of quota time, as deployed
    )
    pipeline.instance = name
    pipeline.workers = workers
    pipeline.work = work
    pipeline.invocation_budget_s = budget_s
    pipeline.work_item_size = item_size
    return pipeline


def plan_phase(
    org: orgs.ScaleOrg,
    people: tuple[model.Person, ...],
    changed: Collection[model.Email],
    *,
    clock: Callable[[], float],
) -> tuple[planning.Plan, float, int]:
    """The reorg's pure plan, the seconds it took (as ``reconciling.survey`` plans), and the
    membership reads work items by people would make: one per space where a changed person
    gets a role or is a member (what ``person_sync.plan_person`` reads with presence known)."""
    start = clock()
    rosters = {name: state.members for name, state in org.current.items()}
    decisions = decide_all(compile_rules(org.ruleset), people, rosters)
    the_plan = planning.plan(org.ruleset, decisions, org.current)
    seconds = clock() - start
    wanted = set(changed)
    return the_plan, seconds, sum(1 for d in decisions if d.email in wanted)


def _expected(
    the_plan: planning.Plan, current: Mapping[model.SpaceName, planning.SpaceState]
) -> tuple[dict[tuple[str, str], str | None], dict[str, int]]:
    """Each planned change as (space, email) -> the API role after it (None: gone), and each
    space's member count after the plan."""
    changes: dict[tuple[str, str], str | None] = {}
    sizes: dict[str, int] = {name: len(state.members) for name, state in current.items()}
    for op in the_plan.operations:
        if isinstance(op, planning.RemoveMember):
            changes[(op.space, op.email)] = None
            sizes[op.space] -= 1
        elif isinstance(op, planning.AddMember):
            changes[(op.space, op.email)] = op.role.api
            sizes[op.space] += 1
        else:
            changes[(op.space, op.email)] = op.new.api
    return changes, sizes


def lost_changes(
    store: Any,
    changes: Mapping[tuple[str, str], str | None],
    sizes: Mapping[str, int],
    emails: Mapping[str, str],
) -> int:
    """Planned changes not in the emulator's store now, plus any member count that is off
    (a write nobody planned)."""
    lost = 0
    for (space, email), role in changes.items():
        user = emails.get(email, "")
        found = store.spaces[space].memberships.get(user)
        if role is None:
            lost += found is not None
        else:
            lost += found is None or found.role != role
    for space, size in sizes.items():
        humans = sum(1 for m in store.spaces[space].memberships.values() if m.kind == "HUMAN")
        lost += abs(humans - size)
    return lost


def read_phase(
    cfg: ScaleConfig, emu: Any, rules: Path, *, ruleset: Any, store: Any
) -> tuple[Any, Any, dict[str, Any]]:
    """The reconcile function's survey; returns its pipeline, the survey and the figures."""
    from chatsync.app import reconciling

    scale = cfg.read_time_scale
    emu.set_quotas(True)
    emu.set_time_scale(scale)
    reconcile = _instance(
        rules,
        emu.url,
        ruleset=ruleset,
        store=store,
        name="reconcile-0",
        writes_per_minute=WRITES_PER_MINUTE * scale,
        reads_per_minute=READS_PER_MINUTE * scale,
        space_reads_per_second=SPACE_READS_PER_SECOND * scale,
        time_scale=scale,
        workers=cfg.survey_workers,
    )
    mark = len(emu.calls())
    began = time.perf_counter()
    survey = reconciling.survey(reconcile.deps(), log=_quiet())
    seconds = time.perf_counter() - began
    calls = emu.calls(mark)
    reads = [c for c in calls if c["method"] in READS]
    pages: dict[str, int] = {}
    for call in reads:
        space = "/".join(str(call.get("path", "")).split("/")[2:4])
        pages[space] = pages.get(space, 0) + 1
    window = (max(c["time"] for c in reads) - min(c["time"] for c in reads)) if reads else 0.0
    window_scaled = window * scale
    # The buckets start full: the first second's worth of reads goes at once, quota or not;
    # and the window runs from the first call to the start of the last (one interval fewer).
    burst = READS_PER_MINUTE / 60
    bound = max(
        max(0.0, len(reads) - 1 - burst) / READS_PER_MINUTE * 60,
        max(pages.values(), default=0) / SPACE_READS_PER_SECOND,
    )
    return (
        reconcile,
        survey,
        {
            "survey_s": round(seconds, 1),
            "directory_calls": sum(1 for c in calls if str(c["method"]).startswith("directory.")),
            "read_calls": len(reads),
            "busiest_space_reads": max(pages.values(), default=0),
            "http_429": sum(1 for c in reads if c["status"] == 429),
            "read_time_scale": scale,
            "reads_scaled_s": round(window_scaled, 1),
            "read_quota_bound_s": round(bound, 1),
            "read_quota_utilization": round(bound / window_scaled, 3) if window_scaled else 0.0,
            "planned_writes": orgs.writes(survey.plan),
        },
    )


def reorg_phase(
    cfg: ScaleConfig,
    emu: Any,
    rules: Path,
    *,
    ruleset: Any,
    reconcile: Any,
    survey: Any,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """The survey's plan fanned out and applied by the work instances."""
    from chatsync.app import reconciling

    scale = cfg.time_scale
    emu.set_time_scale(scale)
    topic = work_instances.Topic(time_scale=scale)
    share = WRITES_PER_MINUTE // cfg.instances
    workers = [
        _instance(
            rules,
            emu.url,
            ruleset=ruleset,
            store=reconcile.store,
            name=f"work-{i}",
            writes_per_minute=share * scale,
            reads_per_minute=(READS_PER_MINUTE // cfg.instances) * scale,
            space_reads_per_second=SPACE_READS_PER_SECOND * scale,
            time_scale=scale,
            work=topic,
            budget_s=cfg.invocation_budget_s / scale,
            item_size=cfg.item_size,
        )
        for i in range(cfg.instances)
    ]
    reconcile.work = topic
    reconcile.work_item_size = cfg.item_size
    mark = len(emu.calls())
    planned = time.perf_counter()
    reconciling.fan_out(reconcile.deps(), survey, run_id="bench-scale-reorg", log=_quiet())
    published = topic.published
    progress(f"reorg: {published} work items on {cfg.instances} instances")
    errors: list[str] = []
    # The clock starts with the items on the topic: the reconcile's own work before (presence
    # records, publishing) is CPU time, and scaling it as quota time would inflate it.
    began = time.perf_counter()
    seen = work_instances.serve(topic, workers, on_error=errors.append)
    elapsed = (time.perf_counter() - began) * scale
    calls = emu.calls(mark)
    writes = [c for c in calls if c["method"] in WRITES]
    write_calls = sum(1 for c in writes if c["status"] == 200)
    # As for reads: the buckets start full (a second of quota), the window ends at a start.
    bound = max(0.0, write_calls - 1 - WRITES_PER_MINUTE / 60) / WRITES_PER_MINUTE * 60
    return {
        "write_calls": write_calls,
        "write_attempts": len(writes),
        "http_429": sum(1 for c in calls if c["status"] == 429),
        "calls": len(calls),
        "items": published,
        "fan_out_s": round(began - planned, 1),
        "continuations": topic.continuations,
        "instances": cfg.instances,
        "writes_per_instance_minute": share,
        "time_scale": scale,
        "elapsed_scaled_s": round(elapsed, 1),
        "quota_bound_s": round(bound, 1),
        "quota_utilization": round(bound / elapsed, 3) if elapsed > 0 else 0.0,
        "invocation_budget_s": cfg.invocation_budget_s,
        **work_instances.invocation_summary(seen, time_scale=scale),
        "errors": errors[:5],
    }


def run(cfg: ScaleConfig, *, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every phase; the raw figures ``scale_report.summary`` turns into the ``scale`` JSON."""
    from workspace_emulator.server import EmulatorServer

    began = time.perf_counter()
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    shape = orgs.Shape(people=cfg.people, drift=0.0)
    progress(f"generating an org of {shape.people} people and {shape.spaces} spaces")
    org = orgs.generate(shape)
    reorg = orgs.reorg(org, departments=cfg.departments, promotions=cfg.promotions)
    progress(f"plan: {len(reorg.changed)} people changed; the pure plan of everyone")
    the_plan, plan_s, by_people = plan_phase(
        org, reorg.people, reorg.changed, clock=time.perf_counter
    )
    necessary = orgs.writes(the_plan)
    changes, sizes = _expected(the_plan, org.current)
    figures: dict[str, Any] = {
        "people": len(org.people),
        "spaces": len(org.current),
        "memberships": org.memberships,
        "plan_s": round(plan_s, 3),
        "plan": the_plan.summary(),
        "changed_people": len(reorg.changed),
        "reads_if_items_by_people": by_people,
        "all_hands_members": sorted((len(s.members) for s in org.current.values()), reverse=True)[
            :4
        ],
    }
    rules = cfg.out_dir / "scale-rules.yaml"
    rules.write_text(org.rules_text, encoding="utf-8")
    progress("building the emulator's store (Directory after the reorg, rosters before it)")
    store = orgs.emulator_store(org, people=reorg.people)
    ruleset = org.ruleset
    emails: dict[str, str] = {p.email: p.google_user_id or "" for p in reorg.people}
    del org, reorg, the_plan
    gc.collect()
    with EmulatorServer(None, quotas=True) as emu:
        emu.emulator.world.store = store
        progress(f"reads: the reconcile's survey, quota time x{cfg.read_time_scale:g}")
        from chatsync.adapters.store import MemoryStore

        reconcile, survey, reads = read_phase(cfg, emu, rules, ruleset=ruleset, store=MemoryStore())
        progress(f"reorg: {necessary} necessary writes, quota time x{cfg.time_scale:g}")
        reorg_figures = reorg_phase(
            cfg,
            emu,
            rules,
            ruleset=ruleset,
            reconcile=reconcile,
            survey=survey,
            progress=progress,
        )
        del survey
        emu.set_time_scale(1.0)
        lost = lost_changes(store, changes, sizes, emails)
    figures["reads"] = reads
    figures["reorg"] = {"necessary_writes": necessary, "lost_changes": lost, **reorg_figures}
    figures["rss_mb"] = orgs.peak_rss_mb()
    figures["total_s"] = round(time.perf_counter() - began, 1)
    return figures
