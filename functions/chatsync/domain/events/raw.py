"""One unwrapped Pub/Sub message, and the shape of an adapter that turns it into events.

An adapter is a pair of functions: ``matches`` looks at attributes and the parsed payload and
says "this is mine"; ``decode`` produces the typed events or raises ``InvalidEvent``. The
envelope tries adapters in order (``envelope.ADAPTERS``) and the first match decodes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from chatsync.domain.events import fields, types

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Stands in for an unknown publish time (a hand-made message without ``publishTime``)."""


class NotJson:
    """Marks a payload that did not parse; ``problem`` says why."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A Pub/Sub message after base64: bytes, attributes and delivery facts."""

    message_id: str
    attributes: Mapping[str, str]
    data: bytes
    publish_time: datetime | None
    ordering_key: str
    payload: object
    """``data`` parsed as JSON, ``None`` when data is empty, or a ``NotJson`` marker."""

    @property
    def where(self) -> fields.Where:
        return fields.Where(self.message_id or None)

    def json(self, where: fields.Where | None = None) -> object:
        """The parsed payload; raise ``InvalidEvent`` at ``message.data`` if it did not parse."""
        where = where or self.where
        if isinstance(self.payload, NotJson):
            raise where.fail("message.data", self.payload.problem)
        if self.payload is None:
            raise where.fail("message.data", "missing (the message has no data)")
        return self.payload

    def json_object(self) -> Mapping[str, object] | None:
        """The payload when it is a JSON object, else None (for ``matches`` functions)."""
        return self.payload if isinstance(self.payload, Mapping) else None

    def meta(
        self,
        *,
        event_id: str,
        event_type: str,
        occurred_at: datetime,
        sequence: int | None = None,
        source_system: str = "",
    ) -> types.EventMeta:
        return types.EventMeta(
            message_id=self.message_id,
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at,
            sequence=sequence,
            source_system=source_system,
            ordering_key=self.ordering_key,
            attributes=self.attributes,
        )


def parse_json(data: bytes) -> object:
    """JSON of *data*, ``None`` when empty, or a ``NotJson`` naming the problem."""
    if not data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return NotJson(f"not UTF-8 text (byte {exc.start})")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return NotJson("JSON nested too deeply")
    except ValueError as exc:
        return NotJson(f"not JSON ({str(exc)[:80]})")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


@dataclass(frozen=True, slots=True)
class Adapter:
    """A source of events: ``matches`` claims a message, ``decode`` turns it into events."""

    name: str
    matches: Callable[[RawMessage], bool]
    decode: Callable[[RawMessage], tuple[types.Event, ...]]
