"""``chatsync plan MESSAGES...``: what the messages would change, without changing anything.

The messages are handled as the functions would handle them, reading the deployment's state
(processed events, watermarks, each person's latest HR snapshot and group changes: the facts
every path merges) through a store that never writes it (``adapters.store.read_through``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chatsync.app.logs import Logger
from chatsync.domain import errors, events, messages, planning
from chatsync.domain.rendering import plan_json, plan_text
from chatsync.tools.commands.common import add_connection_flags, settings_from
from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "plan",
        help="dry run of messages, rendered like a terraform plan",
        description="Decode the messages, read live memberships and the state the functions "
        "keep, and print the plan. Nothing is written to Chat or to the state.",
    )
    p.add_argument("files", nargs="+", metavar="MESSAGES", help="message files or folders")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.adapters.store import MemoryStore, StateStore, open_store
    from chatsync.adapters.store.read_through import ReadThroughStore
    from chatsync.runtime import build_pipeline

    settings = settings_from(args, dry_run=True)
    quiet = Logger(level="ERROR", stream=sys.stderr, fmt="text")
    absent = settings.state_backend == "sqlite" and not Path(settings.state_path).exists()
    base: StateStore = MemoryStore() if absent else open_store(settings)  # creates no file
    pipeline = build_pipeline(settings, log=quiet, store=ReadThroughStore(base))
    operations: list[planning.Operation] = []
    skipped: list[planning.Skipped] = []
    rejected: list[dict[str, str]] = []
    for message in messages.load(args.files):
        try:
            decoded = events.decode_message(message.to_pubsub(), message_id=message.message_id)
            for event in decoded:
                report = pipeline.handle(event)
                operations.extend(r.op for r in report.results)
                skipped.extend(report.skipped)
        except errors.PermanentError as exc:
            rejected.append({"message": message.origin, "error": str(exc)})
    if args.json:
        body = plan_json(operations, skipped)
        body["rejected"] = rejected
        print(json.dumps(body, indent=2))
    else:
        sys.stdout.write(plan_text(operations, skipped))
        for item in rejected:
            print(f"rejected {item['message']}: {item['error']}")
    return 0
