"""The work function as deployed, in one process: a topic and N instances pulling from it.

``Topic`` stands for the work topic and its push subscription: it implements the ``WorkQueue``
port, and every message it hands out is encoded as on the wire and decoded by
``domain.events``, then handled by the instance's own pipeline (``Pipeline.handle``: the
duplicate check and ``app.work_items``), exactly as ``on_work_item`` does it. Each instance has
its own rate limiter at the per-instance rate Terraform computes (the project quota split among
the instances), its own name in claims and leases, and the invocation budget; they share the
store, as Cloud Functions instances share Firestore. A delivery that raises ``RetryableError``
goes back to the topic after Pub/Sub's minimum back-off (10 s of quota time).

Every delivery is one invocation: its duration (scaled to quota time) is what
``max_invocation_s`` reports against the budget.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatsync.app.pipeline import Pipeline
from chatsync.domain import errors, events, work_codec
from chatsync.domain.work_items import WorkMessage

MIN_BACKOFF_S = 10.0
"""Pub/Sub's minimum redelivery back-off in terraform/pubsub.tf (quota seconds)."""


@dataclass
class Topic:
    """The work topic: published messages wait here until an instance takes one."""

    time_scale: float = 1.0
    pending: deque[tuple[float, WorkMessage]] = field(default_factory=deque)
    lock: threading.Condition = field(default_factory=threading.Condition)
    published: int = 0
    continuations: int = 0
    busy: int = 0

    def publish(self, messages: Sequence[WorkMessage]) -> None:
        with self.lock:
            for message in messages:
                self.pending.append((0.0, message))
                self.published += 1
                self.continuations += 1 if message.cursor else 0
            self.lock.notify_all()

    def redeliver(self, message: WorkMessage) -> None:
        at = time.monotonic() + MIN_BACKOFF_S / self.time_scale
        with self.lock:
            self.pending.append((at, message))
            self.lock.notify_all()

    def take(self) -> WorkMessage | None:
        """The next message due, waiting while others may still publish; None when all done."""
        with self.lock:
            while True:
                now = time.monotonic()
                for index, (due, message) in enumerate(self.pending):
                    if due <= now:
                        del self.pending[index]
                        self.busy += 1
                        return message
                if not self.pending and self.busy == 0:
                    self.lock.notify_all()
                    return None
                self.lock.wait(timeout=0.05)

    def settled(self) -> None:
        with self.lock:
            self.busy -= 1
            self.lock.notify_all()


@dataclass
class Invocations:
    durations: list[float] = field(default_factory=list)
    retried: int = 0
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, *, retried: bool = False, dropped: bool = False) -> None:
        with self.lock:
            self.durations.append(seconds)
            self.retried += retried
            self.dropped += dropped


def serve(
    topic: Topic, instances: Sequence[Pipeline], *, on_error: Callable[[str], None]
) -> Invocations:
    """Run every instance until the topic is empty and nothing is in flight."""
    seen = Invocations()
    counter = [0]
    counter_lock = threading.Lock()

    def worker(pipeline: Pipeline) -> None:
        while (message := topic.take()) is not None:
            with counter_lock:
                counter[0] += 1
                number = counter[0]
            wire = {
                "data": base64.b64encode(work_codec.encode(message)).decode("ascii"),
                "messageId": f"bench-{number}",
            }
            began = time.perf_counter()
            try:
                for event in events.decode_message(wire):
                    pipeline.handle(event)
                seen.add(time.perf_counter() - began)
            except errors.RetryableError:
                seen.add(time.perf_counter() - began, retried=True)
                topic.redeliver(message)
            except Exception as exc:  # a bug: report it, and do not hang the benchmark
                seen.add(time.perf_counter() - began, dropped=True)
                on_error(f"{type(exc).__name__}: {exc}")
            finally:
                topic.settled()

    threads = [
        threading.Thread(target=worker, args=(p,), name=f"work-{i}", daemon=True)
        for i, p in enumerate(instances)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


def invocation_summary(seen: Invocations, *, time_scale: float) -> dict[str, Any]:
    return {
        "invocations": len(seen.durations),
        "max_invocation_s": round(max(seen.durations, default=0.0) * time_scale, 1),
        "redelivered": seen.retried,
        "dropped": seen.dropped,
    }
