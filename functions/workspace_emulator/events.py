"""Workspace Events: membership events as Pub/Sub messages, and the subscriptions that route them.

Every direct membership change (manual changes always; API writes unless ``emit_for_api_writes``
is off) becomes a Pub/Sub message shaped like reference §11.4: CloudEvent context in ``ce-*``
attributes, base64 JSON ``data`` (``{"membership": {...}}``), ordering key
``//workspaceevents.googleapis.com/subscriptions/{id}``. Messages are kept in memory and, when
configured, POSTed as a push body to ``push_url`` and/or published to ``pubsub_topic`` on the
Pub/Sub emulator (``PUBSUB_EMULATOR_HOST``), both best effort in a background thread.

With ``coalesce`` on, bursts of same-type changes in one space become one ``batchCreated`` /
``batchUpdated`` / ``batchDeleted`` event (see :mod:`workspace_emulator.batching`); it is off by
default so a test sees each change as soon as it happens. Every event, sent or not, is recorded
for ``spaces.spaceEvents`` (:mod:`workspace_emulator.space_events`); its name is the ``ce-id``.
Subscription lifecycle events (:mod:`workspace_emulator.lifecycle`) go out through
:meth:`Events.lifecycle_event`.

Routing: each ACTIVE, unexpired subscription whose target is the space (or ``spaces/-``) and
whose event types include the event (a batch counts as its plain type) gets its own message.
While no subscription exists at all, a default ``subscriptions/emulator`` receives everything so
tests need no setup. Times are the emulator's clock (``clock``, epoch seconds).
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import queue
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

from workspace_emulator import batching, space_events

log = logging.getLogger(__name__)

EVENT_TYPE = "google.workspace.chat.membership.v1.{}"
LIFECYCLE_TYPE = "google.workspace.events.subscription.v1.{}"
PUSH_SUBSCRIPTION = "projects/emulator/subscriptions/workspace-events"
DEFAULT_SUBSCRIPTION = "subscriptions/emulator"
DEFAULT_BATCH_WINDOW = 0.25
"""Seconds (real time) a batch stays open after its first change."""
_UNSET: Any = object()


def stamp(epoch: float) -> str:
    """RFC 3339 with microseconds, as Google writes timestamps."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Events:
    """Emitted messages, sinks, batching, the space-event record and subscriptions."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.pubsub_topic: str | None = None
        self.push_url: str | None = None
        self.emit_for_api_writes = True
        self.coalesce = False
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.log = space_events.SpaceEventLog()
        self._batcher = batching.Batcher(DEFAULT_BATCH_WINDOW)
        self._timer: threading.Timer | None = None
        self._timer_due = 0.0
        self._messages: list[dict[str, Any]] = []
        self._counter = 0
        self._outbox: queue.Queue[tuple[dict[str, Any], str | None, str | None]] = queue.Queue()
        self._worker: threading.Thread | None = None

    def configure(
        self,
        *,
        pubsub_topic: str | None = _UNSET,
        push_url: str | None = _UNSET,
        emit_for_api_writes: bool = _UNSET,
        coalesce: bool = _UNSET,
        batch_window: float = _UNSET,
    ) -> None:
        """Set the sinks and batching; arguments left out keep their value, None = sink off."""
        with self.lock:
            if pubsub_topic is not _UNSET:
                self.pubsub_topic = pubsub_topic
            if push_url is not _UNSET:
                self.push_url = push_url
            if emit_for_api_writes is not _UNSET:
                self.emit_for_api_writes = bool(emit_for_api_writes)
            if batch_window is not _UNSET:
                if float(batch_window) <= 0:
                    msg = f"batch_window must be positive seconds, got {batch_window}"
                    raise ValueError(msg)
                self._batcher.window = float(batch_window)
            if coalesce is not _UNSET:
                self.coalesce = bool(coalesce)
                if not self.coalesce:
                    self.close_batches()

    def describe(self) -> dict[str, Any]:
        """The sink and batching configuration, for the control API."""
        with self.lock:
            return {
                "pubsub_topic": self.pubsub_topic,
                "push_url": self.push_url,
                "emit_for_api_writes": self.emit_for_api_writes,
                "coalesce": self.coalesce,
                "batch_window": self._batcher.window,
            }

    def clear(self) -> None:
        """Forget messages, open batches, the space-event record and subscriptions."""
        with self.lock:
            self._messages.clear()
            self.subscriptions.clear()
            self.log.clear()
            self._batcher.clear()
            self._disarm()

    def messages(self) -> list[dict[str, Any]]:
        """Every emitted message, oldest first (``message`` part of a Pub/Sub push body)."""
        with self.lock:
            return [dict(m) for m in self._messages]

    def membership_changed(
        self,
        space: str,
        kind: Literal["created", "updated", "deleted"],
        membership: Mapping[str, Any],
        *,
        source: Literal["api", "manual"],
    ) -> None:
        """Emit (or, coalescing, queue) the event for one direct membership change."""
        with self.lock:
            publish = source == "manual" or self.emit_for_api_writes
            change = batching.Change(space, kind, dict(membership), publish)
            if not self.coalesce:
                self._emit((change,))
                return
            for group in self._batcher.add(change, time.monotonic()):
                self._emit(group)
            self._arm()

    def close_batches(self, *, all_open: bool = True) -> None:
        """Emit open batches now (or only those whose window has ended)."""
        with self.lock:
            groups = self._batcher.drain() if all_open else self._batcher.due(time.monotonic())
            for group in groups:
                self._emit(group)

    def _arm(self) -> None:
        """Have a timer fire when the earliest open batch ends (one timer at a time)."""
        due = self._batcher.next_due()
        if due is None or (self._timer is not None and self._timer_due <= due):
            return
        self._disarm()
        self._timer_due = due
        self._timer = threading.Timer(max(due - time.monotonic(), 0) + 0.001, self._on_timer)
        self._timer.daemon = True
        self._timer.start()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None

    def _on_timer(self) -> None:
        with self.lock:
            self._timer = None
            self.close_batches(all_open=False)
            self._arm()

    def _emit(self, group: batching.Group) -> None:
        first = group[0]
        suffix = first.kind if len(group) == 1 else f"batch{first.kind.capitalize()}"
        now = self.clock()
        names = tuple(str(c.membership["name"]) for c in group)
        event = self.log.record(first.space, EVENT_TYPE.format(suffix), names, now)
        if not first.publish:
            return
        for sub_name, include_resource in self._routes(first.space, EVENT_TYPE.format(first.kind)):
            items = [
                {"membership": dict(c.membership) if include_resource else {"name": name}}
                for c, name in zip(group, names, strict=True)
            ]
            data = items[0] if len(items) == 1 else {"memberships": items}
            subject = f"//chat.googleapis.com/{first.space}"
            self._publish(
                subject,
                ce_id=event.name,
                subscription=sub_name,
                event_type=event.event_type,
                data=data,
                now=now,
            )

    def lifecycle_event(self, subscription: Mapping[str, Any], kind: str) -> None:
        """Send a ``google.workspace.events.subscription.v1.<kind>`` event for *subscription*.

        ``source`` and ``subject`` are both the subscription; data is ``{"subscription": ...}``.
        """
        with self.lock:
            name = str(subscription["name"])
            subject = f"//workspaceevents.googleapis.com/{name}"
            ce_id = f"{name}/events/{uuid.uuid4().hex}"
            data = {"subscription": dict(subscription)}
            self._publish(
                subject,
                ce_id=ce_id,
                subscription=name,
                event_type=LIFECYCLE_TYPE.format(kind),
                data=data,
                now=self.clock(),
            )

    def _routes(self, space: str, event_type: str) -> list[tuple[str, bool]]:
        if not self.subscriptions:
            return [(DEFAULT_SUBSCRIPTION, True)]
        now = self.clock()
        routes = []
        for sub in self.subscriptions.values():
            target = sub["targetResource"]
            if sub["state"] != "ACTIVE" or sub["_expires"] <= now:
                continue
            if target not in (f"//chat.googleapis.com/{space}", "//chat.googleapis.com/spaces/-"):
                continue
            if event_type in sub["eventTypes"]:
                options = sub.get("payloadOptions") or {}
                routes.append((sub["name"], bool(options.get("includeResource", False))))
        return routes

    def _publish(
        self,
        subject: str,
        *,
        ce_id: str,
        subscription: str,
        event_type: str,
        data: Mapping[str, Any],
        now: float,
    ) -> None:
        self._counter += 1
        when = stamp(now)
        source = f"//workspaceevents.googleapis.com/{subscription}"
        message = {
            "attributes": {
                "ce-datacontenttype": "application/json",
                "ce-id": ce_id,
                "ce-source": source,
                "ce-specversion": "1.0",
                "ce-subject": subject,
                "ce-time": when,
                "ce-type": event_type,
            },
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": str(self._counter),
            "publishTime": when,
            "orderingKey": source,
        }
        self._messages.append(message)
        self._deliver(message)

    def _deliver(self, message: dict[str, Any]) -> None:
        push_url, topic = self.push_url, self.pubsub_topic
        if push_url is None and topic is None:
            return
        if self._worker is None:
            # One worker keeps delivery in emission order (Pub/Sub ordering keys rely on it).
            self._worker = threading.Thread(target=self._drain, daemon=True, name="events-sink")
            self._worker.start()
        self._outbox.put((message, push_url, topic))

    def _drain(self) -> None:
        publisher: list[Any] = []
        while True:
            message, push_url, topic = self._outbox.get()
            _send(message, push_url, topic, publisher)
            self._outbox.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Close open batches, then wait until queued deliveries are done (or *timeout*)."""
        self.close_batches()
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)


def _send(
    message: dict[str, Any], push_url: str | None, topic: str | None, publisher: list[Any]
) -> None:
    """Best-effort delivery to the configured sinks; failures are logged, never raised."""
    if push_url is not None:
        body = json.dumps({"message": message, "subscription": PUSH_SUBSCRIPTION}).encode()
        request = urllib.request.Request(
            push_url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError as exc:
            log.warning("push to %s failed: %r", push_url, exc)
    if topic is not None:
        try:
            _publish(topic, message, publisher)
        except Exception as exc:  # any client error: delivery is best effort by design
            log.warning("publish to %s failed: %r", topic, exc)


def _publish(topic: str, message: dict[str, Any], publisher: list[Any]) -> None:
    """Publish on the Pub/Sub emulator; *publisher* caches the client between messages."""
    if not publisher:
        # Imported lazily: only needed when a topic is configured.
        from google.cloud import pubsub_v1  # type: ignore[attr-defined,unused-ignore]

        options = pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
        publisher.append(pubsub_v1.PublisherClient(publisher_options=options))
    future = publisher[0].publish(
        topic,
        base64.b64decode(message["data"]),
        ordering_key=message["orderingKey"],
        **message["attributes"],
    )
    future.result(timeout=30)
