"""The one thing a command's ``register`` needs from argparse: a place to add its parser."""

from __future__ import annotations

import argparse
from typing import Any, Protocol


class Subcommands(Protocol):
    """What ``ArgumentParser.add_subparsers()`` returns, as far as commands use it."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...
