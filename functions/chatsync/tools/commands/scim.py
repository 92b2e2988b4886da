"""``chatsync scim serve --port N --token T [--out FILE]``: the SCIM endpoint on loopback.

Point an IdP's test tenant (through a tunnel) or scim2-cli at http://127.0.0.1:N/scim/v2 with
``Authorization: Bearer T``. Each dirsync.hr.v1 event the bridge emits is published to the Pub/Sub
emulator when PUBSUB_EMULATOR_HOST is set, else appended to FILE as one JSON line (a message
``chatsync replay`` reads). See docs/hr-sources.md.
"""

from __future__ import annotations

import argparse

from chatsync.tools.commands.subcommands import Subcommands, help_text


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "scim",
        help="serve the SCIM 2.0 endpoint (Okta, Entra ID) on loopback",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve until interrupted")
    serve.add_argument("--port", type=int, default=8095, help="0 picks a free port")
    serve.add_argument("--token", required=True, help="the bearer token clients must send")
    serve.add_argument(
        "--out",
        metavar="FILE",
        default="hr-events.jsonl",
        help="JSON-lines file for events (when PUBSUB_EMULATOR_HOST is not set)",
    )
    serve.add_argument("--state", metavar="FILE", help="keep users and groups in this JSON file")
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.tools.hr_serving import serve_scim

    serve_scim(args.port, args.token, args.out, state=args.state)
    return 0
