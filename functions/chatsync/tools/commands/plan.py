"""``chatsync plan MESSAGES...``: what the messages would change, without changing anything.

Each message is decoded and planned as the function would, in order, each against the
memberships as the messages before it would leave them (nothing is written: ``tools.what_if``
remembers the planned changes). So a change is listed once, however many messages ask for it
(a duplicate, a replay, a reconcile after an event), and a hire then a promotion plan an add
then a promotion. A message that does not decode is listed under ``rejected``; when every
message is rejected the exit code is 3 (there was nothing to plan), not 0 with "No changes".
"""

from __future__ import annotations

import argparse
import json
import sys

from chatsync.tools.commands.common import add_connection_flags
from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "plan",
        help="dry run of messages, rendered like a terraform plan",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="MESSAGES", help="message files or folders")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.adapters.store import MemoryStore
    from chatsync.app.logs import Logger
    from chatsync.domain import errors, events, messages, planning
    from chatsync.domain.rendering import plan_json, plan_text
    from chatsync.runtime import build_pipeline
    from chatsync.tools.applying import EXIT_DONE, EXIT_REJECTED
    from chatsync.tools.commands.common import settings_from
    from chatsync.tools.terminal import Terminal
    from chatsync.tools.what_if import WhatIf

    settings = settings_from(args, state=None, dry_run=True)
    quiet = Logger(level="ERROR", stream=sys.stderr, fmt="text")
    pipeline = build_pipeline(settings, log=quiet, store=MemoryStore())
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
