"""``chatsync apply PLAN.json``: apply exactly a reviewed plan, or refuse.

The plan file (from ``chatsync reconcile --out``) records every membership it touches as it
was read when planned. Each is read again first; if any moved (someone was added, removed or
re-roled since, or a space's owners changed where the plan demotes an owner), nothing is
applied and the error names each change: plan again and review again. Otherwise its operations,
and nothing else, are applied through the same executor, rails and audit trail as any run.
"""

from __future__ import annotations

import argparse
import json
import sys

from chatsync.commands.common import add_connection_flags, settings_from
from chatsync.commands.reconcile import logger


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "apply",
        help="apply exactly a reviewed plan file; refuse if Chat moved since",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("plan", metavar="PLAN.json", help="a plan saved by `chatsync reconcile --out`")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log each change to stderr")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync import plan_files, rendering
    from chatsync.pipeline import new_run_id
    from chatsync.runtime import build_pipeline

    saved = plan_files.read(args.plan)
    log = logger(args)
    pipeline = build_pipeline(settings_from(args), log=log)
    plan_files.refuse_if_moved(saved, pipeline.chat, where=args.plan)
    run_id = new_run_id("apply")
    report = pipeline.execute(
        saved.plan, run_id=run_id, log=log.bind(plan_id=saved.plan_id), scope="run"
    )
    failures = len(report.retryable_failures) + len(report.permanent_failures)
    if args.json:
        body = rendering.plan_json(saved.plan.operations, saved.plan.skipped)
        body.update(run_id=run_id, plan_id=saved.plan_id, outcomes=report.summary())
        print(json.dumps(body, indent=2))
    else:
        counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
        print(f"Plan {saved.plan_id} checked against Chat: unchanged since it was made.")
        print(f"Run {run_id}: {counts or 'nothing to do'}.")
        for key, value in report.extra.items():
            print(f"  {key}: {value}")
        for result in (*report.retryable_failures, *report.permanent_failures):
            print(f"  failed: {result.op.email} in {result.op.space}: {result.detail}")
        if report.results:
            print(f"Undo it: chatsync revert {run_id}")
    if failures:
        print(f"{failures} change(s) failed", file=sys.stderr)
    return 1 if failures else 0
