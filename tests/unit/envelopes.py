"""Build Pub/Sub CloudEvent bodies the way Eventarc and functions-framework deliver them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent.parent / "data" / "events"
PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
SOURCE = "//pubsub.googleapis.com/projects/p/topics/hr-events"


def golden(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


def b64(payload: object) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.b64encode(raw).decode()


def eventarc(
    payload: object,
    attributes: dict[str, str] | None = None,
    *,
    mid: str = "2407454701990617",
    ordering_key: str | None = "emp-1042",
) -> dict[str, Any]:
    """The production shape: duplicated id/time fields, ``@type``, ``orderingKey``, subscription."""
    message: dict[str, Any] = {
        "@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage",
        "data": b64(payload),
        "attributes": attributes if attributes is not None else {"schema": "dirsync.hr.v1"},
        "messageId": mid,
        "message_id": mid,
        "publishTime": "2026-03-16T00:00:05.84Z",
        "publish_time": "2026-03-16T00:00:05.84Z",
    }
    if ordering_key is not None:
        message["orderingKey"] = ordering_key
    return {
        "message": message,
        "subscription": "projects/p/subscriptions/eventarc-us-central1-t-sub-935",
    }


def raw_push(
    payload: object, attributes: dict[str, str] | None = None, *, mid: str = "77"
) -> dict[str, Any]:
    """What functions-framework makes of a raw push body: no subscription, no orderingKey."""
    return {
        "message": {
            "@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage",
            "data": b64(payload),
            "attributes": attributes or {},
            "messageId": mid,
            "publishTime": "2026-03-16T00:00:05Z",
        }
    }


def workspace(
    ce_type: str, payload: object, *, ce_id: str = "spaces/AAAAxyz/spaceEvents/E1"
) -> dict[str, Any]:
    """A Workspace Events message (CloudEvent context in the attributes) inside Eventarc."""
    attributes = {
        "ce-id": ce_id,
        "ce-specversion": "1.0",
        "ce-type": ce_type,
        "ce-source": "//workspaceevents.googleapis.com/subscriptions/chat-spaces-abc",
        "ce-subject": "//chat.googleapis.com/spaces/AAAAxyz",
        "ce-time": "2026-03-02T12:10:00.123Z",
        "ce-datacontenttype": "application/json",
    }
    return eventarc(
        payload,
        attributes,
        mid="555",
        ordering_key="//workspaceevents.googleapis.com/subscriptions/s",
    )
