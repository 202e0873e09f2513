"""The embedded default sink: alerts in one SQLite file (WAL, synchronous=FULL: durable when `write` returns).

Implements AlertSink (idempotent: INSERT OR IGNORE on the alert id; an alert already stored gets the
enrichments it lacks, `merge_alert`) and AlertStore (list, ack).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from minisoc.correlator.alerts import alert_not_found_hint, mark_ack, may_be_id_prefix, merge_alert
from minisoc.correlator.model import Alert
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import UsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    ts TEXT NOT NULL,          -- @timestamp (the log record's time)
    created TEXT NOT NULL,     -- event.created (when the correlator raised it)
    inserted REAL NOT NULL,    -- epoch seconds of the insert (for --since)
    doc BLOB NOT NULL          -- the alert document, JSON
);
CREATE INDEX IF NOT EXISTS alerts_inserted ON alerts (inserted);
"""

# A rowid table (the id's UNIQUE index beside it): WITHOUT ROWID keeps each row in the primary key's b-tree,
# which SQLite advises only for rows under ~1/20 of a page; an alert document is a few kB, and an alert storm
# (31k alerts, one transaction) took 4.5x longer to store and twice the space. A file created WITHOUT ROWID
# by an earlier version is read and written the same way.
_INSERT = "INSERT OR IGNORE INTO alerts (id, ts, created, inserted, doc) VALUES (?, ?, ?, ?, ?)"
_NOT_OURS_HINT = "name a new file or one a minisoc hunt or correlator wrote; the file was not changed"


def _open_alert_database(path: Path) -> sqlite3.Connection:
    """A connection to the alert database at `path` (created if absent); a UsageError for a directory, a
    file that is not SQLite, or another application's database, which is left exactly as it was."""
    database: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        database = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        tables = {name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "alerts" not in tables:
            database.close()
            listed = ", ".join(sorted(tables)[:5])
            raise UsageError(f"{path}: the SQLite database of something else (tables: {listed})",
                             _NOT_OURS_HINT)
        database.execute("PRAGMA journal_mode=WAL")  # before it, nothing was written
        database.execute("PRAGMA synchronous=FULL")
        database.executescript(_SCHEMA)
    except (sqlite3.Error, OSError) as error:  # a directory, another kind of file, no permission
        if database is not None:
            database.close()
        message = f"{path}: cannot be opened as an alert database ({error})"
        raise UsageError(message, _NOT_OURS_HINT) from error
    return database


class SqliteAlertSink:
    """Alerts in SQLite: `write` is idempotent and durable; `list_alerts`/`ack` read them back."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.is_file():
            raise UsageError(
                f"{path}: no alert database here",
                "run `minisoc hunt --store sqlite:///PATH` or the "
                "correlator first, or pass --store with the right path",
            )
        self._lock = threading.Lock()
        self._db = _open_alert_database(path)
        self.written = 0  # alerts newly inserted by this process
        self.merged = 0  # alerts already present that got enrichments they lacked (a record alerted again)
        self.duplicates = 0  # alerts already present as they were (replays)

    def write(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        now = time.time()
        rows = [
            (
                alert.id,
                str(alert.doc.get("@timestamp", "")),
                str(alert.doc.get("event", {}).get("created", "")),
                now,
                orjson.dumps(alert.doc),
            )
            for alert in alerts
        ]
        with self._lock:
            before = self._db.total_changes
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(_INSERT, rows)
                    inserted = self._db.total_changes - before
                    merged = self._merge(alerts, rows) if inserted < len(rows) else 0
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:  # disk full, locked past the timeout, read-only: nothing written
                raise SinkUnavailable(f"SQLite {self.path}: {error}") from error
        self.written += inserted
        self.merged += merged
        self.duplicates += len(rows) - inserted - merged

    def _merge(self, alerts: Sequence[Alert], rows: list[tuple[str, str, str, float, bytes]]) -> int:
        """In the write's transaction: merge into each stored alert what its new version adds; how many
        changed. An alert stored just now by this write reads back as the same bytes and is skipped."""
        changed = 0
        for alert, row in zip(alerts, rows, strict=True):
            (stored,) = self._db.execute("SELECT doc FROM alerts WHERE id = ?", (alert.id,)).fetchone()
            if stored == row[4]:
                continue
            doc = orjson.loads(stored)
            if merge_alert(doc, alert.doc):
                self._db.execute("UPDATE alerts SET doc = ? WHERE id = ?", (orjson.dumps(doc), alert.id))
                changed += 1
        return changed

    def count(self) -> int:
        with self._lock:
            (total,) = self._db.execute("SELECT count(*) FROM alerts").fetchone()
        return int(total)

    def count_alerts(self, since: datetime | None = None) -> int:
        """How many alerts were stored since `since`."""
        floor = since.timestamp() if since is not None else 0.0
        with self._lock:
            (total,) = self._db.execute(
                "SELECT count(*) FROM alerts WHERE inserted >= ?", (floor,)).fetchone()
        return int(total)

    def list_alerts(self, since: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Alerts raised since `since` (by when they were stored), newest first."""
        floor = since.timestamp() if since is not None else 0.0
        with self._lock:
            rows = self._db.execute(
                "SELECT doc FROM alerts WHERE inserted >= ? ORDER BY inserted DESC, ts DESC, id LIMIT ?",
                (floor, limit),
            ).fetchall()
        return [orjson.loads(doc) for (doc,) in rows]

    def get(self, alert_id: str) -> dict[str, Any]:
        """The alert with this id, or with this unique id prefix (at least 8 characters)."""
        with self._lock:
            return orjson.loads(self._row(alert_id)[1])  # type: ignore[no-any-return]

    def _row(self, alert_id: str) -> tuple[str, bytes]:
        rows = self._db.execute("SELECT id, doc FROM alerts WHERE id = ?", (alert_id,)).fetchall()
        if not rows and may_be_id_prefix(alert_id):
            rows = self._db.execute(
                "SELECT id, doc FROM alerts WHERE id LIKE ? LIMIT 2", (alert_id + "%",)
            ).fetchall()
        if not rows:
            raise UsageError(
                f"alert {alert_id}: not found in {self.path}", alert_not_found_hint(alert_id)
            )
        if len(rows) > 1:
            raise UsageError(f"alert {alert_id}: the prefix is ambiguous", "give more characters of the id")
        return rows[0][0], rows[0][1]

    def ack(self, alert_id: str, false_positive: bool = False) -> dict[str, Any]:
        """Mark the alert acknowledged (or a false positive); returns the updated document."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                full_id, raw = self._row(alert_id)
                doc = orjson.loads(raw)
                mark_ack(doc, false_positive)
                self._db.execute("UPDATE alerts SET doc = ? WHERE id = ?", (orjson.dumps(doc), full_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return doc  # type: ignore[no-any-return]

    def delete_alerts(self, alert_ids: Sequence[str]) -> int:
        """Remove these alerts (full ids; unknown ones are skipped); how many were removed. For `minisoc
        scenario reset`, which takes a scenario's alerts, and the analyst's marks on them, out of a copy."""
        with self._lock:
            before = self._db.total_changes
            self._db.executemany("DELETE FROM alerts WHERE id = ?", [(alert_id,) for alert_id in alert_ids])
            return self._db.total_changes - before

    def close(self) -> None:
        with self._lock:
            self._db.close()
