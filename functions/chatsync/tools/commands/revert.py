"""``chatsync revert RUN``: build the plan that undoes a run, show it, apply it only if asked.

The run's audit entries say, for each membership it changed, the role before its first change;
the revert plan restores that. It is planned by the same planner (protected people, last
owners, unmanaged spaces and apps stay untouched), and a membership that moved again since the
run is skipped rather than clobbered (``--force`` reverts it anyway). An interrupted run is
reverted the same way: a write it sent without an answer is undone if it landed.

Nothing is written without ``--apply`` (which asks on a terminal) or ``--yes`` (which does
not ask). Applied, the revert is audited as a run of its own. It restores memberships to what
they were before the run, so the removal limits do not hold it, unless ``--force`` (which may
overwrite later changes).
"""

from __future__ import annotations

import argparse
import json

from chatsync.tools.commands.common import add_connection_flags, add_yes_flag
from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "revert",
        help="plan (and with --apply, apply) the undo of a run from the audit trail",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_id", metavar="RUN", help="run id (see `chatsync audit`)")
    p.add_argument("--apply", action="store_true", help="apply the plan (asks on a terminal)")
    add_yes_flag(p)
    p.add_argument("--force", action="store_true", help="also revert memberships changed since")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log each change to stderr")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.app import reverting
    from chatsync.app.pipeline import new_run_id
    from chatsync.domain import errors, rendering
    from chatsync.runtime import build_pipeline
    from chatsync.tools import applying
    from chatsync.tools.commands.common import announce, locate, settings_from
    from chatsync.tools.commands.reconcile import logger
    from chatsync.tools.terminal import Terminal

    term = Terminal()
    applies = bool(args.apply or args.yes)
    located = locate(args)
    settings = settings_from(args, located=located, state="update" if applies else "optional")
    if applies:
        announce(term, settings, located)
    log = logger(args)
    pipeline = build_pipeline(settings, log=log)
    entries = pipeline.store.audit(run=args.run_id)
    if not entries:
        where = f"the state at {located.state}" if located.state is not None else "the state"
        raise errors.PlanRefused(
            f"run {args.run_id!r} has no audit entries in {where}: nothing to revert "
            "(check the id with `chatsync audit`, and the state with --state)"
        )
    revert = reverting.build(
        args.run_id, entries, ruleset=pipeline.ruleset, chat=pipeline.chat, force=args.force
    )
    the_plan = revert.plan
    names: dict[str, str] = {s.name: s.id for s in pipeline.ruleset.spaces}
    body = rendering.plan_json(the_plan.operations, the_plan.skipped)
    body.update(already_undone=len(revert.undone))
    if not the_plan.operations:
        if args.json:
            body.update(run_id=args.run_id, applied=False)
            print(json.dumps(body, indent=2))
            return applying.EXIT_DONE
        if revert.undone and not the_plan.skipped:
            term.say(
                f"Run {args.run_id} is already undone: the {len(revert.undone)} membership(s) "
                "it changed are as they were before it. Nothing to do."
            )
        else:
            term.plan(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
            term.say(f"Nothing to revert in run {args.run_id}.")
        return applying.EXIT_DONE
    if not args.json:
        term.say(f"Revert of run {args.run_id} ({len(revert.touched)} memberships it changed):")
        term.plan(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
        if revert.undone:
            term.say(f"({len(revert.undone)} already as they were before the run: left alone.)")
    if not applies:
        if args.json:
            body.update(run_id=args.run_id, applied=False)
            print(json.dumps(body, indent=2))
        else:
            term.say(f"\nNothing applied. Apply it: chatsync revert {args.run_id} --apply")
        return applying.EXIT_DONE
    count = len(the_plan.operations)
    refused = applying.ask(term, args, count=count, what=f"revert these {count} change(s)")
    if refused is not None:
        if args.json:
            body.update(run_id=args.run_id, applied=False)
            print(json.dumps(body, indent=2))
        return refused
    run_id = new_run_id("revert")
    apply_run = applying.Run(term, pipeline, run_id, "revert", count)
    report = apply_run.apply(
        lambda: pipeline.execute(
            the_plan,
            run_id=run_id,
            log=log.bind(reverts=args.run_id),
            current=revert.current,
            scope=revert.scope,
        )
    )
    if args.json:
        body.update(run_id=run_id, reverts=args.run_id, applied=True)
        body.update(interrupted=apply_run.interrupted)
        if report is not None:
            body.update(outcomes=report.summary())
        print(json.dumps(body, indent=2))
    if apply_run.interrupted or report is None:
        return apply_run.tell_interrupted(json_output=args.json)
    if not args.json:
        counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
        term.say(f"\nRun {run_id} reverted {args.run_id}: {counts or 'nothing to do'}.")
        for key, value in report.extra.items():
            term.say(f"  {key}: {value}")
        for result in (*report.retryable_failures, *report.permanent_failures):
            term.say(f"  failed: {result.op.email} in {result.op.space}: {result.detail}")
    return applying.EXIT_FAILED if applying.failures(report) else applying.EXIT_DONE
