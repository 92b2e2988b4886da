"""A ``Publisher`` to Pub/Sub: person events to the HR topic, group events to the group topic.

Topic names come from ``terraform/pubsub.json`` (keys ``hr`` and ``group``) through the wiring;
each message carries the dirsync.hr.v1 attributes and the ordering key ``subject.work_email``
(lower-cased), as docs/events.md asks of every HR bridge. Ordering is enabled on the client, so
one person's events leave in the order they were published. ``emulator_host`` (or
``PUBSUB_EMULATOR_HOST``) points it at the local emulator. google-cloud-pubsub is imported when
the publisher is built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from chatsync.domain.bridges import hr_messages


class PubSubPublisher:
    def __init__(
        self,
        *,
        project: str,
        topics: Mapping[str, str],
        emulator_host: str | None = None,
        timeout: float = 60.0,
        client: Any = None,
    ) -> None:
        missing = {"hr", "group"} - set(topics)
        if missing:
            raise ValueError(f"topics: no name for {', '.join(sorted(missing))}")
        self._project = project
        self._topics = dict(topics)
        self._timeout = timeout
        self._client = client or _client(emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST"))

    def publish(self, event: Mapping[str, Any], *, ordering_key: str) -> None:
        topic = self._client.topic_path(self._project, self._topics[hr_messages.topic_key(event)])
        data = json.dumps(dict(event), separators=(",", ":")).encode()
        future = self._client.publish(
            topic, data, ordering_key=ordering_key, **hr_messages.attributes(event)
        )
        try:
            future.result(timeout=self._timeout)
        except Exception:
            # A failed publish pauses its ordering key until resumed; the caller answers 5xx
            # and the retry must be able to publish again.
            self._client.resume_publish(topic, ordering_key)
            raise


def _client(emulator_host: str | None) -> Any:
    from google.cloud import pubsub_v1  # type: ignore[attr-defined,unused-ignore]

    ordering = pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    if not emulator_host:
        return pubsub_v1.PublisherClient(publisher_options=ordering)
    import grpc  # type: ignore[import-untyped]
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

    transport = PublisherGrpcTransport(channel=grpc.insecure_channel(emulator_host))
    return pubsub_v1.PublisherClient(publisher_options=ordering, transport=transport)
