"""Options shared by commands that talk to Chat: flags override CHATSYNC_* variables."""

from __future__ import annotations

import argparse
from typing import Any

from chatsync.app.settings import Settings


def add_connection_flags(
    p: argparse.ArgumentParser, *, rules_help: str = "rules file (CHATSYNC_RULES_FILE)"
) -> None:
    p.add_argument("--rules", metavar="FILE", help=rules_help)
    p.add_argument(
        "--endpoint",
        metavar="URL",
        help="Chat and Directory base URL, e.g. the emulator's "
        "(CHATSYNC_CHAT_ENDPOINT, CHATSYNC_DIRECTORY_ENDPOINT, CHATSYNC_EVENTS_ENDPOINT)",
    )
    p.add_argument(
        "--token", metavar="TOKEN", help="fixed bearer token, emulator only (CHATSYNC_ACCESS_TOKEN)"
    )
    p.add_argument("--state", metavar="FILE", help="sqlite state file (CHATSYNC_STATE_PATH)")


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    endpoint = getattr(args, "endpoint", None)
    return Settings.from_env(
        rules_file=getattr(args, "rules", None),
        chat_endpoint=endpoint,
        directory_endpoint=endpoint,
        events_endpoint=endpoint,
        access_token=getattr(args, "token", None),
        state_path=getattr(args, "state", None),
        **extra,
    )
