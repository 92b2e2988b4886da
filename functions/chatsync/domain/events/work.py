"""Messages on the work topic: one work item of a fanned-out run (``domain.work_codec``).

The event id is the item id and the cursor the message starts from (``WorkMessage.event_id``):
a redelivery of the same message is a duplicate, a continuation (a later cursor) is not.
"""

from __future__ import annotations

from chatsync.domain import work_codec
from chatsync.domain.events import fields, raw, types

_DATA = "message.data"


def matches(message: raw.RawMessage) -> bool:
    """Ours when the data is a JSON object whose ``kind`` is ``work_item``."""
    payload = message.json_object()
    return payload is not None and payload.get("kind") == work_codec.KIND


def decode(message: raw.RawMessage) -> tuple[types.Event, ...]:
    where = message.where.typed(work_codec.KIND)
    body = fields.mapping(message.json(where), _DATA, where)
    try:
        work = work_codec.decode(body)
    except work_codec.WorkCodecError as exc:
        raise where.fail(exc.path, exc.problem) from None
    meta = message.meta(
        event_id=work.event_id,
        event_type=work_codec.KIND,
        occurred_at=message.publish_time or raw.EPOCH,
    )
    return (types.WorkItemEvent(meta=meta, work=work),)


ADAPTER = raw.Adapter(name="work", matches=matches, decode=decode)
