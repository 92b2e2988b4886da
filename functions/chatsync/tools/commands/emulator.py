"""``chatsync emulator``: serve the local Workspace emulator (Chat memberships + Directory)."""

from __future__ import annotations

import argparse

from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "emulator",
        help="serve the local Workspace emulator",
        description="Serve the Chat memberships API and the Directory subset "
        "chatsync reads, on loopback. See docs/emulator.md.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: loopback only; the emulator has no "
        "real authentication, so do not expose it)",
    )
    p.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    p.add_argument("--seed", metavar="FILE", help="seed (JSON or YAML); default: the demo org")
    p.add_argument(
        "--time-scale", type=float, default=1.0, help="run quota windows this many times faster"
    )
    p.add_argument("--no-quotas", action="store_true", help="turn quota enforcement off")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.tools.demo import DEMO_SEED
    from workspace_emulator.server import serve_forever

    serve_forever(
        host=args.host,
        port=args.port,
        seed=args.seed or str(DEMO_SEED),
        time_scale=args.time_scale,
        quotas=not args.no_quotas,
    )
    return 0
