"""The terraform-style apply that ``reconcile``, ``apply``, ``revert`` and ``approve`` share.

1. The command prints its plan.
2. ``ask``: on a terminal, the question (only ``yes`` approves); ``--yes`` skips it; without a
   terminal and without ``--yes`` nothing is written and the command exits 2.
3. ``Run``: the apply itself, recorded as a run (``app.runs``), with a progress bar on a
   terminal, and Ctrl-C handled: the first one stops new calls at once (the executor's stop
   flag), lets the calls in flight finish and be journaled, then the command says what was
   applied and how to undo it, and exits 130. A second Ctrl-C stops without waiting (a call
   in flight then shows as ``unconfirmed`` in the audit trail).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from chatsync.app import runs
from chatsync.app.executing import Controls, Outcome, Report
from chatsync.tools.terminal import Terminal

EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
"""The exit codes every command uses (README, "Exit codes")."""


def ask(term: Terminal, args: argparse.Namespace, *, count: int, what: str) -> int | None:
    """None to go ahead; else the exit code to return without writing anything."""
    if count == 0 or getattr(args, "yes", False):
        return None
    if not term.interactive:
        term.warn(
            f"Nothing applied: stdin is not a terminal, so the {count} change(s) above cannot "
            "be confirmed. Run again with --yes to apply them."
        )
        return EXIT_USAGE
    if term.confirm(f"Do you want to {what}?"):
        return None
    term.warn("Apply cancelled: nothing was changed.")
    return EXIT_FAILED


@dataclass
class Run:
    """One apply of a command, from the first write to the last answer."""

    term: Terminal
    pipeline: Any
    run_id: str
    command: str
    operations: int
    stop: threading.Event = field(default_factory=threading.Event)
    interrupted: bool = False
    report: Report | None = None

    def apply(self, work: Callable[[], Report]) -> Report | None:
        """Run ``work`` (which applies through ``self.pipeline``); None if a second Ctrl-C cut
        it short (the trail still holds every write it sent)."""
        store = self.pipeline.store
        clock = self.pipeline.clock
        runs.started(
            store,
            self.run_id,
            command=self.command,
            at=clock(),
            pid=os.getpid(),
            host=socket.gethostname(),
            operations=self.operations,
        )
        status = runs.FAILED
        sleep = self.pipeline.sleep
        try:
            with (
                self.term.progress(self.operations, "applying") as advance,
                self._interruptible(),
            ):
                self.pipeline.controls = Controls(stop=self.stop, watch=advance)
                self.pipeline.sleep = self._sleep
                self.report = work()
            self.interrupted = self.stop.is_set()
            status = runs.INTERRUPTED if self.interrupted else runs.DONE
        except KeyboardInterrupt:
            self.interrupted = True
            status = runs.INTERRUPTED
        finally:
            self.pipeline.controls = Controls()
            self.pipeline.sleep = sleep
            summary = self.report.summary() if self.report is not None else self._from_trail()
            runs.ended(store, self.run_id, status=status, at=clock(), summary=summary)
        return self.report

    def _sleep(self, seconds: float) -> None:
        """Back-off between retries that a Ctrl-C cuts short."""
        self.stop.wait(seconds)

    def _from_trail(self) -> dict[str, int]:
        entries = self.pipeline.store.audit(run=self.run_id)
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
        return counts

    @contextmanager
    def _interruptible(self) -> Iterator[None]:
        """SIGINT (and SIGTERM) set the stop flag; a second one raises KeyboardInterrupt."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.stop.set()
            self.term.warn(
                "\nStopping: no new change is sent; waiting for the changes in flight "
                "(Ctrl-C again to stop without waiting)."
            )

        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, action in previous.items():
                signal.signal(sig, action)

    def tell_interrupted(self, *, json_output: bool = False) -> int:
        """What was applied before the stop, and how to undo it; the exit code (130). With
        ``json_output`` stdout holds only JSON, so everything goes to stderr."""
        if self.report is not None:
            applied = sum(1 for r in self.report.results if r.outcome is Outcome.APPLIED)
            left = sum(1 for r in self.report.results if r.outcome is Outcome.INTERRUPTED)
            unsure = 0
        else:
            counts = self._from_trail()
            applied, unsure = counts.get("applied", 0), counts.get("unconfirmed", 0)
            left = max(0, self.operations - applied - unsure)
        self.term.warn(
            f"Interrupted: run {self.run_id} applied {applied} of {self.operations} change(s); "
            f"{left} not attempted"
            + (f", {unsure} sent without an answer (unconfirmed)" if unsure else "")
            + "."
        )
        if applied or unsure:
            undo = f"Undo it: chatsync revert {self.run_id}"
            if json_output:
                self.term.warn(undo)
            else:
                self.term.say(undo)
        return EXIT_INTERRUPTED


def failures(report: Report) -> int:
    return len(report.retryable_failures) + len(report.permanent_failures)
