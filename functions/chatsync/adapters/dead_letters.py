"""How many messages wait on a dead-letter subscription: ``chatsync status --project``.

Each stream's dead-letter topic has a pull subscription to inspect it (``<topic>-dlq-inspect``,
``terraform/pubsub.json``). It is counted by pulling what it holds and handing every message
straight back (``modifyAckDeadline`` 0: "the message is immediately made available for another
delivery", cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/
modifyAckDeadline): nothing is acknowledged, nothing is lost. Those subscriptions have no
dead-letter policy of their own, so the extra delivery attempt changes nothing. Counting stops
at ``cap`` (the answer is then "at least"); Cloud Monitoring's
``subscription/num_undelivered_messages`` (the dashboard, the alert) is the metric of record.

``PUBSUB_EMULATOR_HOST`` (or ``emulator_host=``) points the client at the local emulator; without
it the client talks to Pub/Sub with Application Default Credentials. google-cloud-pubsub is
imported on first use: only the CLI counts, never a function.
"""

from __future__ import annotations

import os
from typing import Any

CAP = 10_000
"""Messages counted per subscription at most."""


class PubsubDeadLetters:
    """The ``DeadLetters`` port over Pub/Sub synchronous pull."""

    def __init__(
        self,
        project: str,
        *,
        emulator_host: str | None = None,
        timeout: float = 10.0,
        cap: int = CAP,
    ) -> None:
        self.project = project
        self.emulator_host = emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST") or None
        self.timeout = timeout
        self.cap = cap
        self._client: Any = None

    def waiting(self, subscription: str) -> int:
        client = self._subscriber()
        path = client.subscription_path(self.project, subscription)
        seen: set[str] = set()
        leased: list[str] = []
        try:
            while len(seen) < self.cap:
                answer = client.pull(
                    request={
                        "subscription": path,
                        "max_messages": min(1000, self.cap - len(seen)),
                        "return_immediately": True,
                    },
                    timeout=self.timeout,
                )
                fresh = [r for r in answer.received_messages if r.message.message_id not in seen]
                if not fresh:
                    break
                seen.update(r.message.message_id for r in fresh)
                leased += [r.ack_id for r in answer.received_messages]
        finally:
            for start in range(0, len(leased), 1000):
                client.modify_ack_deadline(
                    request={
                        "subscription": path,
                        "ack_ids": leased[start : start + 1000],
                        "ack_deadline_seconds": 0,
                    }
                )
        return len(seen)

    def _subscriber(self) -> Any:
        if self._client is None:
            from google.cloud import pubsub_v1  # type: ignore[attr-defined,unused-ignore]

            if self.emulator_host:
                import grpc  # type: ignore[import-untyped]
                from google.pubsub_v1.services.subscriber.transports import (
                    SubscriberGrpcTransport,
                )

                channel = grpc.insecure_channel(self.emulator_host)
                self._client = pubsub_v1.SubscriberClient(
                    transport=SubscriberGrpcTransport(channel=channel)
                )
            else:
                self._client = pubsub_v1.SubscriberClient()
        return self._client
