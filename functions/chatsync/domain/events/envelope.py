"""Unwrap the Pub/Sub CloudEvent and hand the message to the adapter that claims it.

Two envelope shapes arrive (event-sources.md §1.1-1.2):

* Eventarc: ``{"message": {"@type", "data", "attributes", "messageId", "message_id",
  "publishTime", "publish_time", "orderingKey"}, "subscription": "..."}``;
* a raw push body converted by functions-framework: ``{"message": {"data", "attributes",
  "messageId", "publishTime"}}`` with no ``subscription`` and no ``orderingKey``.

Dispatch order: ``attributes.schema`` (HR) -> ``attributes["ce-type"]`` (Workspace Events) ->
a decoded LogEntry (``protoPayload.serviceName/methodName``) -> a work item (``{"kind":
"work_item"}``) -> the reconcile topic. A new source
adds its ``raw.Adapter`` to ``ADAPTERS`` (before ``ticks.ADAPTER``, which is the catch-all for
``kind`` messages and empty data).

Nothing but ``errors.InvalidEvent`` leaves this module for any input.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from types import MappingProxyType

from chatsync.domain import errors
from chatsync.domain.events import (
    auditlog,
    chat_membership,
    fields,
    hr,
    raw,
    ticks,
    types,
    work,
)

ADAPTERS: tuple[raw.Adapter, ...] = (
    hr.ADAPTER,
    chat_membership.ADAPTER,
    auditlog.ADAPTER,
    work.ADAPTER,
    ticks.ADAPTER,
)
"""Tried in order; the first whose ``matches`` is true decodes the message."""

PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def decode_cloud_event(
    ce_id: str, ce_type: str, ce_source: str, data: object
) -> tuple[types.Event, ...]:
    """Decode the CloudEvent functions-framework hands a Pub/Sub-triggered function."""
    where = fields.Where(ce_id if isinstance(ce_id, str) and ce_id else None)
    try:
        if ce_type != PUBSUB_PUBLISHED:
            raise where.fail(
                "type",
                f"{fields.show(ce_type)} is not {PUBSUB_PUBLISHED} "
                f"(source {fields.show(ce_source)})",
            )
        if isinstance(data, bytes | bytearray | str):
            data = _json_body(data, where)
        body = fields.mapping(data, "data", where)
        message = fields.child(body, "message", "data", where)
        return decode_message(message, message_id=where.message_id)
    except errors.InvalidEvent:
        raise
    except (RecursionError, MemoryError):
        raise where.fail("data", "nested too deeply") from None


def decode_message(
    message: Mapping[str, object], *, message_id: str | None = None
) -> tuple[types.Event, ...]:
    """Decode one Pub/Sub message dict: ``{"data": base64, "attributes": {...}, ...}``."""
    where = fields.Where(message_id)
    try:
        unwrapped = _unwrap(message, where)
        for adapter in ADAPTERS:
            if adapter.matches(unwrapped):
                return adapter.decode(unwrapped)
        raise _unclaimed(unwrapped)
    except errors.InvalidEvent:
        raise
    except RecursionError:
        raise where.fail("message", "nested too deeply") from None


def _json_body(data: bytes | bytearray | str, where: fields.Where) -> object:
    parsed = raw.parse_json(
        data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    )
    if parsed is None or isinstance(parsed, raw.NotJson):
        problem = parsed.problem if parsed is not None else "empty"
        raise where.fail("data", problem)
    return parsed


def _unwrap(message: Mapping[str, object], where: fields.Where) -> raw.RawMessage:
    message = fields.mapping(message, "message", where)
    message_id = where.message_id
    for key in ("messageId", "message_id"):
        value = message.get(key)
        if value is not None and not message_id:
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise where.fail(
                    f"message.{key}", f"expected a string, got {fields.kind_of(value)}"
                )
            message_id = str(value)
    where = fields.Where(message_id)
    attributes = _attributes(message, where)
    publish_time = None
    for key in ("publishTime", "publish_time"):
        if message.get(key) is not None:
            publish_time = fields.timestamp(message, key, "message", where)
            break
    ordering_key = ""
    for key in ("orderingKey", "ordering_key"):
        value = fields.optional_string(message, key, "message", where)
        if value:
            ordering_key = value
            break
    data = _data(message, where)
    return raw.RawMessage(
        message_id=message_id or "",
        attributes=attributes,
        data=data,
        publish_time=publish_time,
        ordering_key=ordering_key,
        payload=raw.parse_json(data),
    )


def _attributes(message: Mapping[str, object], where: fields.Where) -> Mapping[str, str]:
    value = message.get("attributes")
    if value is None:
        return MappingProxyType({})
    attributes = fields.mapping(value, "message.attributes", where)
    for key, item in attributes.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise where.fail(
                f"message.attributes.{key}", f"expected a string, got {fields.kind_of(item)}"
            )
    return MappingProxyType(dict(attributes))  # type: ignore[arg-type]


def _data(message: Mapping[str, object], where: fields.Where) -> bytes:
    value = message.get("data")
    if value is None or value == "":
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)  # already decoded by a client library
    if not isinstance(value, str):
        raise where.fail("message.data", f"expected base64 text, got {fields.kind_of(value)}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise where.fail("message.data", "not valid base64") from None


def _unclaimed(message: raw.RawMessage) -> errors.InvalidEvent:
    payload = message.json_object()
    where = message.where
    if payload is not None and "protoPayload" in payload:
        proto = payload.get("protoPayload")
        service = method = None
        if isinstance(proto, Mapping):
            service, method = proto.get("serviceName"), proto.get("methodName")
        return where.fail(
            "message.data.protoPayload",
            f"unsupported source: no adapter for audit log entries of {fields.show(service)} "
            f"method {fields.show(method)}",
        )
    if isinstance(message.payload, raw.NotJson):
        return where.fail("message.data", message.payload.problem)
    hint = (
        json.dumps(sorted(payload)[:5]) if payload is not None else fields.kind_of(message.payload)
    )
    return where.fail(
        "message",
        f"unsupported source: no 'schema' or 'ce-type' attribute and the data ({hint}) "
        "is neither an HR event, a Workspace event, an audit log entry nor a reconcile request",
    )
