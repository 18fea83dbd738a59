"""Housekeeping: the roll-ups and the retention of config/retention.yaml, as one process of `scc run`.

Every pass (PASS_S):
1. Rolls up what arrived since the last pass: each hour of metric samples that received a new or
   corrected row is recomputed whole from its rows into metric_hourly, then each WITA day of those
   hours from its hours into metric_daily. Recomputing whole buckets makes a pass idempotent; the mark
   it leaves (housekeeping_marks) is taken a little early (OVERLAP), so a batch still committing when
   the pass read is rolled up by the next pass, and a restart mid-pass repeats some work but neither
   skips nor counts twice. A backlog goes an hour of arrivals per transaction, with the same pause
   after each as the removals below.
2. Removes what each table's policy lets go, oldest first, in batches of about BATCH rows, each one
   DELETE of a range of the table's time index in its own short transaction, with a pause after each
   as long as the batch took, so a writer waiting on SQLite's lock (ingest) gets its turn between two
   batches rather than after all of them; until the pass's time budget is spent; what is left waits
   for the next pass. Raw samples go only once the roll-up mark has passed them; an outage still open
   never goes; rejected messages past a unit's byte cap go oldest first.
3. Starts the night's backup once its time has come (scc.nightly_backup), in a thread of its own, and
   then removes the archives past their retention.
The process beats a heartbeat from its loop, its detail the last pass's work and the last backup, so
health shows a housekeeping that stopped working as stale; the `backup` heartbeat goes stale when the
newest backup is too old.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from scc import boot, health, metrics_rollups
from scc.clock import as_utc, utcnow, wita_day_start
from scc.health import Heartbeat
from scc.nightly_backup import HEARTBEAT, NightlyBackup
from scc.settings import Settings
from scc.settings.retention import TablePolicy
from scc.storage import db, metadata
from scc.storage.base import octets
from scc.storage.metrics import metric_daily, metric_hourly, metric_samples, rejected_messages
from scc.storage.platform import housekeeping_marks

log = logging.getLogger("scc.housekeeping")

PASS_S = 60
BUDGET_S = 20.0  # of removal per pass; the rest waits for the next
BATCH = 2000
OVERLAP = timedelta(minutes=10)
# Arrivals per roll-up transaction: an hour of them, or more hours while they are few (up to ROLLUP_ROWS), so
# a long backlog goes in short steps and a sparse one (a year of one gauge) in few.
ROLLUP_CHUNK = timedelta(hours=1)
ROLLUP_ROWS = 500  # about an hour of the demo's arrivals, 35-60 ms of one transaction in the year benchmark
MIN_PAUSE_S = 0.025  # SQLite's busy handler retries every 25 ms or less in a writer's first 128 ms of waiting
HOUR = timedelta(hours=1)
JOB = "metric_hourly"
CAP_JOB = "rejected_cap"
BACKUP_JOB = "nightly_backup"  # its mark: the last night (WITA midnight) whose backup was taken


@dataclass
class Pass:
    """What one pass did, for the log and the heartbeat's detail."""

    hours: int = 0
    days: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    caught_up: bool = True  # False when the budget ran out with rows still to remove

    def detail(self) -> str:
        gone = sum(self.removed.values())
        more = "" if self.caught_up else ", more next pass"
        return f"rolled up {self.hours} hours and {self.days} days, removed {gone} rows{more} in {self.seconds:.1f} s"


def run_pass(engine: Engine, settings: Settings, now: datetime | None = None, budget_s: float = BUDGET_S) -> Pass:
    now = now or utcnow()
    started = time.monotonic()
    done = Pass()
    done.hours, done.days = roll_up(engine, now)
    done.caught_up = prune(engine, settings.retention, now, started + budget_s, done.removed)
    done.seconds = time.monotonic() - started
    return done


# -- roll-ups ---------------------------------------------------------------------------------------


def roll_up(engine: Engine, now: datetime) -> tuple[int, int]:
    """(hours, days) recomputed from what arrived since the mark, up to `now`."""
    hours = days = 0
    mark = _mark(engine)
    while mark < now:
        started = time.monotonic()
        with engine.begin() as conn:
            upto = _chunk_end(conn, mark, now)
            touched = _touched_hours(conn, mark - OVERLAP, upto)
            for (unit, metric), which in _by_series(touched).items():
                _recompute_hours(conn, unit, metric, which, now)
            dirty = {(unit, metric, wita_day_start(hour)) for unit, metric, hour in touched}
            for (unit, metric), which in _by_series(dirty).items():
                _recompute_days(conn, unit, metric, which)
            _set_mark(conn, JOB, upto, now)
        hours, days, mark = hours + len(touched), days + len(dirty), upto
        if touched and mark < now:  # an hour with nothing in it holds the lock for nothing
            _give_way(started)
    return hours, days


def _chunk_end(conn: Connection, mark: datetime, now: datetime) -> datetime:
    """Where a transaction's arrivals end: an hour after `mark`, or later to take in up to ROLLUP_ROWS (the
    arrival index read that far, no further)."""
    c = metric_samples.c
    nth = conn.scalar(
        select(c.received_at).where(c.received_at > mark).order_by(c.received_at).offset(ROLLUP_ROWS).limit(1)
    )
    if nth is None:  # fewer left than that: all of them
        return now
    return min(max(mark + ROLLUP_CHUNK, as_utc(nth) - timedelta(microseconds=1)), now)


def _by_series(buckets: set[tuple[str, str, datetime]]) -> dict[tuple[str, str], set[datetime]]:
    out: dict[tuple[str, str], set[datetime]] = {}
    for unit, metric, start in buckets:
        out.setdefault((unit, metric), set()).add(start)
    return out


def _mark(engine: Engine) -> datetime:
    """Where the roll-up stands: its mark, or just before the first sample arrived."""
    with engine.connect() as conn:
        found = _mark_of(conn, JOB)
    return found or _first_arrival(engine) or utcnow()


def _mark_of(conn: Connection, job: str) -> datetime | None:
    found = conn.scalar(select(housekeeping_marks.c.upto).where(housekeeping_marks.c.job == job))
    return None if found is None else as_utc(found)


def _first_arrival(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        first = conn.scalar(select(func.min(metric_samples.c.received_at)))
    return None if first is None else as_utc(first) - timedelta(seconds=1)


def _touched_hours(conn: Connection, since: datetime, upto: datetime) -> set[tuple[str, str, datetime]]:
    c = metric_samples.c
    rows = conn.execute(select(c.skpd_code, c.metric_key, c.ts).where(c.received_at > since, c.received_at <= upto))
    return {(unit, metric, _hour_of(ts)) for unit, metric, ts in rows}


def _hour_of(ts: datetime) -> datetime:
    return as_utc(ts).replace(minute=0, second=0, microsecond=0)


def _recompute_hours(conn: Connection, unit: str, metric: str, hours: set[datetime], now: datetime) -> None:
    """Each of `hours` of one series, whole, from its samples: one indexed read of the span they cover."""
    c = metric_samples.c
    rows = conn.execute(
        select(c.ts, c.value).where(
            c.skpd_code == unit, c.metric_key == metric, c.ts >= min(hours), c.ts < max(hours) + HOUR
        )
    )
    by_hour: dict[datetime, list[tuple[datetime, float]]] = {}
    for ts, value in rows:
        hour = _hour_of(ts)
        if hour in hours:
            by_hour.setdefault(hour, []).append((as_utc(ts), float(value)))
    key = dict(skpd_code=unit, metric_key=metric, rolled_at=now)
    # An hour with no rows left (pruned) keeps its roll-up.
    out = [key | {"hour": hour} | metrics_rollups.of_readings(values).row() for hour, values in by_hour.items()]
    _upsert(conn, metric_hourly, ["skpd_code", "metric_key", "hour"], out)


def _recompute_days(conn: Connection, unit: str, metric: str, days: set[datetime]) -> None:
    """Each of `days` (WITA) of one series from its hours."""
    h = metric_hourly.c
    rows = conn.execute(
        select(h.hour, h.n, h.total, h.low, h.high, h.last_value, h.last_ts).where(
            h.skpd_code == unit, h.metric_key == metric, h.hour >= min(days), h.hour < max(days) + timedelta(days=1)
        )
    )
    by_day: dict[datetime, list[metrics_rollups.Figures]] = {}
    for r in rows:
        day = wita_day_start(as_utc(r.hour))
        if day in days:
            figures = metrics_rollups.Figures(r.n, r.total, r.low, r.high, r.last_value, as_utc(r.last_ts))
            by_day.setdefault(day, []).append(figures)
    key = dict(skpd_code=unit, metric_key=metric)
    out = [key | {"day": day} | metrics_rollups.of_buckets(hours).row() for day, hours in by_day.items()]
    _upsert(conn, metric_daily, ["skpd_code", "metric_key", "day"], out)


def _upsert(conn: Connection, table: Table, key: list[str], rows: list[dict[str, Any]]) -> None:
    """Insert `rows`, or replace the figures of those whose key is there (one executemany)."""
    if rows:
        conn.execute(_upsert_statement(conn.dialect.name, table.name, tuple(key), tuple(rows[0])), rows)


@functools.cache
def _upsert_statement(dialect_name: str, table: str, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    # Built once: a pass upserts a few rows per series, and building the statement each time cost more
    # than running it.
    dialect: Any = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(metadata.tables[table])
    figures = {name: stmt.excluded[name] for name in columns if name not in key}
    return stmt.on_conflict_do_update(index_elements=list(key), set_=figures)


def _set_mark(conn: Connection, job: str, upto: datetime, now: datetime) -> None:
    _upsert(conn, housekeeping_marks, ["job"], [dict(job=job, upto=upto, updated_at=now)])


# -- retention --------------------------------------------------------------------------------------


def prune(
    engine: Engine, policies: Mapping[str, TablePolicy], now: datetime, deadline: float, removed: dict[str, int]
) -> bool:
    """Remove what each policy lets go, batch by batch, until done or `deadline` (monotonic); True if
    everything due was removed."""
    rolled_upto = _mark(engine) - OVERLAP
    for name, policy in policies.items():
        if policy.keep != "days":
            continue
        table = metadata.tables[name]
        cutoff = now - timedelta(days=policy.days or 0)
        where = [table.c[policy.by or ""] < cutoff]
        if name == "metric_samples":
            where.append(table.c.received_at < rolled_upto)  # never a sample not yet rolled up
        if name == "camera_outages":
            where.append(table.c.ended_at.is_not(None))  # an outage still open is the camera's state now
        if not _remove_older(engine, table, table.c[policy.by or ""], where, deadline, removed):
            return False
        capped = policy.max_bytes_per_unit and name == "rejected_messages"
        if capped and not _cap_rejections(engine, now, policy.max_bytes_per_unit or 0, deadline, removed):
            return False
    return True


def _remove_older(
    engine: Engine, table: Table, by: Any, where: list[Any], deadline: float, removed: dict[str, int]
) -> bool:
    """Remove the rows matching `where`, oldest by `by` first: each batch one DELETE up to the time of
    the BATCH-th oldest (a few more when rows share that time), a range of the index on `by`."""
    while time.monotonic() <= deadline:
        started = time.monotonic()
        with engine.begin() as conn:
            bound = conn.scalar(select(by).where(*where).order_by(by).offset(BATCH - 1).limit(1))
            last = [] if bound is None else [by <= bound]
            gone = conn.execute(delete(table).where(*where, *last)).rowcount
        if gone:
            removed[table.name] = removed.get(table.name, 0) + gone
        if bound is None:
            return True
        _give_way(started)
    return False


def _remove_ids(engine: Engine, table: Table, ids: list[int], deadline: float, removed: dict[str, int]) -> bool:
    for start in range(0, len(ids), BATCH):
        if time.monotonic() > deadline:
            return False
        started = time.monotonic()
        with engine.begin() as conn:
            gone = conn.execute(delete(table).where(table.c.id.in_(ids[start : start + BATCH]))).rowcount
        removed[table.name] = removed.get(table.name, 0) + gone
        _give_way(started)
    return True


def _give_way(batch_started: float) -> None:
    """A pause as long as the batch took: SQLite has one writer at a time, and a writer that waited for
    this batch must find the lock free before the next one takes it."""
    time.sleep(max(MIN_PAUSE_S, time.monotonic() - batch_started))


def _cap_rejections(engine: Engine, now: datetime, cap: int, deadline: float, removed: dict[str, int]) -> bool:
    """Each unit's rejected messages within `cap` bytes as stored (payload and reason, in bytes, not
    characters; a payload is stored cut, streams.metrics.store.PAYLOAD_KEPT): its oldest go first. Only
    the units refused something since the last look are summed (each through its own index range), so a
    pass never reads every kept payload; the look's mark is kept like the roll-up's."""
    r = rejected_messages.c
    with engine.connect() as conn:
        since = _mark_of(conn, CAP_JOB)
        recent = select(r.skpd_code).where(r.received_at > since - OVERLAP) if since else select(r.skpd_code)
        units = set(conn.execute(recent).scalars())  # no DISTINCT: SQLite would walk the unit index whole
    for unit in units:
        with engine.connect() as conn:
            sizes = conn.execute(
                select(r.id, octets(r.payload) + octets(r.reason))
                .where(r.skpd_code.is_(None) if unit is None else r.skpd_code == unit)
                .order_by(r.received_at.desc(), r.id.desc())
            ).all()
        kept, drop = 0, []
        for row_id, size in sizes:
            kept += int(size or 0)
            if kept > cap:
                drop.append(row_id)
        if drop and not _remove_ids(engine, rejected_messages, drop, deadline, removed):
            return False
    with engine.begin() as conn:
        _set_mark(conn, CAP_JOB, now, now)
    return True


# -- the process ------------------------------------------------------------------------------------


def nightly_backup(engine: Engine, settings: Settings) -> NightlyBackup:
    """The nightly backup, the nights it took marked beside the roll-ups' marks."""

    def done() -> datetime | None:
        with engine.connect() as conn:
            return _mark_of(conn, BACKUP_JOB)

    def mark(night: datetime) -> None:
        with engine.begin() as conn:
            _set_mark(conn, BACKUP_JOB, night, utcnow())

    return NightlyBackup(settings, done, mark)


def main() -> None:
    settings = boot.settings_or_exit()
    engine = db.connect(settings.database_url)
    nightly = nightly_backup(engine, settings)
    last: list[Pass] = [Pass()]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    beat = Heartbeat(engine, "housekeeping", PASS_S, lambda: (0, f"{last[0].detail()}; {nightly.summary()}"))
    backup_beat = Heartbeat(engine, HEARTBEAT, PASS_S, nightly.probe) if settings.backups.nightly else None
    if backup_beat is not None:
        _first_backup_beat(engine, nightly)
    while not stop.is_set():
        now = utcnow()
        nightly.step(now)  # the backup runs in its own thread: this pass goes on at once
        try:
            last[0] = run_pass(engine, settings, now)
        except Exception:
            # The database away or busy, or a fault: logged and tried again next pass. No beat: a
            # housekeeping that keeps failing must show as stale, not up.
            log.exception("housekeeping: the pass did not finish")
        else:
            log.info("housekeeping: %s", last[0].detail())
            beat.tick()
        if backup_beat is not None:
            backup_beat.tick()
        stop.wait(PASS_S)
    if not nightly.wait(timeout=5):
        log.warning("housekeeping: stopped during the night's backup; its partial files go after a later one")


def _first_backup_beat(engine: Engine, nightly: NightlyBackup) -> None:
    """One beat at start, whatever the newest backup's age, so that `backup` is in health at all: from
    then on it beats only while the newest is young enough, and goes stale if the next one fails."""
    try:
        health.beat(engine, HEARTBEAT, interval_s=PASS_S, detail=nightly.summary(), last_activity=utcnow())
    except Exception as exc:  # the database away: the loop's beats will say so
        log.error("housekeeping: cannot record the backup's heartbeat: %s", str(exc).splitlines()[0])


if __name__ == "__main__":
    main()
