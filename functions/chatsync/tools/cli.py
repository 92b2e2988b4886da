"""The ``chatsync`` console script. Each command lives in ``chatsync.tools.commands.<name>``.

Command modules import only argparse at the top, the rest when they run, so ``chatsync
--help`` loads no Google library, no YAML parser and no rich. Every error chatsync raises on
purpose ends as one line naming what to fix, never a traceback; the exit codes are in the
README ("Exit codes"): 0 done, 1 changes failed (or Chat could not be reached), 2 usage or
configuration error (nothing written), 3 nothing applied because every message was rejected,
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from chatsync import __version__

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
        epilog="Settings come from CHATSYNC_* environment variables; flags override them. "
        "The rules file and the state are found from --rules/--state, then "
        "CHATSYNC_RULES_FILE/CHATSYNC_STATE_PATH, then chatsync.toml in this directory or "
        "a parent. Exit codes: 0 done, 1 changes failed, 2 usage or configuration error, "
        "3 every message rejected, 130 interrupted.",
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
    from chatsync.domain import errors

    name = f"chatsync {args.command}"
    try:
        return int(args.run(args) or 0)
    except (errors.EndpointError, errors.CredentialsRefused) as exc:
        # Retryable for a function (redelivered until the deployment is fixed); for a person
        # at a terminal, a setting to fix.
        return _fail(name, exc, 2)
    except errors.RetryableError as exc:
        return _fail(name, f"{exc} (nothing more was attempted; try again)", 1)
    except errors.SyncError as exc:
        return _fail(name, exc, 2)
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`chatsync audit --json | head`): not an error of ours. Point
        # stdout at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ModuleNotFoundError as exc:
        if exc.name != "rich":
            raise
        return _fail(name, "the chatsync CLI needs rich: pip install 'chatsync[cli]'", 2)


def _fail(name: str, message: object, code: int) -> int:
    print(f"{name}: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
