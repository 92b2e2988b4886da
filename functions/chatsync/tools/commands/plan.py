"""``chatsync plan``: what would change, without changing anything. Two modes:

Messages -- chatsync plan MESSAGES... [--rules FILE]
  Decode the replayable message files, read live memberships and the state the functions keep
  (processed events, watermarks, each person's latest HR snapshot and group changes), and print
  what the function would do with them. Nothing is written to Chat or to that state. The
  messages are planned in order, each against the memberships as the messages before it would
  leave them (tools.what_if), so a change is listed once however many messages ask for it (a
  duplicate, a replay, a reconcile after an event), and a hire then a promotion plan an add
  then a promotion.

Rules review -- chatsync plan --rules NEW.yaml [--against OLD.yaml] [--snapshot FILE]
  The membership changes that switching from OLD (default: the deployed rules,
  CHATSYNC_RULES_FILE) to NEW would cause: the plan of a full reconcile under NEW minus what a
  full reconcile under OLD would do anyway. Drift OLD would repair too (a leaver still in a
  space, a manual add) is not caused by the change: it is counted, not listed. Each line
  carries NEW's reason and what OLD said ("before (OLD): rule 'x' matched: ..."). The facts
  and rosters are read once from the tenant (or --endpoint), or, with --snapshot, from a file
  written by `chatsync snapshot` or the scheduled reconcile: offline, no credentials. The
  safety limits (max_removals_per_run, max_removal_percent) are evaluated on the changes the
  switch causes, under NEW's limits and OLD's, so a reviewer sees "this would be held".

Exit codes: 0 planned (rules review: within the safety limits); 2 an error (a rules file,
snapshot, message or setting that does not load; named in the message); 3 messages mode: every
message was rejected, there was nothing to plan; 4 rules review only:
the change exceeds a safety limit, or a managed space is missing from the snapshot, and the
next reconcile would hold it for approval (CI: fail unless a reviewer approved).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

from chatsync.tools.commands.common import add_connection_flags
from chatsync.tools.commands.subcommands import Subcommands, help_text

HELD = 4
"""Exit code of a rules review whose change the safety limits would hold."""


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "plan",
        help="dry run of messages, or of a rules change (--rules NEW), like a terraform plan",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="MESSAGES",
        help="message files or folders (messages mode); none: rules review of --rules",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--against",
        metavar="OLD.yaml",
        help="rules review: the rules to compare with (default: CHATSYNC_RULES_FILE)",
    )
    p.add_argument(
        "--snapshot",
        metavar="FILE",
        help="rules review: plan offline from this snapshot (chatsync snapshot --out FILE)",
    )
    add_connection_flags(
        p,
        rules_help="rules review: the proposed rules, NEW.yaml; messages mode: the rules "
        "file (CHATSYNC_RULES_FILE)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.domain import errors

    if args.files:
        if args.against or args.snapshot:
            raise errors.ConfigError(
                "--against and --snapshot review a rules change: give them without MESSAGES"
            )
        return run_messages(args)
    if not args.rules:
        raise errors.ConfigError(
            "give MESSAGES to plan, or --rules NEW.yaml to review a rules change (see --help)"
        )
    if args.snapshot and (args.endpoint or args.token):
        raise errors.ConfigError(
            "--snapshot plans offline from the file: --endpoint and --token are not used"
        )
    return run_rules(args)


def run_messages(args: argparse.Namespace) -> int:
    from chatsync.adapters.store import open_store
    from chatsync.adapters.store.read_through import ReadThroughStore
    from chatsync.app.logs import Logger
    from chatsync.domain import errors, events, messages, planning
    from chatsync.domain.rendering import plan_json, plan_text
    from chatsync.runtime import build_pipeline
    from chatsync.tools.applying import EXIT_DONE, EXIT_REJECTED
    from chatsync.tools.commands.common import settings_from
    from chatsync.tools.terminal import Terminal
    from chatsync.tools.what_if import WhatIf

    settings = settings_from(args, state="optional", dry_run=True)
    quiet = Logger(level="ERROR", stream=sys.stderr, fmt="text")
    # The functions' state, read and never written, so the messages meet the facts they would
    # (an empty one when none is found: state "optional" creates no file).
    pipeline = build_pipeline(settings, log=quiet, store=ReadThroughStore(open_store(settings)))
    pipeline.chat = what_if = WhatIf(pipeline.chat)
    batch = messages.load(args.files)
    operations: list[planning.Operation] = []
    skipped: list[planning.Skipped] = []
    seen: set[str] = set()
    rejected: list[dict[str, str]] = []
    for message in batch:
        try:
            decoded = events.decode_message(message.to_pubsub(), message_id=message.message_id)
            for event in decoded:
                report = pipeline.handle(event)
                planned = [r.op for r in report.results]
                what_if.remember(planned)
                operations.extend(planned)
                for skip in report.skipped:
                    key = json.dumps([skip.space, skip.email, skip.why])
                    if key not in seen:
                        seen.add(key)
                        skipped.append(skip)
        except errors.PermanentError as exc:
            rejected.append({"message": message.origin, "error": str(exc)})
    everything_rejected = bool(batch) and len(rejected) == len(batch)
    if args.json:
        body = plan_json(operations, skipped)
        body["rejected"] = rejected
        print(json.dumps(body, indent=2))
    else:
        term = Terminal()
        if not everything_rejected:
            term.plan(plan_text(operations, skipped))
        for item in rejected:
            term.say(f"rejected {item['message']}: {item['error']}", style="red")
        if everything_rejected:
            term.error(f"Nothing planned: all {len(batch)} message(s) were rejected.")
    return EXIT_REJECTED if everything_rejected else EXIT_DONE


def run_rules(args: argparse.Namespace) -> int:
    from chatsync.adapters import snapshot as files
    from chatsync.app import rules_review
    from chatsync.app.logs import Logger
    from chatsync.domain import errors, reviewing
    from chatsync.domain.review_rendering import review_json, review_text
    from chatsync.domain.rules import load_rules
    from chatsync.runtime import build_offline
    from chatsync.tools import locating
    from chatsync.tools.commands.common import settings_from
    from chatsync.tools.commands.snapshot import take

    # OLD: --against, else the deployed rules, found as every command finds them (--rules is
    # NEW here, so only the environment and chatsync.toml).
    deployed = locating.locate(rules_flag=None, state_flag=None).rules
    if not args.against and deployed is None:
        raise errors.ConfigError(
            "no rules to compare with: pass --against OLD.yaml, set CHATSYNC_RULES_FILE, or "
            'write rules = "..." in a chatsync.toml'
        )
    old_path = args.against or str(deployed.path if deployed is not None else "")
    # Each ruleset is named by the path given, so "before (OLD)" lines say which file.
    old = replace(load_rules(old_path), source=old_path)
    new = replace(load_rules(args.rules), source=args.rules)
    quiet = Logger(level="ERROR", stream=sys.stderr, fmt="text")
    facts: dict[str, Any]
    if args.snapshot:
        snapshot = files.read(args.snapshot)
        origin = args.snapshot
        facts = {"source": "snapshot", "file": args.snapshot, "taken_by": snapshot.source}
    else:
        settings = settings_from(args, state="optional", dry_run=True)
        snapshot = take(settings, [old, new], log=quiet)
        origin = "the live read"
        facts = {"source": "live", "endpoint": settings.chat_endpoint}
    facts.update(
        taken_at=snapshot.taken_at_text,
        people=len(snapshot.people),
        spaces=len(snapshot.spaces),
    )
    result = rules_review.review(
        build_offline(snapshot, old, origin=origin, log=quiet).deps(),
        build_offline(snapshot, new, origin=origin, log=quiet).deps(),
        known=snapshot.spaces.keys(),
        log=quiet,
    )
    code = HELD if result.held else 0
    if args.json:
        body = review_json(
            result.change,
            result.verdict,
            old=old_path,
            new=args.rules,
            facts=facts,
            unknown=result.unknown,
        )
        body["exit_code"] = code
        print(json.dumps(body, indent=2))
        return code
    limits = f"limits of {args.rules}: {reviewing.limits_text(new)}"
    if old.safety != new.safety:
        limits += f"; of {old_path}: {reviewing.limits_text(old)}"
    where = (
        f"snapshot {args.snapshot} ({snapshot.source})"
        if args.snapshot
        else f"read from {facts['endpoint']}"
    )
    sys.stdout.write(
        review_text(
            result.change,
            result.verdict,
            old=old_path,
            new=args.rules,
            facts=f"{where}, taken {snapshot.taken_at_text}: "
            f"{len(snapshot.people)} people, {len(snapshot.spaces)} spaces",
            limits=limits,
            unknown=result.unknown,
            space_names={s.name: s.id for s in (*old.spaces, *new.spaces)},
        )
    )
    if result.held:
        print(f"\nExit {HELD}: a reviewer must approve this change before it merges.")
    return code
