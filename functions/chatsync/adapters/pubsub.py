"""Publish to Pub/Sub: test messages, as the real publishers (HR bridge, log sink) would, and
work items of a fanned-out run (``PubSubWorkQueue``, the ``WorkQueue`` port on the work topic).

    publish(batch, project="chatsync-local")  # -> the server-assigned message ids, in order

Each message goes to its topic (``TestMessage.topic`` -> a name from ``terraform/pubsub.json``)
with its attributes and, when it names a person, the ordering key (``TestMessage.ordering_key``),
so the ordered push subscriptions deliver one person's events one at a time, in publish order.

``PUBSUB_EMULATOR_HOST`` (or ``emulator_host=``) points the client at the local emulator; without
it the client talks to the real service with Application Default Credentials. Note that the
server assigns ``messageId``: a file's ``message_id`` is only used by the in-process and
``--to URL`` replays, so a "duplicate" published twice arrives as two messages that share an
``event_id`` -- which is exactly what a publisher retry looks like in production.

google-cloud-pubsub is imported at the first publish, not at cold start: only the reconcile and
group functions publish (work items), and only when a run is large enough.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chatsync.domain import errors, messages, work_codec
from chatsync.domain.work_items import WorkMessage

PUBSUB_JSON = Path(__file__).resolve().parents[3] / "terraform" / "pubsub.json"
"""The one source of truth for topic names (present in a checkout, not in the deployed source)."""


def topic_names(config: Path = PUBSUB_JSON) -> dict[str, str]:
    """Topic name per key (``hr``, ``group``, ``chat``, ``reconcile``).

    Read from ``terraform/pubsub.json`` when it is there; otherwise ``messages.DEFAULT_TOPICS``,
    which a unit test keeps equal to the file.
    """
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return dict(messages.DEFAULT_TOPICS)
    return {str(t["key"]): str(t["topic"]) for t in doc["topics"]}


DEAD_LETTER_SUBSCRIPTION_SUFFIX = "-dlq-inspect"
"""``dead_letter_subscription_suffix`` of ``terraform/pubsub.json`` (when the file is absent)."""


def dead_letter_subscriptions(config: Path = PUBSUB_JSON) -> dict[str, str]:
    """The pull subscription on each stream's dead-letter topic, per key: ``<topic>-dlq-inspect``
    (named as ``terraform/pubsub.json`` and ``scripts/local_pubsub.py`` name it)."""
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {k: t + DEAD_LETTER_SUBSCRIPTION_SUFFIX for k, t in topic_names(config).items()}
    suffix = str(doc["dead_letter_subscription_suffix"])
    return {str(t["key"]): str(t["topic"]) + suffix for t in doc["topics"]}


def publish(
    batch: Sequence[messages.TestMessage],
    *,
    project: str,
    topics: Mapping[str, str] | None = None,
    emulator_host: str | None = None,
    timeout: float = 60.0,
) -> list[str]:
    """Publish *batch* in order; return the message id Pub/Sub assigned to each message.

    Args:
        batch: the messages, e.g. ``messages.load(paths)``.
        project: the Google Cloud project holding the topics.
        topics: topic name per key; default ``topic_names()``.
        emulator_host: ``HOST:PORT`` of a Pub/Sub emulator; default ``PUBSUB_EMULATOR_HOST``.
        timeout: seconds to wait for each publish to be acknowledged by the server.

    Raises:
        Unpublishable: a message has neither data nor attributes (Pub/Sub rejects those), or
            names no known topic.
        errors.ConfigError: no emulator and no credentials, an emulator that does not
            answer, or a topic that does not exist (the message says what to start or create).
        errors.RetryableError: Pub/Sub did not acknowledge a message within ``timeout``.
    """
    names = dict(topics) if topics is not None else topic_names()
    for message in batch:
        if not message.data and not message.attributes:
            msg = f"{message.origin}: Pub/Sub rejects a message with neither data nor attributes"
            raise Unpublishable(msg)
        if message.topic not in names:
            msg = f"{message.origin}: no topic name for {message.topic!r} (known: {sorted(names)})"
            raise Unpublishable(msg)
    client = _client(emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST"))
    futures = []
    for message in batch:
        path = client.topic_path(project, names[message.topic])
        futures.append(
            client.publish(
                path,
                message.data,
                ordering_key=message.ordering_key,
                **dict(message.attributes),
            )
        )
        # Wait for each one: a failed publish pauses its ordering key, and waiting keeps
        # the cross-key order of a story too (the tests rely on it).
        _wait(futures[-1], timeout=timeout, what=f"publishing {message.origin} to {path}")
    return [str(f.result(timeout=timeout)) for f in futures]


class Unpublishable(errors.ConfigError, ValueError):
    """A test message Pub/Sub would refuse; nothing was sent."""


PROBE_SECONDS = 3.0
"""How long to try to reach an emulator before saying it is not there (the client itself
would wait for the whole publish timeout, then fail without naming the host)."""


def _wait(future: Any, *, timeout: float, what: str) -> None:
    from google.api_core import exceptions

    try:
        future.result(timeout=timeout)
    except exceptions.NotFound as exc:
        raise errors.ConfigError(
            f"{what}: {exc.message}: create the topics (scripts/pubsub-emulator creates them "
            "on the emulator; terraform/ in a project)"
        ) from None
    except exceptions.GoogleAPICallError as exc:
        raise errors.RetryableError(f"{what}: {exc}") from None
    except TimeoutError:
        raise errors.RetryableError(
            f"{what}: Pub/Sub did not acknowledge it within {timeout:g}s"
        ) from None


class PubSubWorkQueue:
    """Work items to ``topic`` (``projects/P/topics/chatsync-work``, CHATSYNC_WORK_TOPIC).

    No ordering key: items are independent (a space's operations are in one item, or in slices
    without order between them; ``domain.work_items``). Every publish is awaited: a failure
    raises ``RetryableError`` (``ConfigError`` for a topic that does not exist), so the
    delivery that fanned out is redelivered and plans again.
    ``PUBSUB_EMULATOR_HOST`` points it at the emulator, as for ``publish``.
    """

    def __init__(self, topic: str, *, timeout: float = 60.0, emulator_host: str | None = None):
        self.topic = topic
        self.timeout = timeout
        self.emulator_host = emulator_host
        self._publisher: Any = None
        self.published = 0

    def publish(self, messages: Sequence[WorkMessage]) -> None:
        if self._publisher is None:
            self._publisher = _client(self.emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST"))
        futures = [
            self._publisher.publish(
                self.topic,
                work_codec.encode(m),
                kind=work_codec.KIND,
                run_id=m.item.run_id,
                item=str(m.item.index),
                cursor=str(m.cursor),
            )
            for m in messages
        ]
        for future in futures:
            _wait(future, timeout=self.timeout, what=f"publishing work items to {self.topic}")
        self.published += len(messages)


def _client(emulator_host: str | None) -> Any:
    from google.auth import exceptions
    from google.cloud import pubsub_v1  # type: ignore[attr-defined,unused-ignore]

    ordering = pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    if not emulator_host:
        try:
            return pubsub_v1.PublisherClient(publisher_options=ordering)
        except exceptions.DefaultCredentialsError:
            raise errors.ConfigError(
                "PUBSUB_EMULATOR_HOST is not set and there are no Google credentials: start "
                "the local emulator (scripts/pubsub-emulator prints the export line) and set "
                "PUBSUB_EMULATOR_HOST, or run `gcloud auth application-default login` to "
                "publish to a real project"
            ) from None
    _probe(emulator_host)
    import grpc  # type: ignore[import-untyped]
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

    # An explicit insecure channel instead of setting PUBSUB_EMULATOR_HOST for the process.
    transport = PublisherGrpcTransport(channel=grpc.insecure_channel(emulator_host))
    return pubsub_v1.PublisherClient(publisher_options=ordering, transport=transport)


def _probe(host: str) -> None:
    """``ConfigError`` naming the host if nothing listens there."""
    import socket

    name, _, port = host.rpartition(":")
    try:
        with socket.create_connection((name or "127.0.0.1", int(port)), timeout=PROBE_SECONDS):
            return
    except ValueError:
        raise errors.ConfigError(
            f"PUBSUB_EMULATOR_HOST={host!r} is not HOST:PORT (scripts/pubsub-emulator prints it)"
        ) from None
    except OSError as exc:
        raise errors.ConfigError(
            f"cannot reach the Pub/Sub emulator at {host} (PUBSUB_EMULATOR_HOST): "
            f"{exc.strerror or exc}; start it with scripts/pubsub-emulator"
        ) from None


def expected_resources(project: str, config: Path = PUBSUB_JSON) -> tuple[list[str], list[str]]:
    """(topics, subscriptions) a deployment needs, as full names, from ``terraform/pubsub.json``:
    each stream's topic and dead-letter topic, its push subscription and the dead letters'
    inspection subscription."""
    doc = json.loads(config.read_text(encoding="utf-8"))
    topics: list[str] = []
    subscriptions: list[str] = []
    for t in doc["topics"]:
        name = str(t["topic"])
        topics += [name, name + doc["dead_letter_suffix"]]
        subscriptions += [
            name + doc["push_subscription_suffix"],
            name + doc["dead_letter_subscription_suffix"],
        ]
    return (
        [f"projects/{project}/topics/{n}" for n in topics],
        [f"projects/{project}/subscriptions/{n}" for n in subscriptions],
    )


class Inventory:
    """Which of the deployment's topics and subscriptions a project lacks (``chatsync doctor``).

    Application Default Credentials, or ``PUBSUB_EMULATOR_HOST`` for the local emulator. No
    credentials: ``PermissionError`` (doctor reports a warning instead of failing).
    """

    def __init__(self, config: Path = PUBSUB_JSON) -> None:
        self.config = config

    def missing(self, project: str) -> list[str]:
        from google.api_core import exceptions as api_errors
        from google.auth import exceptions as auth_errors
        from google.cloud import pubsub_v1  # type: ignore[attr-defined,unused-ignore]

        topics, subscriptions = expected_resources(project, self.config)
        try:
            publisher = pubsub_v1.PublisherClient()
            subscriber = pubsub_v1.SubscriberClient()
        except auth_errors.DefaultCredentialsError as exc:
            raise PermissionError(f"no Google credentials: {exc}") from exc
        gone: list[str] = []
        try:
            for topic in topics:
                try:
                    publisher.get_topic(request={"topic": topic}, timeout=30)
                except api_errors.NotFound:
                    gone.append(topic)
            for subscription in subscriptions:
                try:
                    subscriber.get_subscription(request={"subscription": subscription}, timeout=30)
                except api_errors.NotFound:
                    gone.append(subscription)
        except (api_errors.PermissionDenied, auth_errors.GoogleAuthError) as exc:
            raise PermissionError(f"cannot read Pub/Sub in {project}: {exc}") from exc
        finally:
            subscriber.close()
        return gone
