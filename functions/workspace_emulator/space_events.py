"""What happened in each space: the record ``spaces.spaceEvents`` reads (reference §11.4).

Every membership event the emulator produces (single or batch) is kept here with its emulated
time, whether or not a subscription or sink received it: Chat keeps the record, and the catch-up
API lists it for 28 days. An event remembers *which* memberships changed, not how they looked:
``spaceEvents`` shows their current state when read.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

MEMBERSHIP = "google.workspace.chat.membership.v1."
LOOK_BACK = 28 * 24 * 3600.0
"""How far back ``spaceEvents.list`` reaches, in seconds."""
_EPOCH = datetime.datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class SpaceEvent:
    """One event in one space; a batch event names several memberships."""

    name: str
    space: str
    event_type: str
    time: float
    memberships: tuple[str, ...]

    @property
    def suffix(self) -> str:
        """``created``, ``batchDeleted``...: the last part of the event type."""
        return self.event_type.rpartition(".")[2]

    @property
    def is_batch(self) -> bool:
        """Whether this is a ``batch*`` event."""
        return self.suffix.startswith("batch")

    @property
    def base_type(self) -> str:
        """The subscribable type: ``...v1.batchCreated`` → ``...v1.created``."""
        suffix = self.suffix
        if self.is_batch:
            suffix = suffix[5].lower() + suffix[6:]
        return MEMBERSHIP + suffix

    @property
    def data_field(self) -> str:
        """The SpaceEvent field holding the payload, e.g. ``membershipBatchCreatedEventData``."""
        suffix = self.suffix
        return f"membership{suffix[0].upper()}{suffix[1:]}EventData"


class SpaceEventLog:
    """Space events per space, oldest first. Not thread-safe: the caller holds a lock."""

    def __init__(self) -> None:
        self._by_space: dict[str, list[SpaceEvent]] = {}

    def record(
        self, space: str, event_type: str, memberships: tuple[str, ...], time: float
    ) -> SpaceEvent:
        """Keep a new event and return it (its name doubles as the messages' ``ce-id``)."""
        # Whole microseconds, as eventTime shows it: a filter on a listed eventTime must match.
        whole = datetime.datetime.fromtimestamp(time, datetime.UTC).replace(tzinfo=None)
        exact = (whole - _EPOCH) // datetime.timedelta(microseconds=1) / 1e6
        event = SpaceEvent(
            f"{space}/spaceEvents/{uuid.uuid4().hex}", space, event_type, exact, memberships
        )
        self._by_space.setdefault(space, []).append(event)
        return event

    def between(self, space: str, start: float, end: float) -> list[SpaceEvent]:
        """Events of *space* with ``start < time <= end``, oldest first."""
        return [e for e in self._by_space.get(space, ()) if start < e.time <= end]

    def get(self, name: str) -> SpaceEvent | None:
        """An event by its name."""
        space = name.split("/spaceEvents/", 1)[0]
        return next((e for e in self._by_space.get(space, ()) if e.name == name), None)

    def clear(self) -> None:
        """Forget everything."""
        self._by_space.clear()
