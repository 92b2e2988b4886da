"""A work item message as JSON and back: what ``on_work_item`` receives on the work topic.

    {"kind": "work_item", "version": 1, "run_id": "reconcile-...", "index": 7,
     "item": "ops" | "people", "cursor": 0,
     "operations": [plan_codec.op_json(op), ...],       # "ops" items
     "watermarks": {"<email>": "<event id>" | ""},     # "ops" items
     "people": ["<email>", ...]}                        # "people" items

``decode`` raises ``WorkCodecError`` naming the field path (``message.data.operations[3]``); the
events adapter (``domain.events.work``) turns it into ``InvalidEvent`` with the message id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from chatsync.domain import model, plan_codec
from chatsync.domain.work_items import KINDS, WorkItem, WorkMessage

KIND = "work_item"
VERSION = 1
_DATA = "message.data"


class WorkCodecError(ValueError):
    """A work message that is not one chatsync wrote: ``path`` names the field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def to_json(message: WorkMessage) -> dict[str, Any]:
    item = message.item
    body: dict[str, Any] = {
        "kind": KIND,
        "version": VERSION,
        "run_id": item.run_id,
        "index": item.index,
        "item": item.kind,
        "cursor": message.cursor,
    }
    if item.kind == "ops":
        body["operations"] = [plan_codec.op_json(op) for op in item.ops]
        body["watermarks"] = dict(item.watermarks)
    else:
        body["people"] = list(item.people)
    return body


def encode(message: WorkMessage) -> bytes:
    """The Pub/Sub message data."""
    return json.dumps(to_json(message), separators=(",", ":")).encode("utf-8")


def decode(body: Mapping[str, object]) -> WorkMessage:
    """The inverse of ``to_json``; every field is checked."""
    version = body.get("version")
    if version != VERSION:
        raise WorkCodecError(f"{_DATA}.version", f"expected {VERSION}, got {version!r}")
    run_id = _text(body, "run_id")
    index = _count(body, "index")
    cursor = _count(body, "cursor")
    kind = body.get("item")
    if kind not in KINDS:
        raise WorkCodecError(f"{_DATA}.item", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "ops":
        raw = _list(body, "operations")
        ops = []
        for i, entry in enumerate(raw):
            try:
                ops.append(plan_codec.op_from_json(entry))
            except ValueError as exc:
                raise WorkCodecError(f"{_DATA}.operations[{i}]", str(exc)) from None
        marks = body.get("watermarks", {})
        if not isinstance(marks, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in marks.items()
        ):
            raise WorkCodecError(f"{_DATA}.watermarks", "expected an object of strings")
        item = WorkItem(
            run_id, index, "ops", ops=tuple(ops), watermarks=MappingProxyType(dict(marks))
        )
    else:
        people = []
        for i, entry in enumerate(_list(body, "people")):
            try:
                people.append(model.email(str(entry)) if isinstance(entry, str) else _bad(entry))
            except ValueError as exc:
                raise WorkCodecError(f"{_DATA}.people[{i}]", str(exc)) from None
        item = WorkItem(run_id, index, "people", people=tuple(people))
    if cursor > item.size:
        raise WorkCodecError(f"{_DATA}.cursor", f"{cursor} is past the item's {item.size} steps")
    return WorkMessage(item, cursor)


def _text(body: Mapping[str, object], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise WorkCodecError(f"{_DATA}.{key}", f"expected a non-empty string, got {value!r:.60}")
    return value


def _count(body: Mapping[str, object], key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise WorkCodecError(f"{_DATA}.{key}", f"expected a whole number >= 0, got {value!r:.60}")
    return value


def _list(body: Mapping[str, object], key: str) -> list[object]:
    value = body.get(key)
    if not isinstance(value, list):
        raise WorkCodecError(f"{_DATA}.{key}", f"expected a list, got {type(value).__name__}")
    return value


def _bad(entry: object) -> model.Email:
    raise ValueError(f"expected an email, got {type(entry).__name__}")
