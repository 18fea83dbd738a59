"""Health of every process, kept in storage so that any process can read it.

One owner per row: the supervisor records whether each process runs
(`record_process`), and every worker records its own heartbeat (`beat`),
declaring how often it beats (the supervisor beats for itself too). Readers (/healthz, the admin page) combine the
two: a running process whose heartbeat is overdue by HEARTBEAT_MISSES beats
is "stale", alive but not working.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import SQLAlchemyError

from .clock import utcnow
from .storage.platform import HealthStatus, ProcessStatus, heartbeats, process_state

log = logging.getLogger(__name__)

HEARTBEAT_MISSES = 3
# A process that has run this long without a first heartbeat is stale too.
FIRST_BEAT_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class ComponentHealth:
    name: str
    kind: str
    status: HealthStatus
    pid: int | None
    restarts: int
    started_at: datetime | None
    last_exit: str
    beat_at: datetime | None
    interval_s: int | None
    last_activity: datetime | None
    backlog: int
    detail: str


def _upsert(engine: Engine, table: Any, key: str, values: dict[str, Any]) -> None:
    with engine.begin() as conn:
        done = conn.execute(table.update().where(table.c.name == key).values(**values))
        if done.rowcount == 0:
            conn.execute(table.insert().values(name=key, **values))


def record_process(engine: Engine, name: str, *, kind: str, status: ProcessStatus, **fields: Any) -> None:
    """The supervisor's record of one process (only the given fields change)."""
    _upsert(engine, process_state, name, {"kind": kind, "status": status, "updated_at": utcnow(), **fields})


def beat(
    engine: Engine,
    name: str,
    *,
    interval_s: int,
    backlog: int = 0,
    detail: str = "",
    last_activity: datetime | None = None,
) -> None:
    """A worker's heartbeat: it is working, and how much it has left to do."""
    values: dict[str, Any] = {"interval_s": interval_s, "beat_at": utcnow(), "backlog": backlog, "detail": detail}
    if last_activity is not None:
        values["last_activity"] = last_activity
    _upsert(engine, heartbeats, name, values)


def forget_all(engine: Engine) -> None:
    """A new run of the supervisor starts from a clean slate: old rows would mislead."""
    with engine.begin() as conn:
        conn.execute(delete(process_state))
        conn.execute(delete(heartbeats))


def effective_status(process: dict[str, Any] | None, heartbeat: dict[str, Any] | None, now: datetime) -> HealthStatus:
    if process is not None and process["status"] != "running":
        status: HealthStatus = process["status"]
        return status
    if (
        heartbeat is not None
        and process is not None
        and process["started_at"] is not None
        and heartbeat["beat_at"] < process["started_at"]
    ):
        heartbeat = None  # a beat of the run before a restart says nothing of this one
    if heartbeat is None:
        started = process["started_at"] if process else None
        if started is not None and now - started > FIRST_BEAT_GRACE:
            return "stale"
        return "up" if process is None or started is None else "starting"
    overdue = timedelta(seconds=HEARTBEAT_MISSES * heartbeat["interval_s"])
    return "stale" if now - heartbeat["beat_at"] > overdue else "up"


def read_all(engine: Engine) -> list[ComponentHealth]:
    """Every known component, whether the supervisor runs it, it beats, or both."""
    now = utcnow()
    with engine.connect() as conn:
        procs = {r.name: dict(r._mapping) for r in conn.execute(select(process_state))}
        beats = {r.name: dict(r._mapping) for r in conn.execute(select(heartbeats))}
    out = []
    for name in sorted(procs.keys() | beats.keys()):
        p, b = procs.get(name), beats.get(name)
        out.append(
            ComponentHealth(
                name=name,
                kind=p["kind"] if p else "worker",
                status=effective_status(p, b, now),
                pid=p["pid"] if p else None,
                restarts=p["restarts"] if p else 0,
                started_at=p["started_at"] if p else None,
                last_exit=p["last_exit"] if p else "",
                beat_at=b["beat_at"] if b else None,
                interval_s=b["interval_s"] if b else None,
                last_activity=b["last_activity"] if b else None,
                backlog=b["backlog"] if b else 0,
                detail=b["detail"] if b else "",
            )
        )
    return out


def summary(engine: Engine) -> tuple[bool, dict[str, Any]]:
    """(healthy, document) for GET /healthz."""
    now = utcnow()
    components: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        components["database"] = {"status": "up"}
        rows = read_all(engine)
    except SQLAlchemyError as exc:
        components["database"] = {"status": "down", "detail": type(exc).__name__}
        rows = []
    for row in rows:
        components[row.name] = {
            "kind": row.kind,
            "status": row.status,
            "restarts": row.restarts,
            "backlog": row.backlog,
            "beat_at": row.beat_at.isoformat() if row.beat_at else None,
            "last_activity": row.last_activity.isoformat() if row.last_activity else None,
            "detail": row.detail,
            "last_exit": row.last_exit,
        }
    healthy = all(c["status"] == "up" for c in components.values())
    return healthy, {
        "status": "ok" if healthy else "degraded",
        "checked_at": now.isoformat(),
        "components": components,
    }


class CpuMeter:
    """This process's CPU time (all its threads) over wall time since the previous reading, in % of one core.

    For a worker's heartbeat detail, so the health pages can show what each process costs.
    """

    def __init__(self) -> None:
        self._cpu, self._wall = time.process_time(), time.monotonic()

    def percent(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        share = 100.0 * (cpu - self._cpu) / max(wall - self._wall, 1e-6)
        self._cpu, self._wall = cpu, wall
        return share


class Heartbeat:
    """A worker's heartbeat, every `interval_s` seconds, beaten one of two ways.

    - `tick()`, called by the worker's own work loop at each round: the beat is written from that
      loop when one is due, so a loop that is stuck anywhere stops beating and its row goes stale
      (ingest).
    - `start()`: a thread of its own beats, for work in code that is not ours to put a call into (a
      web server's workers), or a loop that must never wait on storage (the camera worker's
      analysis), whose probe then raises when the loop has not gone round lately.

    `probe` tells what the worker is doing: (backlog, detail), and raises if the worker is not
    working, in which case no beat is written and the row goes stale on its own. Storage being down
    is logged, never raised.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        interval_s: int,
        probe: Callable[[], tuple[int, str]] = lambda: (0, ""),
    ) -> None:
        self.engine, self.name, self.interval_s, self.probe = engine, name, interval_s, probe
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{name}", daemon=True)
        self._due = 0.0  # monotonic time of the next beat, for tick()

    def tick(self) -> None:
        """Beat if a beat is due; cheap enough to call at every round of a work loop."""
        now = time.monotonic()
        if now >= self._due:
            self._due = now + self.interval_s
            self._beat()

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval_s + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._beat()
            self._stop.wait(self.interval_s)

    def _beat(self) -> None:
        try:
            backlog, detail = self.probe()
        except Exception as exc:  # not working: let the heartbeat go stale
            log.warning("%s: no heartbeat: %s", self.name, exc)
            return
        try:
            beat(
                self.engine,
                self.name,
                interval_s=self.interval_s,
                backlog=backlog,
                detail=detail,
                last_activity=utcnow(),
            )
        except SQLAlchemyError as exc:
            log.error("%s: cannot record heartbeat: %s", self.name, str(exc).splitlines()[0])
