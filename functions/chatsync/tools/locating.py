"""Where the CLI finds the rules file and the state: one order for both, shown before it writes.

For each of the two, the first of these that is set wins:

1. the flag: ``--rules FILE``, ``--state FILE`` (relative to the current directory);
2. the environment: ``CHATSYNC_RULES_FILE``, ``CHATSYNC_STATE_PATH`` (relative to the current
   directory);
3. ``chatsync.toml`` in the current directory or the nearest parent directory that has one::

       rules = "rules.yaml"                  # relative to the directory of chatsync.toml
       state = ".chatsync/state.sqlite3"     # the default once a chatsync.toml exists

Nothing else: the demo's rules are never a fallback (they would remove real people from real
spaces), and the state is never a path that depends on where the command happens to run.
When the rules or the state cannot be found, the command stops and says how to set them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chatsync.domain.errors import ConfigError

CONFIG = "chatsync.toml"
KEYS = ("rules", "state")
DEFAULT_STATE = ".chatsync/state.sqlite3"
"""Where the state goes, beside ``chatsync.toml``, when the file does not say."""


@dataclass(frozen=True, slots=True)
class Found:
    """A path and where it came from (a flag, a variable, or a ``chatsync.toml``)."""

    path: Path
    origin: str

    def __str__(self) -> str:
        return f"{self.path} (from {self.origin})"


@dataclass(frozen=True, slots=True)
class Located:
    rules: Found | None
    state: Found | None
    config: Path | None
    """The ``chatsync.toml`` found, if any."""
    cwd: Path

    def rules_path(self) -> Path:
        """The rules file; a ``ConfigError`` that says how to name one if none was found."""
        if self.rules is None:
            raise ConfigError(
                "no rules file: pass --rules FILE, set CHATSYNC_RULES_FILE, or write "
                f'rules = "path/to/rules.yaml" in a {CONFIG} (looked in {self.cwd} and its '
                "parents). The demo's rules are functions/rules.yaml."
            )
        if not self.rules.path.is_file():
            raise ConfigError(f"rules file {self.rules}: no such file")
        return self.rules.path

    def state_path(self) -> Path:
        """The state file; a ``ConfigError`` that says how to name one if none was found."""
        if self.state is None:
            raise ConfigError(
                "no state file: pass --state FILE, set CHATSYNC_STATE_PATH, or create a "
                f"{CONFIG} (its state goes to {DEFAULT_STATE} beside it; looked in "
                f"{self.cwd} and its parents)"
            )
        return self.state.path


def find_config(start: Path) -> Path | None:
    """``chatsync.toml`` in ``start`` or the nearest parent directory that has one."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG
        if candidate.is_file():
            return candidate
    return None


def read_config(path: Path) -> dict[str, str]:
    """The keys of a ``chatsync.toml``; ``ConfigError`` naming the file and the key."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    found: dict[str, str] = {}
    for key, value in document.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: {key}: unknown key (expected one of {', '.join(KEYS)})")
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{path}: {key}: expected a path as a string, got {value!r}")
        found[key] = value
    return found


def locate(
    *,
    rules_flag: str | None,
    state_flag: str | None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Located:
    """Find the rules and the state in the documented order (nothing is opened or created)."""
    env = os.environ if environ is None else environ
    here = (cwd or Path.cwd()).resolve()
    config = find_config(here)
    values = read_config(config) if config is not None else {}
    if config is not None:
        values.setdefault("state", DEFAULT_STATE)

    def pick(key: str, flag: str | None, variable: str) -> Found | None:
        if flag:
            return Found(_absolute(here, flag), f"--{key}")
        if env.get(variable):
            return Found(_absolute(here, env[variable]), variable)
        if config is not None and key in values:
            return Found(_absolute(config.parent, values[key]), str(config))
        return None

    return Located(
        rules=pick("rules", rules_flag, "CHATSYNC_RULES_FILE"),
        state=pick("state", state_flag, "CHATSYNC_STATE_PATH"),
        config=config,
        cwd=here,
    )


def _absolute(base: Path, path: str) -> Path:
    return (base / Path(path).expanduser()).resolve()
