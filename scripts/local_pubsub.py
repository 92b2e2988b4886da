#!/usr/bin/env python3
"""Local Pub/Sub: the gcloud Pub/Sub emulator with chatsync's topics and subscriptions.

Names, entry points, ordering, dead-letter suffixes and the delivery-attempt limit come from
``terraform/pubsub.json`` -- the file Terraform reads too -- so what runs here is what is
deployed: per stream a topic, a dead-letter topic, a pull subscription on the dead-letter topic
(to inspect it) and a push subscription to the function, with a dead-letter policy, a retry
policy (small backoff, for tests) and message ordering where the file says so.

The push endpoint is ``<function base URL>/projects/P/topics/T``: the emulator's push body has
no CloudEvent headers, and functions-framework takes the topic of the CloudEvent it builds from
the request path (docs/pubsub.md).

From Python (the tests)::

    with PubsubEmulator(project="chatsync-local") as pubsub:
        pubsub.create_all({"on_hr_event": "http://127.0.0.1:8081", ...})
        os.environ["PUBSUB_EMULATOR_HOST"] = pubsub.host

From a shell::

    scripts/pubsub-emulator --push on_hr_event=http://127.0.0.1:8081 --push ...

The emulator runs in its own process group and ``stop()`` ends the whole group: ending only the
gcloud wrapper would leave the Java server holding the port. Only the standard library is used
(the emulator speaks REST on the same port as gRPC).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
PUBSUB_JSON = REPO / "terraform" / "pubsub.json"
DEFAULT_PROJECT = "chatsync-local"


class Stream(NamedTuple):
    """One event stream of ``terraform/pubsub.json`` with every derived name.

    (A NamedTuple, not a dataclass: the Terraform tests load this file without registering
    it as a module, which dataclasses need.)
    """

    key: str
    topic: str
    entry_point: str
    ordering: bool
    dead_letter_topic: str
    push_subscription: str
    dead_letter_subscription: str
    max_delivery_attempts: int


def streams(config: Path = PUBSUB_JSON) -> list[Stream]:
    """The streams, with names derived exactly as terraform/main.tf derives them."""
    doc = json.loads(config.read_text(encoding="utf-8"))
    return [
        Stream(
            key=str(t["key"]),
            topic=str(t["topic"]),
            entry_point=str(t["entry_point"]),
            ordering=bool(t["ordering"]),
            dead_letter_topic=t["topic"] + doc["dead_letter_suffix"],
            push_subscription=t["topic"] + doc["push_subscription_suffix"],
            dead_letter_subscription=t["topic"] + doc["dead_letter_subscription_suffix"],
            max_delivery_attempts=int(doc["max_delivery_attempts"]),
        )
        for t in doc["topics"]
    ]


def topic_names(config: Path = PUBSUB_JSON) -> list[str]:
    """Every topic this script creates: the event topics, then their dead-letter topics."""
    found = streams(config)
    return [s.topic for s in found] + [s.dead_letter_topic for s in found]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmulatorError(RuntimeError):
    """The emulator did not start, or refused a request (the message says which and why)."""


class PubsubEmulator:
    """The gcloud Pub/Sub emulator on a loopback port, in its own process group."""

    def __init__(
        self,
        *,
        project: str = DEFAULT_PROJECT,
        port: int = 0,
        config: Path = PUBSUB_JSON,
        minimum_backoff: str = "1s",
        maximum_backoff: str = "2s",
        ack_deadline_seconds: int = 30,
        boot_timeout: float = 60.0,
    ) -> None:
        self.project = project
        self.port = port or free_port()
        self.streams = streams(config)
        self.minimum_backoff = minimum_backoff
        self.maximum_backoff = maximum_backoff
        self.ack_deadline_seconds = ack_deadline_seconds
        self.boot_timeout = boot_timeout
        self.boot_seconds: float | None = None
        """How long the last ``start()`` took until the emulator answered."""
        self._proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"pubsub-emulator-{self.port}.log"
        """The emulator's output (kept after stop, for diagnosis)."""

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``HOST:PORT``, the value for ``PUBSUB_EMULATOR_HOST``."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> PubsubEmulator:
        """Start the emulator and wait until it answers; raise ``EmulatorError`` if it does not."""
        gcloud = shutil.which("gcloud")
        if gcloud is None:
            raise EmulatorError("gcloud is not on PATH (install the Google Cloud SDK and Java)")
        started = time.monotonic()
        env = {**os.environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    gcloud,
                    "beta",
                    "emulators",
                    "pubsub",
                    "start",
                    f"--host-port={self.host}",
                    f"--project={self.project}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = started + self.boot_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self.log_tail()
                self.stop()
                raise EmulatorError(f"the Pub/Sub emulator exited at start:\n{tail}")
            if self._answers():
                self.boot_seconds = time.monotonic() - started
                return self
            time.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise EmulatorError(
            f"the Pub/Sub emulator did not answer within {self.boot_timeout:.0f}s:\n{tail}"
        )

    def stop(self) -> None:
        """End the emulator's whole process group (the gcloud wrapper and the Java server)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # The wrapper may exit before the JVM: make sure the group is gone too.
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    def __enter__(self) -> PubsubEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.host}/", timeout=0.5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    # -- names ----------------------------------------------------------------------------------

    def stream(self, key_or_entry_point: str) -> Stream:
        for s in self.streams:
            if key_or_entry_point in (s.key, s.entry_point, s.topic):
                return s
        raise KeyError(key_or_entry_point)

    def topic_path(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def subscription_path(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"

    def push_endpoint(self, base_url: str, stream: Stream) -> str:
        """The function URL plus the topic path functions-framework reads the topic from."""
        return f"{base_url.rstrip('/')}/{self.topic_path(stream.topic)}"

    # -- resources ------------------------------------------------------------------------------

    def create_all(self, push_endpoints: Mapping[str, str]) -> None:
        """Topics, dead-letter topics and subscriptions; *push_endpoints* maps entry point -> URL.

        Streams without an endpoint get no push subscription. Subscriptions are recreated, so
        nothing left from an earlier run (a message still being retried) is delivered again.
        """
        self.create_topics()
        self.create_subscriptions(push_endpoints)

    def create_topics(self) -> None:
        for stream in self.streams:
            for name in (stream.topic, stream.dead_letter_topic):
                self._request("PUT", self.topic_path(name), {}, exists_ok=True)

    def create_subscriptions(self, push_endpoints: Mapping[str, str]) -> None:
        unknown = set(push_endpoints) - {s.entry_point for s in self.streams}
        if unknown:
            raise KeyError(f"no stream has entry point(s) {sorted(unknown)}")
        for stream in self.streams:
            self._recreate(
                stream.dead_letter_subscription,
                {"topic": self.topic_path(stream.dead_letter_topic), "ackDeadlineSeconds": 60},
            )
            url = push_endpoints.get(stream.entry_point)
            if url is None:
                self.delete_subscription(stream.push_subscription)
                continue
            self._recreate(
                stream.push_subscription,
                {
                    "topic": self.topic_path(stream.topic),
                    "ackDeadlineSeconds": self.ack_deadline_seconds,
                    "enableMessageOrdering": stream.ordering,
                    "pushConfig": {"pushEndpoint": self.push_endpoint(url, stream)},
                    "deadLetterPolicy": {
                        "deadLetterTopic": self.topic_path(stream.dead_letter_topic),
                        "maxDeliveryAttempts": stream.max_delivery_attempts,
                    },
                    "retryPolicy": {
                        "minimumBackoff": self.minimum_backoff,
                        "maximumBackoff": self.maximum_backoff,
                    },
                },
            )

    def delete_subscription(self, name: str) -> None:
        self._request("DELETE", self.subscription_path(name), None, missing_ok=True)

    def _recreate(self, name: str, body: dict[str, Any]) -> None:
        self.delete_subscription(name)
        self._request("PUT", self.subscription_path(name), body)

    def pull(self, subscription: str, *, max_messages: int = 100) -> list[dict[str, Any]]:
        """Pull and ack what *subscription* holds now: ``[{"data": bytes, "attributes": ...}]``."""
        path = self.subscription_path(subscription)
        answer = self._request(
            "POST", f"{path}:pull", {"maxMessages": max_messages, "returnImmediately": True}
        )
        received = answer.get("receivedMessages") or []
        if received:
            self._request("POST", f"{path}:acknowledge", {"ackIds": [r["ackId"] for r in received]})
        out = []
        for item in received:
            message = item["message"]
            out.append(
                {
                    "message_id": message.get("messageId", ""),
                    "data": base64.b64decode(message.get("data", "")),
                    "attributes": message.get("attributes", {}),
                    "ordering_key": message.get("orderingKey", ""),
                }
            )
        return out

    def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        exists_ok: bool = False,
        missing_ok: bool = False,
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://{self.host}/v1/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if (exc.code == 409 and exists_ok) or (exc.code == 404 and missing_ok):
                return {}
            detail = exc.read().decode("utf-8", "replace")[:256]
            raise EmulatorError(f"{method} {path} -> {exc.code}: {detail}") from None
        return json.loads(raw) if raw.strip() else {}


def _parse_push(values: list[str]) -> dict[str, str]:
    endpoints = {}
    for value in values:
        entry_point, sep, url = value.partition("=")
        if not sep or not url.startswith("http"):
            raise SystemExit(f"--push {value!r}: expected ENTRY_POINT=http://host:port")
        endpoints[entry_point] = url
    return endpoints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8085, help="0 = a free port (default 8085)")
    parser.add_argument(
        "--project", default=os.environ.get("GOOGLE_CLOUD_PROJECT", DEFAULT_PROJECT)
    )
    parser.add_argument(
        "--push",
        action="append",
        default=[],
        metavar="ENTRY_POINT=URL",
        help="push subscription target, e.g. on_hr_event=http://127.0.0.1:8081",
    )
    parser.add_argument("--list-topics", action="store_true", help="print the topic names; exit")
    args = parser.parse_args(argv)
    if args.list_topics:
        print("\n".join(topic_names()))
        return 0
    emulator = PubsubEmulator(project=args.project, port=args.port)
    stop = {"now": False}

    def _stop(signum: int, frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        return _serve(emulator, args, stop)
    except EmulatorError as exc:
        # What to install or fix, on one line: the traceback would only hide it.
        print(f"scripts/pubsub-emulator: error: {exc}", file=sys.stderr)
        return 2


def _serve(emulator: PubsubEmulator, args: argparse.Namespace, stop: dict[str, bool]) -> int:
    with emulator:
        emulator.create_all(_parse_push(args.push))
        print(
            f"Pub/Sub emulator ready in {emulator.boot_seconds:.1f}s on {emulator.host} "
            f"(project {args.project}); log: {emulator.log_path}"
        )
        for s in emulator.streams:
            target = next((u for u in args.push if u.startswith(s.entry_point + "=")), None)
            print(
                f"  {s.topic} -> {target or '(no push subscription)'}; "
                f"dead letters: {s.dead_letter_subscription}"
            )
        print(f"export PUBSUB_EMULATOR_HOST={emulator.host}", flush=True)
        while not stop["now"]:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
