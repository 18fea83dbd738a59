"""A worker's writes to storage: camera_state, camera_outages, camera_activity, in one batch.

The analysis loop never waits on the database: it hands rows to this writer,
which flushes them in one transaction twice a second, and at once on a status
change. A camera's state row is written when something a page shows changes,
and otherwise once a second (its fps, activity and frame age move all the
time); 16 cameras then cost ~16 small writes a second, not 80.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, select
from sqlalchemy.exc import SQLAlchemyError

from scc.clock import utcnow
from scc.storage.cameras import camera_activity, camera_outages, camera_state

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 0.5  # and at once when a status changes or an outage starts or ends
REFRESH_EVERY_S = 1.0
# Fields whose change is written at the next flush rather than within the second.
PROMPT = ("status", "last_error", "codec", "reconnects", "width", "height")
# An open outage left by a worker that stopped this recently is carried on (below).
ADOPT_WITHIN = timedelta(seconds=60)
# While the database is away, keep at most this many activity rows.
MAX_PENDING_ACTIVITY = 10_000


def settle_open_outages(engine: Engine, uplinks: dict[str, str], now: datetime | None = None) -> set[str]:
    """At start: decide the fate of the outages a previous run left open; return the cameras still in one.

    An outage stays open over a stop on purpose (the camera did not come back because
    the worker stopped). If that worker's last word on the camera (camera_state.updated_at)
    is recent, this is a restart: the outage is carried on and ends when the camera is
    next seen online. If it is older, nobody watched the camera meanwhile: the outage
    is closed at that last word, the last moment it was known to be down, and a new one
    opens if the camera is still down; the unwatched gap counts as neither.
    """
    now = now or utcnow()
    adopted: set[str] = set()
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                camera_outages.c.id, camera_outages.c.camera_id, camera_outages.c.started_at, camera_state.c.updated_at
            )
            .select_from(camera_outages.outerjoin(camera_state, camera_state.c.camera_id == camera_outages.c.camera_id))
            .where(camera_outages.c.ended_at.is_(None), camera_outages.c.camera_id.in_(list(uplinks)))
            .order_by(camera_outages.c.started_at)
        ).all()
        for row in rows:
            last_word = max(row.updated_at or row.started_at, row.started_at)
            if row.camera_id not in adopted and now - last_word <= ADOPT_WITHIN:
                adopted.add(row.camera_id)
                continue
            conn.execute(
                camera_outages.update()
                .where(camera_outages.c.id == row.id)
                .values(ended_at=last_word, reason=camera_outages.c.reason + " (worker stopped; end not seen)")
            )
    return adopted


def close_outages_of_unwatched(engine: Engine, active: set[str]) -> int:
    """Close the open outages of cameras that are no longer active (removed or planned again).

    No worker reads them, so no one would ever see them back; they end at the last
    word a worker had on them, as in `settle_open_outages`.
    """
    with engine.begin() as conn:
        rows = conn.execute(
            select(camera_outages.c.id, camera_outages.c.started_at, camera_state.c.updated_at)
            .select_from(camera_outages.outerjoin(camera_state, camera_state.c.camera_id == camera_outages.c.camera_id))
            .where(camera_outages.c.ended_at.is_(None), camera_outages.c.camera_id.not_in(list(active)))
        ).all()
        for row in rows:
            conn.execute(
                camera_outages.update()
                .where(camera_outages.c.id == row.id)
                .values(
                    ended_at=max(row.updated_at or row.started_at, row.started_at),
                    reason=camera_outages.c.reason + " (camera no longer watched)",
                )
            )
    return len(rows)


class StateWriter:
    """Collects rows from the analysis loop and writes them on its own thread."""

    def __init__(self, engine: Engine, uplinks: dict[str, str]) -> None:
        self.engine = engine
        self.uplinks = uplinks
        self._lock = threading.Lock()
        self._states: dict[str, dict[str, Any]] = {}
        self._written: dict[str, tuple[dict[str, Any], float]] = {}
        self._outages: list[tuple[str, str, datetime, str]] = []
        self._activity: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._nudge = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-state-writer", daemon=True)
        self.flushes = 0
        self.failing = False

    def start(self) -> StateWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Write what is pending, then stop (open outages stay open)."""
        self._stop.set()
        self._nudge.set()
        self._thread.join(timeout=10)
        self.flush()

    def put_state(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._states[row["camera_id"]] = row
            written = self._written.get(row["camera_id"])
        if written is None or written[0]["status"] != row["status"]:
            self._nudge.set()  # a status change reaches the wall now, not at the next round

    def outage(self, camera_id: str, kind: str, at: datetime, reason: str) -> None:
        with self._lock:
            self._outages.append((camera_id, kind, at, reason))
        self._nudge.set()

    def add_activity(self, rows: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._activity.extend(rows)
            del self._activity[:-MAX_PENDING_ACTIVITY]

    def _run(self) -> None:
        while not self._stop.is_set():
            self._nudge.wait(FLUSH_EVERY_S)
            self._nudge.clear()
            self.flush()

    def _due(self, now: float) -> list[dict[str, Any]]:
        due = []
        for camera_id, row in self._states.items():
            written = self._written.get(camera_id)
            changed = written is None or any(row[key] != written[0][key] for key in PROMPT)
            if changed or written is None or now - written[1] >= REFRESH_EVERY_S:
                due.append(row)
        return due

    def flush(self) -> None:
        now = time.monotonic()
        with self._lock:
            states = self._due(now)
            outages, self._outages = self._outages, []
            activity, self._activity = self._activity, []
        if not (states or outages or activity):
            return
        try:
            with self.engine.begin() as conn:
                for camera_id, kind, at, reason in outages:
                    if kind == "open":
                        conn.execute(
                            camera_outages.insert().values(
                                camera_id=camera_id, uplink=self.uplinks[camera_id], started_at=at, reason=reason
                            )
                        )
                    else:
                        conn.execute(
                            camera_outages.update()
                            .where(and_(camera_outages.c.camera_id == camera_id, camera_outages.c.ended_at.is_(None)))
                            .values(ended_at=at)
                        )
                for row in states:
                    done = conn.execute(
                        camera_state.update().where(camera_state.c.camera_id == row["camera_id"]).values(**row)
                    )
                    if done.rowcount == 0:
                        conn.execute(camera_state.insert().values(**row))
                if activity:
                    conn.execute(camera_activity.insert(), activity)
        except SQLAlchemyError as exc:
            # Keep the events for the next try; a state row is superseded by the next one anyway.
            with self._lock:
                self._outages[:0] = outages
                self._activity[:0] = activity
            if not self.failing:
                log.error("cannot write camera state: %s", str(exc).splitlines()[0])
            self.failing = True
            return
        self.failing = False
        self.flushes += 1
        with self._lock:
            for row in states:
                self._written[row["camera_id"]] = (row, now)
