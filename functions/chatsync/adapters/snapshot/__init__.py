"""A snapshot as the ports: read-only ``ChatMembers`` and ``Directory`` over a snapshot file,
and the file itself (read, write, publish). The value and its JSON form: ``domain.snapshot_codec``.
"""

from __future__ import annotations

from chatsync.adapters.snapshot.files import FileSink, dumps, read, write
from chatsync.adapters.snapshot.reading import SnapshotChat, SnapshotDirectory

__all__ = ["FileSink", "SnapshotChat", "SnapshotDirectory", "dumps", "read", "write"]
