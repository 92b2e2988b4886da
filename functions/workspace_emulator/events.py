"""Workspace Events: membership events as Pub/Sub messages, and the subscriptions that route them.

Every direct membership change (manual changes always; API writes unless ``emit_for_api_writes``
is off) becomes one Pub/Sub message shaped like reference §11.4: CloudEvent context in ``ce-*``
attributes, base64 JSON ``data`` (``{"membership": {...}}``), ordering key
``//workspaceevents.googleapis.com/subscriptions/{id}``. Messages are kept in memory and, when
configured, POSTed as a push body to ``push_url`` and/or published to ``pubsub_topic`` on the
Pub/Sub emulator (``PUBSUB_EMULATOR_HOST``), both best effort in a background thread.

Routing: each ACTIVE, unexpired subscription whose target is the space (or ``spaces/-``) and
whose event types include the event gets its own message. While no subscription exists at all, a
default ``subscriptions/emulator`` receives everything so tests need no setup. Batch event types
are not produced: each change is its own event.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
import time
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from workspace_emulator import store as st

log = logging.getLogger(__name__)

EVENT_TYPE = "google.workspace.chat.membership.v1.{}"
PUSH_SUBSCRIPTION = "projects/emulator/subscriptions/workspace-events"
DEFAULT_SUBSCRIPTION = "subscriptions/emulator"
_UNSET: Any = object()


class Events:
    """Emitted messages, sinks, and Workspace Events subscriptions."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.pubsub_topic: str | None = None
        self.push_url: str | None = None
        self.emit_for_api_writes = True
        self.subscriptions: dict[str, dict[str, Any]] = {}
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
    ) -> None:
        """Set the sinks; arguments left out keep their value, None switches a sink off."""
        with self.lock:
            if pubsub_topic is not _UNSET:
                self.pubsub_topic = pubsub_topic
            if push_url is not _UNSET:
                self.push_url = push_url
            if emit_for_api_writes is not _UNSET:
                self.emit_for_api_writes = bool(emit_for_api_writes)

    def describe(self) -> dict[str, Any]:
        """The sink configuration, for the control API."""
        with self.lock:
            return {
                "pubsub_topic": self.pubsub_topic,
                "push_url": self.push_url,
                "emit_for_api_writes": self.emit_for_api_writes,
            }

    def clear(self) -> None:
        """Forget emitted messages and subscriptions (sinks stay configured)."""
        with self.lock:
            self._messages.clear()
            self.subscriptions.clear()

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
        """Emit the event for one direct membership change."""
        event_type = EVENT_TYPE.format(kind)
        with self.lock:
            if source == "api" and not self.emit_for_api_writes:
                return
            for sub_name, include_resource in self._routes(space, event_type):
                payload = dict(membership) if include_resource else {"name": membership["name"]}
                message = self._message(space, sub_name, event_type, {"membership": payload})
                self._messages.append(message)
                self._deliver(message)

    def _routes(self, space: str, event_type: str) -> list[tuple[str, bool]]:
        if not self.subscriptions:
            return [(DEFAULT_SUBSCRIPTION, True)]
        now = time.time()
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

    def _message(
        self, space: str, subscription: str, event_type: str, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._counter += 1
        stamp = st.now_rfc3339()
        source = f"//workspaceevents.googleapis.com/{subscription}"
        return {
            "attributes": {
                "ce-datacontenttype": "application/json",
                "ce-id": f"{space}/spaceEvents/{uuid.uuid4().hex}",
                "ce-source": source,
                "ce-specversion": "1.0",
                "ce-subject": f"//chat.googleapis.com/{space}",
                "ce-time": stamp,
                "ce-type": event_type,
            },
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": str(self._counter),
            "publishTime": stamp,
            "orderingKey": source,
        }

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
        """Wait until queued deliveries are done (or *timeout* passes)."""
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
