"""``chatsync apply PLAN.json``: apply exactly a reviewed plan, or refuse.

The plan file (from ``chatsync reconcile --out``) records every membership it touches as it
was read when planned. Each is read again first; if any moved (someone was added, removed or
re-roled since, or a space's owners changed where the plan demotes an owner), nothing is
applied and the error names each change: plan again and review again. Otherwise its operations,
and nothing else, are shown and then applied (after the question on a terminal, or with
``--yes``) through the same executor, rails and audit trail as any run.

A reviewed plan answers to the per-run limits (``max_removals_per_run``, the percentage). If
it exceeds one, nothing is applied and the error names the limit: an admin who reviewed it
and means it runs again with ``--approve``, which applies it beyond the limits (the never-rules
of ``safety.guard`` still hold). Nothing is left waiting in the held plans.
"""

from __future__ import annotations

import argparse
import json

from chatsync.tools.commands.common import add_connection_flags, add_yes_flag
from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "apply",
        help="apply exactly a reviewed plan file; refuse if Chat moved since",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("plan", metavar="PLAN.json", help="a plan saved by `chatsync reconcile --out`")
    p.add_argument(
        "--approve",
        action="store_true",
        help="apply it even if it exceeds the per-run safety limits (you reviewed it)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log each change to stderr")
    add_yes_flag(p)
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.app import gate, plan_files
    from chatsync.app.pipeline import new_run_id
    from chatsync.domain import errors, rendering, safety
    from chatsync.runtime import build_pipeline
    from chatsync.tools import applying
    from chatsync.tools.commands.common import announce, locate, settings_from
    from chatsync.tools.commands.reconcile import logger
    from chatsync.tools.terminal import Terminal

    term = Terminal()
    located = locate(args)
    settings = settings_from(args, located=located)
    announce(term, settings, located)
    saved = plan_files.read(args.plan)
    log = logger(args)
    pipeline = build_pipeline(settings, log=log)
    plan_files.refuse_if_moved(saved, pipeline.chat, where=args.plan)
    run_id = new_run_id("apply")
    log = log.bind(plan_id=saved.plan_id)
    guarded = safety.guard(
        saved.plan, pipeline.ruleset, gate.owners_of(pipeline.deps(), saved.plan)
    )
    verdict = gate.limits(pipeline.deps(), guarded, {}, scope="run")
    if verdict.held and not args.approve:
        raise errors.PlanRefused(
            f"{args.plan} ({saved.plan_id}) exceeds the safety limits; nothing was applied: "
            + "; ".join(verdict.reasons)
            + f". If you reviewed it and mean it: chatsync apply {args.plan} --approve"
        )
    body = rendering.plan_json(saved.plan.operations, saved.plan.skipped)
    names: dict[str, str] = {s.name: s.id for s in pipeline.ruleset.spaces}
    if not args.json:
        term.say(f"Plan {saved.plan_id} checked against Chat: unchanged since it was made.")
        term.plan(rendering.plan_text(saved.plan.operations, saved.plan.skipped, names))
    count = len(saved.plan.operations)
    refused = applying.ask(term, args, count=count, what=f"apply these {count} change(s)")
    if refused is not None:
        if args.json:
            print(json.dumps(body, indent=2))
        return refused
    if verdict.held:
        log.warning(
            "applying a reviewed plan beyond the safety limits (--approve): "
            + "; ".join(verdict.reasons),
            run_id=run_id,
            losses=verdict.losses,
        )
    apply_run = applying.Run(term, pipeline, run_id, "apply", count)
    report = apply_run.apply(
        lambda: pipeline.execute(
            saved.plan, run_id=run_id, log=log, scope=None if args.approve else "run"
        )
    )
    if args.json:
        body.update(run_id=run_id, plan_id=saved.plan_id, interrupted=apply_run.interrupted)
        if report is not None:
            body.update(outcomes=report.summary())
        print(json.dumps(body, indent=2))
    if apply_run.interrupted or report is None:
        return apply_run.tell_interrupted(json_output=args.json)
    failures = applying.failures(report)
    if not args.json:
        counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
        term.say(f"Run {run_id}: {counts or 'nothing to do'}.")
        for key, value in report.extra.items():
            term.say(f"  {key}: {value}")
        for result in (*report.retryable_failures, *report.permanent_failures):
            term.say(f"  failed: {result.op.email} in {result.op.space}: {result.detail}")
        if report.results:
            term.say(f"Undo it: chatsync revert {run_id}")
    if failures:
        term.error(f"{failures} change(s) failed")
    return applying.EXIT_FAILED if failures else applying.EXIT_DONE
