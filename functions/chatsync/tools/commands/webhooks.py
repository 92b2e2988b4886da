"""``chatsync webhooks serve --port N [--out FILE]``: signed HR webhooks on loopback.

Serves ``POST /webhooks/<vendor>`` for every mapping file (bamboohr, hibob, or the folder in
CHATSYNC_WEBHOOK_VENDORS_DIR). Signing keys and vendor API credentials come from the variables
each mapping names (CHATSYNC_BAMBOOHR_WEBHOOK_KEY, CHATSYNC_HIBOB_WEBHOOK_KEY, ...). Events go to
the Pub/Sub emulator when PUBSUB_EMULATOR_HOST is set, else to FILE, one JSON line each.
See docs/hr-sources.md.
"""

from __future__ import annotations

import argparse

from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "webhooks",
        help="serve signed HR webhooks (BambooHR, HiBob) on loopback",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve until interrupted")
    serve.add_argument("--port", type=int, default=8096, help="0 picks a free port")
    serve.add_argument(
        "--out",
        metavar="FILE",
        default="hr-events.jsonl",
        help="JSON-lines file for events (when PUBSUB_EMULATOR_HOST is not set)",
    )
    serve.add_argument("--state", metavar="FILE", help="keep announced state in this JSON file")
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.tools.hr_serving import serve_webhooks

    serve_webhooks(args.port, args.out, state=args.state)
    return 0
