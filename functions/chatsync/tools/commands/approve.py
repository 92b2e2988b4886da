"""``chatsync approve PLAN_ID``: release a plan the safety limits held; ``--list`` shows them.

A plan is held when its removals and demotions exceed a ``safety:`` limit of the rules file
(docs/safety.md). Approving re-reads every membership it touches, applies the operations whose
premise still holds (skipping people a newer event has since moved) and records who approved.
The same happens for ``{"kind": "approve", "plan_id": "..."}`` on the reconcile topic.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "approve",
        help="release a plan held by the safety limits (or --list them)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("plan_id", metavar="PLAN_ID", nargs="?", help="id from the held-plan log line")
    p.add_argument("--list", action="store_true", help="list held plans and exit")
    p.add_argument("--by", metavar="WHO", help="recorded as the approver (default: $USER)")
    p.add_argument("-v", "--verbose", action="store_true", help="log each change to stderr")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.domain import holding
    from chatsync.runtime import build_pipeline
    from chatsync.tools.commands.reconcile import logger

    pipeline = build_pipeline(settings_from(args), log=logger(args))
    if args.list or not args.plan_id:
        held = pipeline.store.list_docs(holding.KIND)
        for plan_id, doc in held:
            summary = ", ".join(f"{n} {k}" for k, n in (doc.get("summary") or {}).items() if n)
            print(
                f"{plan_id}  {doc.get('status')}  {doc.get('scope')} {doc.get('run_id')}: "
                f"{summary}; {'; '.join(doc.get('reasons') or [])}"
            )
        if not held:
            print("No held plans.")
        return 0
    report = pipeline.approve(args.plan_id, log=pipeline.log, approved_by=args.by or _user())
    counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
    print(f"Plan {args.plan_id}: {counts or 'nothing left to do'}.")
    for skip in report.skipped:
        print(f"  skipped {skip.email} in {skip.space}: {skip.why}")
    failures = (*report.retryable_failures, *report.permanent_failures)
    for result in failures:
        print(f"  failed: {result.op.email} in {result.op.space}: {result.detail}")
    if failures:
        print(f"{len(failures)} change(s) failed; approve again to retry", file=sys.stderr)
    return 1 if failures else 0


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
