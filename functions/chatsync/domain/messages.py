"""Replayable test messages: files that hold Pub/Sub messages as a publisher would send them.

A message file is JSON: one message or a list of them (a story). Each message is

    {"description": "...",                 # optional, shown by replay and the demo
     "topic": "hr",                  # optional: hr|group|chat|reconcile|work (else inferred)
     "message_id": "...",            # optional: fixed Pub/Sub messageId (duplicates reuse it)
     "attributes": {"schema": "dirsync.hr.v1", ...},
     "data": {...}}                         # the JSON payload, or
     "data_text": "not json",               # a raw UTF-8 payload, or
     "data_base64": "%%%"                   # raw base64 (may be deliberately malformed)

``to_pubsub`` gives the Pub/Sub message (base64 data); ``cloud_event`` gives the binary-mode
CloudEvent headers and body exactly as Eventarc delivers them to a function.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatsync.domain.errors import InvalidEvent

PUBSUB_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
TOPIC_KEYS = ("hr", "group", "chat", "reconcile", "work")
ENTRY_POINTS = {
    "hr": "on_hr_event",
    "group": "on_group_event",
    "chat": "on_chat_event",
    "reconcile": "on_reconcile_tick",
    "work": "on_work_item",
}
DEFAULT_TOPICS = {
    "hr": "chatsync-hr-events",
    "group": "chatsync-group-events",
    "chat": "chatsync-chat-events",
    "reconcile": "chatsync-reconcile-ticks",
    "work": "chatsync-work",
}


@dataclass(frozen=True, slots=True)
class TestMessage:
    __test__ = False  # not a pytest class

    origin: str
    topic: str
    data: bytes
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_id: str = ""
    description: str = ""
    ordering_key: str = ""

    @property
    def entry_point(self) -> str:
        return ENTRY_POINTS[self.topic]

    def to_pubsub(self, *, publish_time: str = "2026-11-23T00:00:00Z") -> dict[str, Any]:
        """The message as the push body's ``message`` (Eventarc shape: duplicated fields)."""
        message: dict[str, Any] = {
            "@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage",
            "data": base64.b64encode(self.data).decode("ascii"),
            "attributes": dict(self.attributes),
            "messageId": self.message_id,
            "message_id": self.message_id,
            "publishTime": publish_time,
            "publish_time": publish_time,
        }
        if self.ordering_key:
            message["orderingKey"] = self.ordering_key
        return message

    def cloud_event(
        self, *, project: str = "chatsync-local", topic_name: str | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Binary-mode CloudEvent headers and JSON body, as Eventarc posts them."""
        name = topic_name or DEFAULT_TOPICS[self.topic]
        headers = {
            "ce-id": self.message_id,
            "ce-specversion": "1.0",
            "ce-type": PUBSUB_TYPE,
            "ce-source": f"//pubsub.googleapis.com/projects/{project}/topics/{name}",
            "ce-time": "2026-11-23T00:00:00Z",
            "Content-Type": "application/json",
        }
        body = {
            "message": self.to_pubsub(),
            "subscription": f"projects/{project}/subscriptions/{name}-push",
        }
        return headers, body


def load(paths: Iterable[str | Path]) -> list[TestMessage]:
    """Every message in ``paths`` (files, or folders read recursively in name order)."""
    out: list[TestMessage] = []
    for raw in paths:
        path = Path(raw)
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for file in files:
            out.extend(load_file(file))
    return out


def load_file(path: Path) -> list[TestMessage]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent(str(path), f"not a readable JSON message file: {exc}") from None
    items = doc if isinstance(doc, list) else [doc]
    return [_message(path, i, item) for i, item in enumerate(items)]


def _message(path: Path, index: int, item: Any) -> TestMessage:
    where = f"{path}[{index}]"
    if not isinstance(item, dict):
        raise InvalidEvent(where, "expected a JSON object")
    attributes = item.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise InvalidEvent(f"{where}.attributes", "expected an object of string values")
    if "data" in item:
        data = json.dumps(item["data"], separators=(",", ":")).encode()
    elif "data_text" in item:
        data = str(item["data_text"]).encode()
    elif "data_base64" in item:
        data = _lenient_b64(str(item["data_base64"]))
    else:
        data = b""
    topic = str(item.get("topic") or infer_topic(attributes, item.get("data")))
    if topic not in TOPIC_KEYS:
        raise InvalidEvent(f"{where}.topic", f"{topic!r} is not one of {', '.join(TOPIC_KEYS)}")
    message_id = str(item.get("message_id") or _stable_id(path.name, index, data))
    ordering = str(item.get("ordering_key") or _ordering_key(item.get("data")))
    return TestMessage(
        origin=where,
        topic=topic,
        data=data,
        attributes=dict(attributes),
        message_id=message_id,
        description=str(item.get("description", "")),
        ordering_key=ordering,
    )


def _lenient_b64(text: str) -> bytes:
    """Keep deliberately broken base64 broken: it is re-encoded as raw bytes for transport."""
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return text.encode()


def infer_topic(attributes: Mapping[str, str], data: Any) -> str:
    if attributes.get("ce-type", "").startswith("google.workspace."):
        return "chat"
    if isinstance(data, dict):
        if str(data.get("event_type", "")).startswith("group."):
            return "group"
        if "protoPayload" in data:
            return "group"
        if data.get("kind") in ("reconcile", "approve", "renew_subscriptions"):
            return "reconcile"
        if data.get("kind") == "work_item":
            return "work"
    if attributes.get("event_type", "").startswith("group."):
        return "group"
    return "hr"


def _ordering_key(data: Any) -> str:
    """The one ordering key of person and group events: ``subject.work_email``, lower-cased.

    It is the key chatsync orders, locks and leases a person by (their primary email), and the
    one every event about a person carries: an HR system's ``person_id`` differs from the
    ``google:<email>`` a group event names the same person by (docs/events.md, "Ordering").
    """
    if isinstance(data, dict):
        subject = data.get("subject")
        if isinstance(subject, dict) and isinstance(subject.get("work_email"), str):
            return str(subject["work_email"]).lower()
    return ""


def _stable_id(name: str, index: int, data: bytes) -> str:
    digest = hashlib.sha256(f"{name}:{index}:".encode() + data).hexdigest()
    return str(int(digest[:15], 16))
