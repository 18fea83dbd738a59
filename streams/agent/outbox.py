"""The publisher's queue on disk: every message waits here until the broker has acknowledged it.

paho keeps unacknowledged messages in memory only, so a publisher process that
dies (a reboot, a power cut at the SKPD, cron's next run) would lose them. Each
message therefore goes into this SQLite file first, with its id already given,
and leaves it only on PUBACK; a row sent twice (the ack was lost with the link)
carries the same id, and the command center stores it once.

SQLite because it is in every Python and survives a crash mid-write (WAL, one
transaction per batch); synchronous=FULL because the rows may be the only copy
of a day's figures, and a queue of this size writes little.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS owner (code TEXT NOT NULL)
"""


class Outbox:
    """A FIFO of telemetry messages in one SQLite file (mode 600), safe to share between threads.

    Rows: seq (the order), id (the message's), payload (its JSON), queued_at (epoch seconds).
    Several processes may open the same file (cron overlapping a long drain): WAL and a busy
    timeout let them; a message both send is stored once by its id.

    The rows carry no unit code (the topic gives it), so a non-empty outbox belongs to the
    `owner` that queued into it, and opening it for another unit is refused: one PC publishing
    for two units must not send one unit's figures as the other's.
    """

    def __init__(self, path: str | os.PathLike[str], owner: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Created 600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        if os.name == "posix":
            os.chmod(self.path, 0o600)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if owner is not None:
            self._claim(owner)

    def _claim(self, owner: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT code FROM owner").fetchone()
            (waiting,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
            if row is None or (row[0] != owner and not waiting):
                self._db.execute("DELETE FROM owner")
                self._db.execute("INSERT INTO owner (code) VALUES (?)", (owner,))
                row = None
            self._db.execute("COMMIT")
        if row is not None and row[0] != owner:
            self._db.close()
            raise ValueError(f"the outbox {self.path} holds messages of unit {row[0]!r}, not {owner!r}")

    def put(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """Queue messages (each with its `id`) in one transaction; one already queued is not queued twice.

        Returns how many were added.
        """
        now = time.time()
        rows = [(str(m["id"]), json.dumps(m, separators=(",", ":"), allow_nan=False), now) for m in messages]
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR IGNORE INTO outbox (id, payload, queued_at) VALUES (?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def oldest(self, n: int, *, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
        """Up to `n` (seq, message) pairs, oldest first, with seq greater than `after`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after, n)
            ).fetchall()
        return [(seq, json.loads(payload)) for seq, payload in rows]

    def remove(self, seqs: Iterable[int]) -> None:
        """Forget messages the broker has acknowledged."""
        keys = [(seq,) for seq in seqs]
        if not keys:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("DELETE FROM outbox WHERE seq = ?", keys)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(n)

    def oldest_queued_at(self) -> float | None:
        """When the oldest waiting message was queued (epoch seconds), or None when empty."""
        with self._lock:
            (at,) = self._db.execute("SELECT min(queued_at) FROM outbox").fetchone()
        return None if at is None else float(at)

    def owner(self) -> str | None:
        """The unit whose messages this outbox holds (None before any unit used it)."""
        with self._lock:
            row = self._db.execute("SELECT code FROM owner").fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
