"""``chatsync revert RUN``: build the plan that undoes a run, show it, apply it only if asked.

The run's audit entries say, for each membership it changed, the role before its first change;
the revert plan restores that. It is planned by the same planner (protected people, last
owners, unmanaged spaces and apps stay untouched), and a membership that moved again since the
run is skipped rather than clobbered (``--force`` reverts it anyway). Nothing is written
without ``--apply`` (or ``--yes``); applied, the revert is audited as a run of its own and the
change thresholds hold it like any other plan.
"""

from __future__ import annotations

import argparse
import json
import sys

from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.reconcile import logger
from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "revert",
        help="plan (and with --apply, apply) the undo of a run from the audit trail",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_id", metavar="RUN", help="run id (see `chatsync audit`)")
    p.add_argument("--apply", "--yes", action="store_true", dest="apply", help="apply the plan")
    p.add_argument("--force", action="store_true", help="also revert memberships changed since")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log each change to stderr")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.app import reverting
    from chatsync.app.pipeline import new_run_id
    from chatsync.domain import rendering
    from chatsync.runtime import build_pipeline

    log = logger(args)
    pipeline = build_pipeline(settings_from(args), log=log)
    entries = pipeline.store.audit(run=args.run_id)
    revert = reverting.build(
        args.run_id, entries, ruleset=pipeline.ruleset, chat=pipeline.chat, force=args.force
    )
    the_plan = revert.plan
    names: dict[str, str] = {s.name: s.id for s in pipeline.ruleset.spaces}
    body = rendering.plan_json(the_plan.operations, the_plan.skipped)
    if not args.apply:
        if args.json:
            body.update(run_id=args.run_id, applied=False)
            print(json.dumps(body, indent=2))
        else:
            print(f"Revert of run {args.run_id} ({len(revert.touched)} memberships it changed):")
            sys.stdout.write(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
            if the_plan.operations:
                print(f"\nNothing applied. Apply it: chatsync revert {args.run_id} --apply")
        return 0
    run_id = new_run_id("revert")
    report = pipeline.execute(
        the_plan,
        run_id=run_id,
        log=log.bind(reverts=args.run_id),
        current=revert.current,
        scope="run",
    )
    failures = len(report.retryable_failures) + len(report.permanent_failures)
    if args.json:
        body.update(run_id=run_id, reverts=args.run_id, applied=True, outcomes=report.summary())
        print(json.dumps(body, indent=2))
    else:
        sys.stdout.write(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
        counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
        print(f"\nRun {run_id} reverted {args.run_id}: {counts or 'nothing to do'}.")
        for key, value in report.extra.items():
            print(f"  {key}: {value}")
    return 1 if failures else 0
