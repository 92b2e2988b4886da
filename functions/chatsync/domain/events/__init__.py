"""Decode Pub/Sub messages into typed events; the only place chatsync reads wire JSON.

    decode_cloud_event(ce_id, ce_type, ce_source, data)  # what a Pub/Sub-triggered function gets
    decode_message(message, message_id=...)               # one Pub/Sub message dict

Both return a tuple (a Chat batch event yields several) or raise ``errors.InvalidEvent`` naming
the field path and the message id. See docs/events.md.
"""

from __future__ import annotations

from chatsync.domain.events.envelope import ADAPTERS, decode_cloud_event, decode_message
from chatsync.domain.events.raw import Adapter, RawMessage
from chatsync.domain.events.types import (
    ChatMembershipEvent,
    DirectoryUserEvent,
    Event,
    EventMeta,
    GroupEvent,
    PersonEvent,
    ReconcileTick,
    SubscriptionLifecycleEvent,
    WorkItemEvent,
)

__all__ = [
    "ADAPTERS",
    "Adapter",
    "ChatMembershipEvent",
    "DirectoryUserEvent",
    "Event",
    "EventMeta",
    "GroupEvent",
    "PersonEvent",
    "RawMessage",
    "ReconcileTick",
    "SubscriptionLifecycleEvent",
    "WorkItemEvent",
    "decode_cloud_event",
    "decode_message",
]
