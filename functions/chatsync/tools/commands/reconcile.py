"""``chatsync reconcile``: every managed space against the Directory and the rules.

Reads the Directory (people, groups, nested groups) and every managed space's roster (paged at
1000), plans the difference and prints the plan. On a terminal it then asks before applying
(only ``yes`` applies); ``--yes`` applies without asking; without a terminal and without
``--yes`` nothing is applied and the exit code is 2. ``--dry-run`` prints the plan and writes
nothing; ``--out PLAN.json`` saves the plan with its premises for review (``chatsync apply
PLAN.json`` applies exactly it, or refuses if Chat moved since).

An applied run is journaled in the audit trail change by change as it happens, under a run
id (``chatsync revert RUN`` undoes it). Ctrl-C stops sending changes at once, lets those in
flight finish, prints what was applied and exits 130.

A managed space Chat answers 403 or 404 for is skipped and every other space is applied; the
command then exits 1 naming each such space with its fix (``broken_spaces`` in ``--json``).

With CHATSYNC_WORK_TOPIC set the run's changes are published as work items, as the deployed
reconcile function does it; ``--fan-out`` handles them as work items in this process, through
the same code. ``--status RUN`` shows such a run: items total, done and failed, and whether it
stalled (exit 1 if it did).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from chatsync.tools.commands.common import add_connection_flags, add_yes_flag
from chatsync.tools.commands.subcommands import Subcommands, help_text

if TYPE_CHECKING:
    from chatsync.app.logs import Logger
    from chatsync.domain.model import SpaceName
    from chatsync.tools.terminal import Terminal


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "reconcile",
        help="full reconcile of every managed space from the directory",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    p.add_argument("--out", metavar="PLAN.json", help="save the plan for review; apply nothing")
    p.add_argument(
        "--space",
        action="append",
        metavar="S",
        help="only this managed space (name or handle); repeatable",
    )
    p.add_argument(
        "--status",
        metavar="RUN",
        help="show a fanned-out run (items total / done / failed; stalled?) and exit",
    )
    p.add_argument(
        "--fan-out",
        action="store_true",
        help="apply as work items handled in this process, as the deployed functions do",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log each decision to stderr")
    add_yes_flag(p)
    add_connection_flags(p)
    p.set_defaults(run=run)


def logger(args: argparse.Namespace) -> Logger:
    """Text log lines on stderr: each change with its reasons when verbose, else problems only."""
    from chatsync.app.logs import Logger

    return Logger(stream=sys.stderr, fmt="text", level="INFO" if args.verbose else "WARNING")


def scope(ruleset: Any, names: list[str] | None) -> list[SpaceName] | None:
    from chatsync.domain import errors

    if not names:
        return None
    found = []
    for name in names:
        space = ruleset.space(name)
        if space is None:
            known = ", ".join(f"{s.id} ({s.name})" for s in ruleset.spaces)
            raise errors.ConfigError(f"--space {name!r} is not a managed space; managed: {known}")
        found.append(space.name)
    return found


def status(args: argparse.Namespace) -> int:
    """``--status RUN``: the run document, read from the state store alone (no credentials,
    no Chat call, nothing logged or posted: the scheduler tick reports stalls)."""
    import time

    from chatsync.adapters.store import open_store
    from chatsync.app import fanout
    from chatsync.tools.commands.common import locate, settings_from

    settings = settings_from(args, located=locate(args), state="read")
    found = fanout.status_in(
        open_store(settings),
        args.status,
        now=time.time(),
        stall_after_s=settings.stall_minutes * 60.0,
    )
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
    else:
        print(found.describe())
    return 1 if found.state == "stalled" else 0


def run(args: argparse.Namespace) -> int:
    from chatsync.app import broken, plan_files, reconciling
    from chatsync.app.pipeline import new_run_id
    from chatsync.domain import rendering
    from chatsync.runtime import build_pipeline
    from chatsync.tools import applying
    from chatsync.tools.commands.common import announce, locate, settings_from
    from chatsync.tools.terminal import Terminal

    if args.status:
        return status(args)
    term = Terminal()
    review = bool(args.dry_run or args.out)
    located = locate(args)
    settings = settings_from(args, located=located, dry_run=True if review else None)
    announce(term, settings, located)
    log = logger(args)
    pipeline = build_pipeline(settings, log=log)
    spaces = scope(pipeline.ruleset, args.space)
    names: dict[str, str] = {s.name: s.id for s in pipeline.ruleset.spaces}
    managed = len(spaces) if spaces is not None else len(pipeline.ruleset.spaces)
    with term.working(f"Reading the Directory and {managed} managed space(s)..."):
        result = reconciling.prepare(pipeline.deps(), log=log, spaces=spaces)
    the_plan = result.plan
    body = rendering.plan_json(the_plan.operations, the_plan.skipped)
    if review:
        if args.out:
            saved = plan_files.build(
                the_plan,
                result.current,
                plan_id=new_run_id("plan"),
                created_at=pipeline.clock(),
                rules=settings.rules_file,
            )
            plan_files.write(saved, args.out)
        unreachable = _unreachable(the_plan.unreachable, settings.auth_mode)
        if args.json:
            if unreachable:
                body["broken_spaces"] = unreachable
            print(json.dumps(body, indent=2))
        else:
            term.plan(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
            if args.out:
                term.say(
                    f"\nSaved to {args.out}. Apply exactly this plan: chatsync apply {args.out}"
                )
            _print_broken(term, unreachable)
        return applying.EXIT_FAILED if unreachable else applying.EXIT_DONE
    if not args.json:
        term.plan(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
    count = len(the_plan.operations)
    if count:
        refused = applying.ask(term, args, count=count, what=f"apply these {count} change(s)")
        if refused is not None:
            if args.json:
                print(json.dumps(body, indent=2))
            return refused
    run_id = new_run_id("reconcile")
    if args.fan_out and pipeline.work is None:
        pipeline.work_in_process()
    apply_run = applying.Run(term, pipeline, run_id, "reconcile", count)
    report = apply_run.apply(
        lambda: reconciling.finish(pipeline.deps(), result, run_id=run_id, log=log)
    )
    recorded = dict(broken.listed(pipeline.store))
    unreachable = [
        _broken_json(space, recorded.get(space), settings.auth_mode)
        for space in (report.broken if report is not None else ())
    ]
    if args.json:
        body.update(run_id=run_id, interrupted=apply_run.interrupted)
        if report is not None:
            body.update(outcomes=report.summary(), extra=_plain(report.extra))
        body["broken_spaces"] = unreachable
        print(json.dumps(body, indent=2))
    if apply_run.interrupted or report is None:
        return apply_run.tell_interrupted(json_output=args.json)
    if not args.json:
        counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
        term.say(f"\nRun {run_id}: {counts or 'nothing to do'}.")
        for key, value in report.extra.items():
            term.say(f"  {key}: {value}")
        if report.held:
            term.warn(
                "Held: the plan exceeds a safety limit and nothing was applied. Review it: "
                f"chatsync approve --show {report.held}"
            )
        if report.results:
            term.say(f"Undo it: chatsync revert {run_id}")
        if report.note is not None and report.note.value == "fanned_out":
            term.say(f"Work items: chatsync reconcile --status {run_id}")
        _print_broken(term, unreachable)
    failed = applying.failures(report) or unreachable
    return applying.EXIT_FAILED if failed else applying.EXIT_DONE


def _unreachable(found: Any, auth_mode: str) -> list[dict[str, Any]]:
    from chatsync.app import broken

    return [
        {
            "space": u.space,
            "status": u.status,
            "error": u.detail,
            "fix": broken.fix(u.status, auth_mode),
        }
        for u in found
    ]


def _broken_json(space: str, doc: dict[str, Any] | None, auth_mode: str) -> dict[str, Any]:
    from chatsync.app import broken

    doc = doc or {}
    status = int(doc.get("status", 0))
    return {
        "space": space,
        "status": status,
        "error": doc.get("error", ""),
        "fix": doc.get("fix") or broken.fix(status, auth_mode),
        "pending": doc.get("pending", []),
    }


def _print_broken(term: Terminal, spaces: list[dict[str, Any]]) -> None:
    if not spaces:
        return
    term.say(
        f"\n{len(spaces)} managed space(s) skipped: Chat refused them (the others were applied):"
    )
    for item in spaces:
        term.say(f"  {item['space']}: {item['status']}; fix: {item['fix']}")
        term.warn(f"chatsync: space {item['space']} skipped ({item['status']})")


def _plain(extra: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in extra.items()
    }
