"""Where the CLI meets a person: colour, tables, a progress bar and the question before writing.

Built on rich (the ``cli`` extra of pyproject: the deployed functions never import it, so it is
not in ``functions/requirements.txt``), imported here and only when a command runs, so that
``chatsync --help`` stays quick. rich already does what a terminal needs: colour only on a
terminal and never with ``NO_COLOR`` set (https://no-color.org), plain text when piped.

What is printed is the same text with or without a terminal (tests and scripts read it); a
terminal adds colour, and a progress bar on stderr for long applies. Text is never wrapped or
cropped: plan lines are greppable one per line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

PROGRESS_MIN_OPS = 10
"""An apply shorter than this finishes before a bar would tell anyone anything."""

_PLAN_STYLES = {"+": "green", "~": "yellow", "-": "red", "!": "magenta"}


class Terminal:
    """stdout for results, stderr for everything around them (so ``--json`` stays JSON)."""

    def __init__(
        self, *, out: IO[str] | None = None, err: IO[str] | None = None, stdin: Any = None
    ) -> None:
        self.out = self._console(out or sys.stdout)
        self.err = self._console(err or sys.stderr)
        self._stdin = stdin if stdin is not None else sys.stdin

    @staticmethod
    def _console(stream: IO[str]) -> Any:
        from rich.console import Console

        class _Console(Console):
            def on_broken_pipe(self) -> None:
                # rich exits 1 here; the CLI ends quietly instead (tools.cli.main).
                self.quiet = True
                raise BrokenPipeError

        terminal = _isatty(stream)
        return _Console(
            file=stream,
            highlight=False,
            soft_wrap=True,
            emoji=False,
            # Not a terminal: no width to fit, so tables keep their natural width.
            width=None if terminal else 100_000,
            no_color="NO_COLOR" in os.environ or None,
        )

    @property
    def interactive(self) -> bool:
        """A person can answer: stdin is a terminal (as terraform decides)."""
        return _isatty(self._stdin)

    def say(self, text: str = "", *, style: str | None = None) -> None:
        self.out.print(text, style=style, markup=False)

    def note(self, text: str, *, style: str | None = "dim") -> None:
        """A line around the result (settings, progress, hints): on stderr."""
        self.err.print(text, style=style, markup=False)

    def warn(self, text: str) -> None:
        self.err.print(text, style="yellow", markup=False)

    def error(self, text: str) -> None:
        self.err.print(text, style="bold red", markup=False)

    def plan(self, text: str) -> None:
        """A rendered plan (``domain.rendering.plan_text``): each line coloured by its sign."""
        for line in text.rstrip("\n").split("\n"):
            sign = line.lstrip()[:2]
            style = _PLAN_STYLES.get(sign[0]) if len(sign) == 2 and sign[1] == " " else None
            if line.startswith(("Plan:", "No changes")):
                style = "bold"
            self.out.print(line, style=style, markup=False)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
        for column in columns:
            table.add_column(column, no_wrap=True, overflow="ignore")
        for row in rows:
            table.add_row(*row)
        self.out.print(table)

    def confirm(self, question: str) -> bool:
        """Ask on the terminal; only ``yes`` approves (terraform's rule: no accidental y)."""
        self.err.print(question, style="bold", markup=False)
        self.err.print("Only 'yes' will be accepted to approve.", markup=False)
        self.err.print("Enter a value: ", end="", markup=False)
        answer = self._stdin.readline()
        return answer.strip() == "yes"

    @contextmanager
    def working(self, text: str) -> Iterator[None]:
        """A spinner on stderr while something slow runs (a terminal only; silent otherwise)."""
        if not self.err.is_terminal:
            yield
            return
        with self.err.status(text):
            yield

    @contextmanager
    def progress(self, total: int, label: str) -> Iterator[Callable[[object], None]]:
        """A bar on stderr while ``total`` operations run, if stderr is a terminal and the
        apply is long; yields the callback to call once per finished operation."""
        if total < PROGRESS_MIN_OPS or not self.err.is_terminal:
            yield lambda _result: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.err, transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda _result: bar.advance(task)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
