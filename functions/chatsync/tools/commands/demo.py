"""``chatsync demo``: the story behind ``make demo``."""

from __future__ import annotations

import argparse

from chatsync.tools.commands.subcommands import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the embedded emulator (loopback only)",
        description="Start the Workspace emulator with a sample org, serve the "
        "functions with functions-framework on 127.0.0.1, post a "
        "story of HR and group messages, print each decision and "
        "the final rosters.",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from chatsync.tools.demo import run_demo

    return run_demo()
