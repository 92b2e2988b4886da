"""The one thing a command's ``register`` needs from argparse: a place to add its parser; and
help text as a person reads it."""

from __future__ import annotations

import argparse
import re
from typing import Any, Protocol


class Subcommands(Protocol):
    """What ``ArgumentParser.add_subparsers()`` returns, as far as commands use it."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def help_text(doc: str | None) -> str:
    """A module docstring as ``--help`` shows it: reStructuredText literals (double
    backquotes) become plain backquoted words, and ``::`` ends a sentence with a colon."""
    text = re.sub(r"``([^`]+)``", r"`\1`", doc or "")
    return re.sub(r"::\n", ":\n", text).strip()
