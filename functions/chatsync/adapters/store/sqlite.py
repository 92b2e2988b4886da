"""State in a local sqlite file: the embedded default for the demo and local runs."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from chatsync.app.ports import AuditEntry, Watermark, journal
from chatsync.domain.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (event_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS watermarks (person TEXT PRIMARY KEY, occurred_at REAL NOT NULL,
                                       sequence INTEGER, event_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,
                                  space TEXT NOT NULL, email TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_run ON audit (run_id);
CREATE INDEX IF NOT EXISTS audit_email ON audit (email);
CREATE INDEX IF NOT EXISTS audit_space ON audit (space);
CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
                                 PRIMARY KEY (kind, key));
"""


class SqliteStore:
    def __init__(self, path: str) -> None:
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it consistent
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            # sqlite's own message ("unable to open database file") does not say which file.
            raise ConfigError(
                f"state file {path}: cannot open it: {exc} (CHATSYNC_STATE_PATH / --state: "
                "a location this user can write)"
            ) from None
        self._lock = threading.Lock()

    def is_processed(self, event_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM processed WHERE event_id = ?", (event_id,)
            ).fetchone()
        return row is not None

    def mark_processed(self, event_id: str, at: float) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO processed VALUES (?, ?)", (event_id, at))

    def get_watermark(self, person: str) -> Watermark | None:
        with self._lock:
            row = self._db.execute(
                "SELECT occurred_at, sequence, event_id FROM watermarks WHERE person = ?", (person,)
            ).fetchone()
        return Watermark(row[0], row[1], row[2]) if row else None

    def advance_watermark(self, person: str, mark: Watermark) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT occurred_at, sequence, event_id FROM watermarks WHERE person = ?",
                    (person,),
                ).fetchone()
                if row is not None and not mark.is_newer_than(Watermark(row[0], row[1], row[2])):
                    self._db.execute("COMMIT")
                    return False
                self._db.execute(
                    "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?, ?)",
                    (person, mark.occurred_at, mark.sequence, mark.event_id),
                )
                self._db.execute("COMMIT")
                return True
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record(self, entries: Sequence[AuditEntry]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO audit (run_id, space, email, body) VALUES (?, ?, ?, ?)",
                [(e.run_id, e.space, e.email, json.dumps(e.to_dict())) for e in entries],
            )

    def audit(
        self, *, person: str | None = None, space: str | None = None, run: str | None = None
    ) -> list[AuditEntry]:
        clauses, args = [], []
        for column, value in (("email", person), ("space", space), ("run_id", run)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM audit{where} ORDER BY id", args).fetchall()
        return journal([AuditEntry.from_dict(json.loads(r[0])) for r in rows])

    def put_doc(self, kind: str, key: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO docs VALUES (?, ?, ?)",
                (kind, key, json.dumps(data, default=str)),
            )

    def put_docs(self, kind: str, docs: Mapping[str, dict[str, Any]]) -> None:
        rows = [(kind, key, json.dumps(data, default=str)) for key, data in docs.items()]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def update_doc(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # other processes on the file wait for it
            try:
                row = self._db.execute(
                    "SELECT body FROM docs WHERE kind = ? AND key = ?", (kind, key)
                ).fetchone()
                new = change(json.loads(row[0]) if row else None)
                if new is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO docs VALUES (?, ?, ?)",
                        (kind, key, json.dumps(new, default=str)),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM docs WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def list_docs(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, body FROM docs WHERE kind = ? ORDER BY key", (kind,)
            ).fetchall()
        return [(k, json.loads(b)) for k, b in rows]
