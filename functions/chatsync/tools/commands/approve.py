"""``chatsync approve PLAN_ID``: show a plan the safety limits held, then release it.

A plan is held when its removals and demotions exceed a ``safety:`` limit of the rules file
(docs/safety.md). ``--list`` lists the held plans; ``--show PLAN_ID`` prints one in full (who,
in which space, role before and after, the rules behind each change, and why it was held)
without changing anything. ``approve PLAN_ID`` prints it the same way, asks on a terminal
(``--yes`` skips the question), then re-reads every membership it touches, applies the
operations whose premise still holds (skipping people a newer event has since moved) and
records who approved. The same happens for ``{"kind": "approve", "plan_id": "..."}`` on the
reconcile topic.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatsync.tools.commands.common import add_connection_flags, add_yes_flag
from chatsync.tools.commands.subcommands import Subcommands, help_text

if TYPE_CHECKING:
    from chatsync.tools.terminal import Terminal


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "approve",
        help="show (--show) and release a plan held by the safety limits, or --list them",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("plan_id", metavar="PLAN_ID", nargs="?", help="id from the held-plan log line")
    p.add_argument("--list", action="store_true", help="list held plans and exit")
    p.add_argument("--show", action="store_true", help="print the held plan in full; apply nothing")
    p.add_argument("--by", metavar="WHO", help="recorded as the approver (default: $USER)")
    p.add_argument("-v", "--verbose", action="store_true", help="log each change to stderr")
    add_yes_flag(p)
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.domain import errors, holding
    from chatsync.runtime import build_pipeline
    from chatsync.tools import applying
    from chatsync.tools.commands.common import (
        announce,
        locate,
        settings_from,
        state_and_rules,
    )
    from chatsync.tools.commands.reconcile import logger
    from chatsync.tools.terminal import Terminal

    term = Terminal()
    reading = args.list or args.show or not args.plan_id
    located = locate(args)
    settings = settings_from(args, located=located, state="read" if reading else "update")
    if not reading:
        announce(term, settings, located)
    if reading:  # the state and the rules only: no credentials, no Chat call
        store, ruleset = state_and_rules(settings)
    else:
        pipeline = build_pipeline(settings, log=logger(args))
        store, ruleset = pipeline.store, pipeline.ruleset
    if args.list or not args.plan_id:
        return _list(term, store.list_docs(holding.KIND))
    doc = store.get_doc(holding.KIND, args.plan_id)
    if doc is None:
        raise errors.PlanRefused(
            f"no held plan {args.plan_id!r}; list the held plans: chatsync approve --list"
        )
    names: dict[str, str] = {s.name: s.id for s in ruleset.spaces}
    show(term, args.plan_id, doc, names)
    if args.show:
        if doc.get("status") == holding.HELD:
            term.say(f"\nNothing applied. Approve it: chatsync approve {args.plan_id}")
        return applying.EXIT_DONE
    if doc.get("status") == holding.APPLIED:
        term.say(f"\nPlan {args.plan_id} was already approved and applied: nothing to do.")
        return applying.EXIT_DONE
    count = len(doc.get("operations") or ())
    refused = applying.ask(
        term, args, count=count, what=f"approve and apply these {count} change(s)"
    )
    if refused is not None:
        return refused
    apply_run = applying.Run(term, pipeline, args.plan_id, "approve", count)
    report = apply_run.apply(
        lambda: pipeline.approve(args.plan_id, log=pipeline.log, approved_by=args.by or _user())
    )
    if apply_run.interrupted or report is None:
        return apply_run.tell_interrupted()
    counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
    term.say(f"\nPlan {args.plan_id}: {counts or 'nothing left to do'}.")
    for result in report.results:
        term.say(f"  {result.outcome.value}: {result.op.describe()}")
    for skip in report.skipped:
        term.say(f"  skipped {skip.email} in {skip.space}: {skip.why}")
    failures = (*report.retryable_failures, *report.permanent_failures)
    for result in failures:
        term.say(f"  failed: {result.op.email} in {result.op.space}: {result.detail}")
    if failures:
        term.error(f"{len(failures)} change(s) failed; approve again to retry")
    return applying.EXIT_FAILED if failures else applying.EXIT_DONE


def show(term: Terminal, plan_id: str, doc: dict[str, Any], names: dict[str, str]) -> None:
    """A held plan in full: what held it, then every change as a plan."""
    from chatsync.domain import holding, rendering

    operations = holding.operations(doc)
    term.say(f"Held plan {plan_id}  [{doc.get('status', '?')}]", style="bold")
    term.say(f"  held at:  {_when(doc.get('created_at'))}")
    term.say(f"  from:     {doc.get('scope', '?')} {doc.get('run_id', '')}".rstrip())
    for reason in doc.get("reasons") or ():
        term.say(f"  why held: {reason}")
    if doc.get("approved_by"):
        term.say(f"  approved: by {doc['approved_by']} at {_when(doc.get('approved_at'))}")
    term.say("")
    term.plan(rendering.plan_text(operations, (), names))


def _list(term: Terminal, held: list[tuple[str, dict[str, Any]]]) -> int:
    if not held:
        term.say("No held plans.")
        return 0
    rows = []
    for plan_id, doc in held:
        summary = ", ".join(f"{n} {k}" for k, n in (doc.get("summary") or {}).items() if n)
        rows.append(
            [
                plan_id,
                str(doc.get("status", "")),
                _when(doc.get("created_at")),
                f"{doc.get('scope', '')} {doc.get('run_id', '')}".strip(),
                summary,
                "; ".join(doc.get("reasons") or []),
            ]
        )
    term.table(("plan", "status", "held at", "from", "changes", "why held"), rows)
    term.say("\nShow one in full: chatsync approve --show PLAN_ID")
    return 0


def _when(at: object) -> str:
    if not isinstance(at, int | float):
        return "?"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
