"""What every applied, failed or skipped change leaves behind: one structured log line each,
and an audit entry for each change that landed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chatsync.app.executing import OpResult, Outcome, describe
from chatsync.app.logs import Logger
from chatsync.app.ports import AuditEntry, StateStore
from chatsync.domain import planning
from chatsync.domain.rendering import action

LANDED = (Outcome.APPLIED,)


class Recorder:
    """The executor's ``on_result``: logs each outcome and collects audit entries."""

    def __init__(self, log: Logger, *, run_id: str, clock: Callable[[], float]) -> None:
        self.log = log
        self.run_id = run_id
        self.clock = clock
        self.entries: list[AuditEntry] = []

    def __call__(self, result: OpResult) -> None:
        op = result.op
        before = result.before.value if result.before else None
        after = result.after.value if result.after else None
        fields = {
            "person": op.email,
            "space": op.space,
            "action": action(op),
            "role_before": before,
            "role_after": after,
            "rule": list(op.reasons),
            "outcome": result.outcome.value,
            "attempts": result.attempts,
            "run_id": self.run_id,
        }
        if result.outcome in (*LANDED, Outcome.DRY_RUN):
            self.log.info(describe(op), **fields)
        else:
            # http_status: the metrics count 429 and 401/403 by this field, not the message text.
            self.log.error(
                f"{describe(op)} failed: {result.detail}", http_status=result.http_status, **fields
            )
        if result.outcome in LANDED:
            self.entries.append(
                AuditEntry(
                    run_id=self.run_id,
                    at=self.clock(),
                    space=op.space,
                    email=op.email,
                    action=action(op),
                    before=before,
                    after=after,
                    outcome=result.outcome.value,
                    membership=result.detail,
                    event_id=self.run_id,
                    reasons=tuple(op.reasons),
                )
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

    def flush(self, store: StateStore) -> None:
        if self.entries:
            store.record(self.entries)
            self.entries = []
