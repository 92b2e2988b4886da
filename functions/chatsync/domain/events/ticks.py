"""Messages on the reconcile topic: a tick (``{"kind": "reconcile"}`` or empty data), an
approval of a held plan (``{"kind": "approve", "plan_id": "..."}``) or a subscription renewal
tick (``{"kind": "renew_subscriptions"}``).

A tick may narrow its scope: ``{"kind": "reconcile", "spaces": ["spaces/AAAA"]}``.
"""

from __future__ import annotations

from chatsync.domain import model
from chatsync.domain.events import fields, raw, types

KINDS = ("reconcile", "approve", "renew_subscriptions")
_DATA = "message.data"


def matches(message: raw.RawMessage) -> bool:
    """Ours when there is no data, or a JSON object with ``kind`` (and no other source's marks)."""
    if "schema" in message.attributes or "ce-type" in message.attributes:
        return False
    if message.payload is None:
        return True
    payload = message.json_object()
    return payload is not None and "kind" in payload and "protoPayload" not in payload


def decode(message: raw.RawMessage) -> tuple[types.Event, ...]:
    where = message.where
    occurred_at = message.publish_time or raw.EPOCH
    if message.payload is None:
        meta = message.meta(
            event_id=message.message_id, event_type="reconcile", occurred_at=occurred_at
        )
        return (types.ReconcileTick(meta=meta),)
    body = fields.mapping(message.json(where), _DATA, where)
    kind = fields.one_of(body, "kind", _DATA, where, KINDS)
    where = where.typed(kind)
    meta = message.meta(event_id=message.message_id, event_type=kind, occurred_at=occurred_at)
    if kind == "approve":
        return (
            types.ReconcileTick(
                meta=meta, approve_plan=fields.string(body, "plan_id", _DATA, where)
            ),
        )
    if kind == "renew_subscriptions":
        return (types.ReconcileTick(meta=meta, renew_subscriptions=True),)
    names = fields.strings(body, "spaces", _DATA, where)
    scope: list[model.SpaceName] = []
    for i, name in enumerate(names):
        try:
            scope.append(model.space_name(name))
        except ValueError as exc:
            raise where.fail(f"{_DATA}.spaces[{i}]", str(exc)) from None
    return (types.ReconcileTick(meta=meta, scope=tuple(sorted(set(scope)))),)


ADAPTER = raw.Adapter(name="reconcile", matches=matches, decode=decode)
