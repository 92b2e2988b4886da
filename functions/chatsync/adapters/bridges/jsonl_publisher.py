"""A ``Publisher`` that appends each event to a file, one replayable message per line.

Each line is a message in the shape ``chatsync replay`` reads (chatsync/messages.py): ``topic``
(``hr`` or ``group``), ``ordering_key``, ``attributes`` and ``data`` (the dirsync.hr.v1 event).
Gather lines into a JSON list and ``chatsync replay`` sends them through the function's own code
path; or publish them to the Pub/Sub emulator with ``chatsync replay --to pubsub``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chatsync.domain.bridges import hr_messages


def message(event: Mapping[str, Any], *, ordering_key: str) -> dict[str, Any]:
    """The replayable message for one event (also what the Pub/Sub adapter sends)."""
    return {
        "description": f"{event['event_type']} {event['subject']['work_email']}",
        "topic": hr_messages.topic_key(event),
        "ordering_key": ordering_key,
        "attributes": hr_messages.attributes(event),
        "data": dict(event),
    }


class JsonLinesPublisher:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()

    def publish(self, event: Mapping[str, Any], *, ordering_key: str) -> None:
        line = json.dumps(message(event, ordering_key=ordering_key), sort_keys=True)
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()


def read_lines(path: str | Path) -> list[dict[str, Any]]:
    """Every message a ``JsonLinesPublisher`` wrote, in order."""
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
