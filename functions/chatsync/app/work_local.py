"""The work queue in one process: ``chatsync reconcile``, the demo and tests run a fanned-out
run's items here, through the same path ``on_work_item`` takes.

Each published message is encoded as it would be on the work topic, decoded by
``domain.events`` into a ``WorkItemEvent`` and handed to the bound handler (``Pipeline.handle``:
duplicate check, ``app.work_items``). Messages are handled in publish order, one at a time,
after the publish that queued them returns to the queue (a continuation goes to the back). A
delivery that raises ``RetryableError`` is queued again, as Pub/Sub would redeliver it, up to
``max_deliveries`` times; then it is kept in ``dead_letters``.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Callable, Sequence

from chatsync.app.executing import Report
from chatsync.domain import errors, events, work_codec
from chatsync.domain.work_items import WorkMessage


class InProcessQueue:
    """A ``WorkQueue`` that handles what is published before ``publish`` returns."""

    def __init__(self, *, max_deliveries: int = 5) -> None:
        self.max_deliveries = max_deliveries
        self._handler: Callable[[events.Event], Report] | None = None
        self._pending: deque[tuple[WorkMessage, int]] = deque()
        self._draining = False
        self._report = Report()
        self.published = 0
        self.deliveries = 0
        self.dead_letters: list[WorkMessage] = []

    def bind(self, handler: Callable[[events.Event], Report]) -> None:
        """What handles each delivery (the pipeline's ``handle``)."""
        self._handler = handler

    def publish(self, messages: Sequence[WorkMessage]) -> None:
        self.published += len(messages)
        self._pending.extend((m, 1) for m in messages)
        if not self._draining:
            self._drain()

    def take_report(self) -> Report:
        """Everything the items handled so far applied; reset."""
        report, self._report = self._report, Report()
        return report

    def _drain(self) -> None:
        if self._handler is None:
            raise errors.ConfigError("InProcessQueue: nothing bound to handle work items")
        self._draining = True
        try:
            while self._pending:
                message, delivery = self._pending.popleft()
                self.deliveries += 1
                data = base64.b64encode(work_codec.encode(message)).decode("ascii")
                wire = {"data": data, "messageId": f"local-{self.deliveries}"}
                try:
                    for event in events.decode_message(wire):
                        self._report = self._report.merge(self._handler(event))
                except errors.RetryableError:
                    if delivery < self.max_deliveries:
                        self._pending.append((message, delivery + 1))
                    else:
                        self.dead_letters.append(message)
        finally:
            self._draining = False
