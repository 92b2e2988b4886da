"""``chatsync reconcile``: every managed space against the Directory and the rules.

Reads the Directory (people, groups, nested groups) and every managed space's roster (paged at
1000), plans the difference and converges. ``--dry-run`` prints the plan and writes nothing;
``--out PLAN.json`` saves the plan with its premises for review (``chatsync apply PLAN.json``
applies exactly it, or refuses if Chat moved since). Without either, the plan is applied and
recorded in the audit trail under a run id (``chatsync revert RUN`` undoes it).

A managed space Chat answers 403 or 404 for is skipped and every other space is applied; the
command then exits 1 naming each such space with its fix (``broken_spaces`` in ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chatsync.app.logs import Logger
from chatsync.domain import errors
from chatsync.domain.model import SpaceName
from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "reconcile",
        help="full reconcile of every managed space from the directory",
        description=__doc__,
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
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="log each decision to stderr")
    add_connection_flags(p)
    p.set_defaults(run=run)


def logger(args: argparse.Namespace) -> Logger:
    """Text log lines on stderr: each change with its reasons when verbose, else problems only."""
    return Logger(stream=sys.stderr, fmt="text", level="INFO" if args.verbose else "WARNING")


def scope(ruleset: Any, names: list[str] | None) -> list[SpaceName] | None:
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


def run(args: argparse.Namespace) -> int:
    from chatsync.app import broken, plan_files, reconciling
    from chatsync.app.pipeline import new_run_id
    from chatsync.domain import rendering
    from chatsync.runtime import build_pipeline

    review = bool(args.dry_run or args.out)
    settings = settings_from(args, dry_run=True if review else None)
    log = logger(args)
    pipeline = build_pipeline(settings, log=log)
    spaces = scope(pipeline.ruleset, args.space)
    names: dict[str, str] = {s.name: s.id for s in pipeline.ruleset.spaces}
    if review:
        result = reconciling.survey(pipeline.deps(), log=log, spaces=spaces)
        the_plan = result.plan
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
            body = rendering.plan_json(the_plan.operations, the_plan.skipped)
            if unreachable:
                body["broken_spaces"] = unreachable
            print(json.dumps(body, indent=2))
        else:
            sys.stdout.write(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
            if args.out:
                print(f"\nSaved to {args.out}. Apply exactly this plan: chatsync apply {args.out}")
            _print_broken(unreachable)
        return 1 if unreachable else 0
    run_id = new_run_id("reconcile")
    result, report = reconciling.run(pipeline.deps(), run_id=run_id, log=log, spaces=spaces)
    the_plan = result.plan
    failures = len(report.retryable_failures) + len(report.permanent_failures)
    recorded = dict(broken.listed(pipeline.store))
    unreachable = [
        _broken_json(space, recorded.get(space), settings.auth_mode) for space in report.broken
    ]
    if args.json:
        body = rendering.plan_json(the_plan.operations, the_plan.skipped)
        body.update(run_id=run_id, outcomes=report.summary(), extra=_plain(report.extra))
        body["broken_spaces"] = unreachable
        print(json.dumps(body, indent=2))
    else:
        sys.stdout.write(rendering.plan_text(the_plan.operations, the_plan.skipped, names))
        counts = ", ".join(f"{n} {k}" for k, n in report.summary().items() if n)
        print(f"\nRun {run_id}: {counts or 'nothing to do'}.")
        for key, value in report.extra.items():
            print(f"  {key}: {value}")
        if report.results:
            print(f"Undo it: chatsync revert {run_id}")
        _print_broken(unreachable)
    return 1 if failures or unreachable else 0


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


def _print_broken(spaces: list[dict[str, Any]]) -> None:
    if not spaces:
        return
    print(f"\n{len(spaces)} managed space(s) skipped: Chat refused them (the others were applied):")
    for item in spaces:
        print(f"  {item['space']}: {item['status']}; fix: {item['fix']}")
        print(f"chatsync: space {item['space']} skipped ({item['status']})", file=sys.stderr)


def _plain(extra: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in extra.items()
    }
