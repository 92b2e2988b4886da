"""Work items: one slice of a large change set, handled by one function invocation at a time.

A full reconcile and a group event with many members do not apply their changes themselves: they
cut them into work items and publish each on the work topic (``terraform/pubsub.json`` key
``work``), where ``on_work_item`` handles them side by side, within an invocation time budget.

Two kinds, because the two producers know different things:

* ``ops``: a full reconcile has read every roster, so it ships the planned operations. The
  handler writes them without reading anything again (a person's watermark is checked first: an
  HR event applied since the plan supersedes that person's operations). Items are cut *by space*:
  a space's operations stay in plan order, and a space with an owner change is never cut (a new
  owner must be in before the old one steps down); other spaces are cut into slices and small
  ones packed together, up to ``max_ops`` operations an item.
* ``people``: a group event has read nothing, so it ships the people it names, in chunks; the
  handler plans each person as an HR event would (reading only what can change) and applies.

Why by space for the reconcile and not by chunks of people: a person's plan reads each space
that can change for them again (about 10 reads a person in the scale org), so a 10,000-change
reorg re-read as people would spend tens of thousands of reads the survey already made, at a
tenth of the write rate's speed; by space costs no read at all (docs/fanout.md has the figures).

``cursor`` is how many steps (operations or people) of the item are done: a continuation is the
same item published again with the cursor where the invocation's budget ran out. ``item_id`` plus
the cursor is the message's event id, so a redelivered message is recognised as a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from chatsync.domain import model, planning

ItemKind = Literal["ops", "people"]
KINDS: tuple[ItemKind, ...] = ("ops", "people")
DEFAULT_MAX_OPS = 50
"""Operations an item holds at most (``CHATSYNC_WORK_ITEM_SIZE``). At a work instance's 45 writes
a minute an item of 50 takes about a minute: small enough that the last items of a run end close
together (the tail where one instance works alone is short: docs/fanout.md has the measurements),
large enough that the per-item cost (one message, two store documents) is noise."""


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One slice of a run. ``index`` is its position in the run (0-based)."""

    run_id: str
    index: int
    kind: ItemKind
    ops: tuple[planning.Operation, ...] = ()
    people: tuple[model.Email, ...] = ()
    watermarks: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """For ``ops``: each person's watermark event id when planned ("" for none)."""

    @property
    def item_id(self) -> str:
        return f"{self.run_id}/{self.index:05d}"

    @property
    def size(self) -> int:
        """Steps in the item: operations or people."""
        return len(self.ops) if self.kind == "ops" else len(self.people)


@dataclass(frozen=True, slots=True)
class WorkMessage:
    """A work item as published: from ``cursor`` on (0 for a fresh item)."""

    item: WorkItem
    cursor: int = 0

    @property
    def event_id(self) -> str:
        """The idempotency key: the item and where this delivery starts."""
        return f"work:{self.item.item_id}@{self.cursor}"


def slice_operations(
    operations: Sequence[planning.Operation], *, max_ops: int = DEFAULT_MAX_OPS
) -> list[tuple[planning.Operation, ...]]:
    """Cut a plan's operations into items of at most ``max_ops`` (by space, see above).

    Each space's operations keep their plan order. A space with an operation that gives or takes
    the owner role stays whole in one item, however long; any other space is cut into slices of
    ``max_ops``, and what is left of it is packed with other spaces' remainders into items of at
    most ``max_ops``. Every operation lands in exactly one item; the largest items come first.
    """
    if max_ops < 1:
        raise ValueError(f"max_ops must be at least 1, got {max_ops}")
    lanes: dict[model.SpaceName, list[planning.Operation]] = {}
    for op in operations:
        lanes.setdefault(op.space, []).append(op)
    whole: list[tuple[planning.Operation, ...]] = []
    pieces: list[tuple[planning.Operation, ...]] = []
    for ops in lanes.values():
        if any(_touches_owner(op) for op in ops):
            whole.append(tuple(ops))
            continue
        for start in range(0, len(ops), max_ops):
            pieces.append(tuple(ops[start : start + max_ops]))
    items = list(whole)
    packing: list[planning.Operation] = []
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) == max_ops:
            items.append(piece)
            continue
        if len(packing) + len(piece) > max_ops:
            items.append(tuple(packing))
            packing = []
        packing.extend(piece)
    if packing:
        items.append(tuple(packing))
    return sorted(items, key=len, reverse=True)


def chunk_people(people: Iterable[model.Email], *, size: int) -> list[tuple[model.Email, ...]]:
    """Sorted, distinct people in chunks of ``size``."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    ordered = sorted(set(people))
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def _touches_owner(op: planning.Operation) -> bool:
    return model.Role.OWNER in (op.before, op.after)
