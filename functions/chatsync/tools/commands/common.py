"""Options shared by commands that talk to Chat: flags override CHATSYNC_* variables; the rules
and the state are found one way (``tools.locating``) and shown before a command writes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from chatsync.domain.errors import ConfigError

if TYPE_CHECKING:
    from chatsync.app.ports import StateStore
    from chatsync.app.settings import Settings
    from chatsync.domain.rules.schema import Ruleset
    from chatsync.tools.locating import Located
    from chatsync.tools.terminal import Terminal

StateUse = Literal["write", "update", "read", "optional"]
"""``write``: opened, created if new, must be writable. ``update``: must already exist and be
writable (reverting or approving what is recorded there). ``read``: must already exist (a
query of a state that is not there is a wrong path, not an empty answer). ``optional``: used if
it is there, else the command runs on an empty in-memory state."""


def add_connection_flags(
    p: argparse.ArgumentParser,
    *,
    rules_help: str = "rules file (else CHATSYNC_RULES_FILE, else `rules` in chatsync.toml)",
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
    p.add_argument(
        "--state",
        metavar="FILE",
        help="sqlite state file (else CHATSYNC_STATE_PATH, else `state` in chatsync.toml)",
    )


def add_yes_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="apply without asking (needed when stdin is not a terminal)",
    )


def locate(args: argparse.Namespace) -> Located:
    from chatsync.tools import locating

    return locating.locate(
        rules_flag=getattr(args, "rules", None), state_flag=getattr(args, "state", None)
    )


def settings_from(
    args: argparse.Namespace,
    *,
    rules: bool = True,
    state: StateUse | None = "write",
    located: Located | None = None,
    **extra: Any,
) -> Settings:
    """Settings from the environment, the flags and the located rules and state.

    ``rules``: the command needs the rules file (a ``ConfigError`` saying how to name one if
    none is found). ``state``: how the command uses the state (``StateUse``; None: not at
    all, it keeps its own).
    """
    from chatsync.app.settings import Settings

    found = located or locate(args)
    endpoint = getattr(args, "endpoint", None)
    settings = Settings.from_env(
        chat_endpoint=endpoint,
        directory_endpoint=endpoint,
        events_endpoint=endpoint,
        access_token=getattr(args, "token", None),
        **extra,
    )
    overrides: dict[str, Any] = {}
    if rules:
        overrides["rules_file"] = str(found.rules_path())
    elif found.rules is not None:
        overrides["rules_file"] = str(found.rules.path)
    if state is not None and settings.state_backend == "sqlite":
        if state == "optional" and (found.state is None or not found.state.path.exists()):
            overrides["state_backend"] = "memory"
        else:
            path = found.state_path()
            _check_state(path, found, state)
            overrides["state_path"] = str(path)
    return settings.with_overrides(**overrides)


def _check_state(path: Path, found: Located, use: StateUse) -> None:
    origin = found.state.origin if found.state is not None else "?"
    if use != "write" and not path.is_file():
        raise ConfigError(
            f"no state at {path} (from {origin}): nothing has been recorded there; "
            "check the path (--state, CHATSYNC_STATE_PATH, chatsync.toml)"
        )
    if use in ("read", "optional"):
        return
    folder = next((p for p in (path, *path.parents) if p.exists()), None)
    writable = folder is not None and os.access(folder, os.W_OK)
    if path.exists():
        writable = path.is_file() and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    if not writable:
        raise ConfigError(
            f"state {path} (from {origin}) is not writable: choose a location you can write "
            "(--state FILE, CHATSYNC_STATE_PATH, or `state` in chatsync.toml)"
        )


def announce(term: Terminal, settings: Settings, located: Located) -> None:
    """The first lines of a command that writes: which rules, which state, from where."""
    if located.rules is not None and settings.rules_file == str(located.rules.path):
        term.note(f"rules: {located.rules}")
    if settings.state_backend == "sqlite" and located.state is not None:
        term.note(f"state: {located.state}")
    elif settings.state_backend == "firestore":
        database = settings.firestore_database
        term.note(f"state: Firestore database {database} (CHATSYNC_STATE_BACKEND)")


def state_and_rules(settings: Settings) -> tuple[StateStore, Ruleset]:
    """The state store and the rules alone, for commands that only read what is recorded: no
    credentials are built and nothing is sent to Chat."""
    from chatsync.adapters.store import open_store
    from chatsync.domain.rules import load_rules

    return open_store(settings), load_rules(settings.rules_file)
