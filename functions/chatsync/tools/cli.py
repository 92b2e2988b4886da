"""The ``chatsync`` console script. Each command lives in ``chatsync.tools.commands.<name>``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chatsync import __version__
from chatsync.domain import errors

COMMANDS = (
    "check",
    "plan",
    "snapshot",
    "replay",
    "emulator",
    "demo",
    "reconcile",
    "apply",
    "explain",
    "revert",
    "audit",
    "approve",
    "status",
    "bench",
    "scim",
    "webhooks",
    "doctor",
)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="chatsync",
        description="Keep Google Chat space memberships in step with the directory.",
        epilog="Settings come from CHATSYNC_* environment variables; flags override them.",
    )
    top.add_argument("--version", action="version", version=f"chatsync {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"chatsync.tools.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"chatsync.tools.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except errors.SyncError as exc:
        print(f"chatsync {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
