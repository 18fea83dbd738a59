"""A year of the command center's data in one database, as a year of running and of housekeeping leaves it.

Used by benchmarks/year.py (and its test, tests/core/test_year_data.py). At the demo's rates, with all
41 cameras as if installed (`install_all`), the 38 units and the call center's volume:
  - metric samples: every reading of every metric a unit publishes (not those the call center counts),
    at its catalog interval, made by the simulator's own `figure`. Raw rows for the retention window
    plus one more day, through ingest's own writer (`streams.metrics.store.write_in`, in the batches
    of ten minutes a unit's messages arrive in, with a few corrections a day); older readings only as
    the roll-ups housekeeping would have left (`scc.metrics_rollups`, housekeeping's arithmetic): hourly ones
    within their retention window and a day past it, daily ones for every day. The last day is not
    rolled up yet: the benchmark's housekeeping pass does it;
  - cameras: each camera's state; outages over the year (radio links dropping on wet days, taking
    their cameras down together, and a camera's own short faults), one row per camera and outage as
    the workers write them; motion level every 10 s for the retention window plus a day;
  - the call center: `callcenter.sim.history.seed_history`, the finished incidents of a year (at the
    demo's rate unless told) with their timelines, units and call log; the operators' audit rows for
    every step of them;
  - rejected messages: a unit whose exporter is broken (one refused message every five minutes), and a
    few refusals a day from others, through ingest's writer, for the retention window plus a day.
Every table is written through its production storage type (the Table and, for rows in bulk,
`scc.storage.bulk`, which stores a value byte for byte as SQLAlchemy does). The same seed writes the
same rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, insert, select

from callcenter.sim.history import seed_history
from callcenter.sim.live import history_size
from scc import housekeeping, metrics_rollups
from scc.clock import wita_day_start
from scc.settings import Settings
from scc.settings.metrics import Metric
from scc.storage import bulk
from scc.storage.callcenter import incident_events
from scc.storage.cameras import camera_activity, camera_outages, camera_state
from scc.storage.metrics import metric_daily, metric_hourly
from scc.storage.platform import audit_log, housekeeping_marks
from streams.agent import contract
from streams.metrics import store
from streams.metrics.sim.units import dead_websites, figure
from streams.metrics.validate import Rejection, Sample

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ARRIVAL_S = 600  # a unit's readings reach ingest in batches of this many seconds
CORRECTIONS_PER_DAY = 3
ACTIVITY_EVERY_S = 10
BROKEN_UNIT_EVERY_S = 300
OTHER_REFUSALS_PER_DAY = 20


@dataclass
class Built:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def install_all(config_dir: Path) -> None:
    """Every planned camera of the configuration in `config_dir` as if installed: active, with its own
    stream addresses (on a LAN block of its own) and the shared camera password."""
    path = config_dir / "cameras.yaml"
    doc = yaml.safe_load(path.read_text())
    for k, cam in enumerate(doc["cameras"]):
        if cam.get("status") == "planned":
            cam.update(status="active", username="admin", password="${SCC_CAMERA_PASSWORD}",
                       main_url=f"rtsp://10.20.9.{k}:554/Streaming/Channels/101",
                       sub_url=f"rtsp://10.20.9.{k}:554/Streaming/Channels/102")  # fmt: skip
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def build(
    engine: Engine,
    settings: Settings,
    end: datetime,
    *,
    days: int = 365,
    incidents: int | None = None,
    seed: int = 1,
    activity_every_s: int = ACTIVITY_EVERY_S,
    say: Callable[[str], None] = print,
) -> Built:
    """Write `days` of data ending at `end` into a migrated, empty database; `incidents` a year, the
    demo's rate (about 27 a day) unless given."""
    built = Built()
    a_year = history_size(settings, 1.0, 365) if incidents is None else incidents
    rolled_upto = end.replace(minute=0, second=0, microsecond=0) - DAY
    parts: list[tuple[str, Callable[[], dict[str, int]]]] = [
        ("metrics", lambda: metrics(engine, settings, end, days, rolled_upto, random.Random(seed))),
        ("cameras", lambda: cameras(engine, settings, end, days, random.Random(seed + 1), activity_every_s)),
        ("calls", lambda: calls(engine, settings, end, days, a_year, seed)),
        ("rejections", lambda: rejections(engine, settings, end, days, random.Random(seed + 2))),
    ]
    for name, part in parts:
        started = time.perf_counter()
        built.rows.update(part())
        built.seconds[name] = round(time.perf_counter() - started, 1)
        say(f"{name}: {built.seconds[name]} s, {built.rows}")
    with engine.begin() as conn:
        for job in (housekeeping.JOB, housekeeping.CAP_JOB):
            conn.execute(insert(housekeeping_marks).values(job=job, upto=rolled_upto, updated_at=rolled_upto))
    return built


def raw_start(settings: Settings, table: str, end: datetime, days: int) -> datetime:
    """The oldest raw row kept: the table's retention window and one more day, for housekeeping to remove
    (or the first of `days`, when that is later)."""
    policy = settings.retention[table]
    assert policy.days is not None, f"{table}: kept raw for a number of days"
    return max(end - timedelta(days=policy.days + 1), end - timedelta(days=days))


# -- metrics ----------------------------------------------------------------------------------------


def metrics(
    engine: Engine, settings: Settings, end: datetime, days: int, rolled_upto: datetime, rng: random.Random
) -> dict[str, int]:
    sent = [m for m in settings.metrics if m.from_calls is None]
    alive = {u.code for u in settings.skpd} - dead_websites(u.code for u in settings.skpd)
    raw_from = raw_start(settings, "metric_samples", end, days)
    hourly_from = raw_start(settings, "metric_hourly", end, days)
    counts = {"metric_samples": 0, "metric_hourly": 0, "metric_daily": 0, "metric_corrections": 0}
    first_day = wita_day_start(end) - (days - 1) * DAY
    with engine.connect() as conn:
        for day in (first_day + k * DAY for k in range(days)):
            upto = min(day + DAY, end)
            readings = [(m, _readings(m, day, upto, rng, settings, m.skpd in alive)) for m in sent]
            hours, daily = _rollups(readings, rolled_upto, hourly_from)
            _insert_rollups(conn, hours, daily, rolled_upto)
            counts["metric_hourly"] += len(hours)
            counts["metric_daily"] += len(daily)
            if upto > raw_from:
                stored, corrected = _write_raw(conn, readings, raw_from, rolled_upto, rng)
                counts["metric_samples"] += stored
                counts["metric_corrections"] += corrected
            conn.commit()
    return counts


def _readings(
    m: Metric, since: datetime, upto: datetime, rng: random.Random, settings: Settings, alive: bool
) -> list[tuple[datetime, float]]:
    """The metric's readings in [since, upto), at the multiples of its interval."""
    step = m.interval_s
    first = -(-int(since.timestamp()) // step) * step
    out = []
    for ts in range(first, int(upto.timestamp()), step):
        when = datetime.fromtimestamp(ts, UTC)
        if when < upto:
            out.append((when, figure(m, when, rng, settings.office_days, site_alive=alive)))
    return out


def _rollups(
    readings: list[tuple[Metric, list[tuple[datetime, float]]]], rolled_upto: datetime, hourly_from: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hourly and daily rows housekeeping had left at `rolled_upto`: every hour before it (those
    since `hourly_from` still kept), and each day from all of its hours."""
    hours: list[dict[str, Any]] = []
    daily: list[dict[str, Any]] = []
    for m, values in readings:
        by_hour: dict[datetime, list[tuple[datetime, float]]] = {}
        for when, value in values:
            hour = when.replace(minute=0, second=0, microsecond=0)
            if hour < rolled_upto:
                by_hour.setdefault(hour, []).append((when, value))
        figures = {hour: metrics_rollups.of_readings(found) for hour, found in by_hour.items()}
        key = dict(skpd_code=m.skpd, metric_key=m.key)
        hours.extend(key | {"hour": hour} | f.row() for hour, f in figures.items() if hour >= hourly_from)
        by_day: dict[datetime, list[metrics_rollups.Figures]] = {}
        for hour, f in figures.items():
            by_day.setdefault(wita_day_start(hour), []).append(f)
        daily.extend(key | {"day": day} | metrics_rollups.of_buckets(fs).row() for day, fs in by_day.items())
    return hours, daily


def _insert_rollups(conn: Connection, hours: list[dict[str, Any]], daily: list[dict[str, Any]], at: datetime) -> None:
    if hours:
        conn.execute(insert(metric_hourly), [h | {"rolled_at": at} for h in hours])
    if daily:
        conn.execute(insert(metric_daily), daily)


def _write_raw(
    conn: Connection,
    readings: list[tuple[Metric, list[tuple[datetime, float]]]],
    raw_from: datetime,
    rolled_upto: datetime,
    rng: random.Random,
) -> tuple[int, int]:
    """The day's raw readings from `raw_from` on, through ingest's writer in the batches they arrive in:
    one message per unit and time, its readings together. A few arrive wrong and are corrected two
    hours later (before `rolled_upto` only: the roll-ups above are of the corrected values)."""
    arrivals: dict[datetime, list[Sample]] = {}
    for m, values in readings:
        for when, value in values:
            if when >= raw_from:
                arrived = _arrival(when)
                sample = Sample(m.skpd, m.key, when, value, f"y-{m.skpd}-{int(when.timestamp())}")
                arrivals.setdefault(arrived, []).append(sample)
    fixable = [s for at, batch in arrivals.items() if at + 2 * HOUR <= rolled_upto for s in batch if s.value > 0]
    for wrong in rng.sample(fixable, min(CORRECTIONS_PER_DAY, len(fixable))):
        at = _arrival(wrong.ts)
        batch = arrivals[at]
        batch[batch.index(wrong)] = Sample(
            wrong.skpd_code, wrong.metric_key, wrong.ts, wrong.value * 2, wrong.message_id
        )
        fix = Sample(wrong.skpd_code, wrong.metric_key, wrong.ts, wrong.value, f"fix-{wrong.message_id}")
        arrivals.setdefault(at + 2 * HOUR, []).append(fix)
    stored = corrected = 0
    for at in sorted(arrivals):
        written = store.write_in(conn, store.Batch(arrivals[at], [], []), at, "mqtt")
        stored, corrected = stored + written.stored, corrected + written.corrected
    return stored, corrected


def _arrival(when: datetime) -> datetime:
    """The end of the ten minutes a reading arrives in: always after the reading."""
    ts = int(when.timestamp())
    return datetime.fromtimestamp((ts // ARRIVAL_S + 1) * ARRIVAL_S, UTC)


# -- cameras ----------------------------------------------------------------------------------------


def cameras(
    engine: Engine, settings: Settings, end: datetime, days: int, rng: random.Random, every_s: int
) -> dict[str, int]:
    cams = [c for c in settings.cameras if c.status == "active"]
    outages = list(_outages(cams, end, days, rng))
    activity_from = raw_start(settings, "camera_activity", end, days)
    with engine.begin() as conn:
        conn.execute(insert(camera_state), [
            dict(camera_id=c.id, status="online", last_frame_at=end, fps=12.5, width=1920, height=1080, codec="h264",
                 reconnects=sum(1 for o in outages if o["camera_id"] == c.id), last_error=None,
                 activity=rng.random(), updated_at=end)
            for c in cams
        ])  # fmt: skip
        for start in range(0, len(outages), 5_000):
            conn.execute(insert(camera_outages), outages[start : start + 5_000])
    activity = 0
    stamp_from = -(-int(activity_from.timestamp()) // every_s) * every_s
    with engine.connect() as conn:
        stamp = bulk.to_db(conn, camera_activity.c.at)
        step = 3600  # an hour of every camera per statement
        for hour in range(stamp_from, int(end.timestamp()), step):
            rows = [
                (c.id, stamp(datetime.fromtimestamp(ts, UTC)), round(rng.random(), 3))
                for ts in range(hour, min(hour + step, int(end.timestamp())), every_s)
                for c in cams
            ]
            activity += bulk.insert_many(conn, insert(camera_activity), ("camera_id", "at", "level"), rows)
            if hour % 86_400 < step:
                conn.commit()
        conn.commit()
    return {"camera_outages": len(outages), "camera_activity": activity, "camera_state": len(cams)}


def _outages(cams: list[Any], end: datetime, days: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """A year of outages: each radio link drops now and then, more in the wet months (November to April),
    taking all its cameras down at once; each camera has its own short fault every few days."""
    uplinks: dict[str, list[Any]] = {}
    for c in cams:
        uplinks.setdefault(c.uplink, []).append(c)
    start = end - days * DAY
    for day in (start + k * DAY for k in range(days)):
        wet = day.month in (11, 12, 1, 2, 3, 4)
        for uplink, on_it in uplinks.items():
            drops = 0 if uplink.startswith("fibre") else _poisson(rng, 1.2 if wet else 0.3)
            for _ in range(drops):
                began = day + timedelta(seconds=rng.uniform(0, 86_400))
                ended = began + timedelta(minutes=rng.uniform(2, 45))
                if ended < end:
                    yield from (_outage(c, began, ended, "timeout: no frame") for c in on_it)
        for c in cams:
            if rng.random() < 0.3:
                began = day + timedelta(seconds=rng.uniform(0, 86_400))
                ended = began + timedelta(seconds=rng.uniform(20, 300))
                if ended < end:
                    yield _outage(c, began, ended, "rtsp: connection refused")


def _outage(cam: Any, began: datetime, ended: datetime, reason: str) -> dict[str, Any]:
    return dict(camera_id=cam.id, uplink=cam.uplink, started_at=began, ended_at=ended, reason=reason)


def _poisson(rng: random.Random, mean: float) -> int:
    count, left = 0, rng.expovariate(1.0)
    while left < mean:
        count, left = count + 1, left + rng.expovariate(1.0)
    return count


# -- the call center and its audit trail ------------------------------------------------------------


def calls(engine: Engine, settings: Settings, end: datetime, days: int, n: int, seed: int) -> dict[str, int]:
    written = seed_history(engine, settings, round(n * days / 365), end=end - HOUR, days=days, seed=seed)
    audited = 0
    e = incident_events.c
    with engine.connect() as conn:
        last = 0
        while True:
            chunk = conn.execute(
                select(e.id, e.incident_id, e.status, e.at, e.operator).where(e.id > last).order_by(e.id).limit(20_000)
            ).all()
            if not chunk:
                break
            conn.execute(insert(audit_log), [
                dict(at=r.at, actor=r.operator, action=f"incident.{r.status}", target=f"incident #{r.incident_id}",
                     detail={}, remote_addr="10.20.0.21")
                for r in chunk
            ])  # fmt: skip
            audited, last = audited + len(chunk), chunk[-1].id
            conn.commit()
    return {"incidents": written, "audit_log": audited}


# -- rejected messages ------------------------------------------------------------------------------


def rejections(engine: Engine, settings: Settings, end: datetime, days: int, rng: random.Random) -> dict[str, int]:
    units = sorted(u.code for u in settings.skpd)
    broken = units[0]
    since = raw_start(settings, "rejected_messages", end, days)
    kept = 0
    with engine.connect() as conn:
        for day in _days(since, end):
            arrivals: dict[datetime, list[Rejection]] = {}
            for k in range(int(DAY.total_seconds()) // BROKEN_UNIT_EVERY_S):
                at = day + timedelta(seconds=k * BROKEN_UNIT_EVERY_S)
                payload = '{"ts": "kemarin", "values": {"antrian": "' + "x" * rng.randint(200, 2000) + '"}}'
                arrivals.setdefault(at, []).append(
                    _refused(broken, payload, f"b-{int(at.timestamp())}", "ts: not a time")
                )
            for k in range(OTHER_REFUSALS_PER_DAY):
                at = day + timedelta(seconds=rng.uniform(0, 86_400))
                unit = rng.choice(units[1:])
                payload = f'{{"ts": {int(at.timestamp())}, "values": {{"antrian": -{k + 1}}}}}'
                arrivals.setdefault(at, []).append(_refused(unit, payload, f"r-{day.date()}-{k}", "antrian: below 0"))
            for at in sorted(a for a in arrivals if a < end):
                store.write_in(conn, store.Batch([], arrivals[at], []), at, "mqtt")
                kept += len(arrivals[at])
            conn.commit()
    return {"rejected_messages": kept}


def _refused(unit: str, payload: str, message_id: str, reason: str) -> Rejection:
    return Rejection(contract.topic(unit, "telemetry"), unit, payload, reason, message_id)


def _days(since: datetime, end: datetime) -> Iterable[datetime]:
    day = since
    while day < end:
        yield day
        day += DAY
