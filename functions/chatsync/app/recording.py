"""What every applied, failed or skipped change leaves behind: one structured log line each,
and the audit trail, journaled as each write happens.

The ``Recorder`` is the executor's ``Journal``: before a write is sent it stores an ``intent``
line, and as soon as the write is answered the outcome line (same ``op_id``), each one in the
store before the executor moves on. Nothing waits for the end of the plan, so a run that is
interrupted or killed half-way leaves in the trail every write it sent: the ones that landed as
``applied``, a write in flight as ``unconfirmed`` (``app.ports.journal``), and ``chatsync
revert RUN`` can undo it. The log lines still come in plan order (``on_result``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from chatsync.app.executing import OpResult, Outcome, describe
from chatsync.app.logs import Logger
from chatsync.app.ports import INTENT, AuditEntry, StateStore
from chatsync.domain import planning
from chatsync.domain.rendering import action

LANDED = (Outcome.APPLIED,)


class Recorder:
    """The executor's ``on_result`` (log lines) and ``Journal`` (the audit trail)."""

    def __init__(
        self, log: Logger, *, run_id: str, clock: Callable[[], float], store: StateStore
    ) -> None:
        self.log = log
        self.run_id = run_id
        self.clock = clock
        self.store = store
        self.batch = uuid.uuid4().hex[:12]
        """One apply of a plan: a run id may apply more than once (a redelivered event)."""

    def __call__(self, result: OpResult) -> None:
        op = result.op
        fields = {
            "person": op.email,
            "space": op.space,
            "action": action(op),
            "role_before": result.before.value if result.before else None,
            "role_after": result.after.value if result.after else None,
            "rule": list(op.reasons),
            "outcome": result.outcome.value,
            "attempts": result.attempts,
            "run_id": self.run_id,
        }
        if result.outcome in (*LANDED, Outcome.DRY_RUN):
            self.log.info(describe(op), **fields)
        elif result.outcome is Outcome.INTERRUPTED:
            self.log.info(f"{describe(op)}: not attempted, the run was stopped", **fields)
        else:
            # http_status: the metrics count 429 and 401/403 by this field, not the message text.
            self.log.error(
                f"{describe(op)} failed: {result.detail}", http_status=result.http_status, **fields
            )

    def intent(self, index: int, op: planning.Operation) -> None:
        """Stored before the write is sent."""
        self.store.record([self._entry(index, op, INTENT, "")])

    def outcome(self, index: int, result: OpResult) -> None:
        """Stored as soon as the write is answered (a failure too: it closes the intent)."""
        membership = result.detail if result.outcome in LANDED else ""
        self.store.record([self._entry(index, result.op, result.outcome.value, membership)])

    def _entry(
        self, index: int, op: planning.Operation, outcome: str, membership: str
    ) -> AuditEntry:
        return AuditEntry(
            run_id=self.run_id,
            at=self.clock(),
            space=op.space,
            email=op.email,
            action=action(op),
            before=op.before.value if op.before else None,
            after=op.after.value if op.after else None,
            outcome=outcome,
            membership=membership,
            event_id=self.run_id,
            reasons=tuple(op.reasons),
            op_id=f"{self.batch}-{index}",
        )

    def skipped(self, skips: Sequence[planning.Skipped]) -> None:
        for skip in skips:
            self.log.info(
                f"skip {skip.email} in {skip.space}: {skip.why}",
                person=skip.email,
                space=skip.space,
                action="skip",
                reason=skip.why,
                run_id=self.run_id,
            )
