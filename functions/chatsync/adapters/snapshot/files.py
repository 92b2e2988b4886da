"""Snapshot files: read one (every problem names the file), write one whole or not at all.

``write`` goes through a temporary file in the same folder and ``os.replace``, so a reader never
sees half a snapshot. ``FileSink`` is the ``SnapshotSink`` for a local path in
``CHATSYNC_SNAPSHOT_URI`` (a bucket is ``adapters.bucket``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from chatsync.domain import errors, snapshot_codec
from chatsync.domain.snapshot_codec import Snapshot


def dumps(snapshot: Snapshot) -> str:
    """The document, indented and sorted: two snapshots diff line by line."""
    return json.dumps(snapshot_codec.to_json(snapshot), indent=1, sort_keys=True) + "\n"


def read(path: str | Path) -> Snapshot:
    """The snapshot in ``path``; ``SnapshotError`` names the file and what is wrong."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.SnapshotError(name, f"cannot read: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.SnapshotError(
            name, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    return snapshot_codec.from_json(document, file=name)


def write(path: str | Path, snapshot: Snapshot) -> None:
    """Replace ``path`` with ``snapshot`` in one step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(dumps(snapshot))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class FileSink:
    """``SnapshotSink`` writing a local file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def publish(self, snapshot: Snapshot) -> None:
        try:
            write(self.path, snapshot)
        except OSError as exc:
            raise errors.ConfigError(
                f"CHATSYNC_SNAPSHOT_URI={str(self.path)!r}: cannot write: {exc}"
            ) from None
