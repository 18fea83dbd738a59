"""SKPD metric reads: newest values, each unit's reporting state, history in buckets, rejections.

The newest values come from `metric_latest` (kept by ingest as it commits), so
the wall never scans the samples for a max(). A figure the call center keeps
itself (`from_calls` in the catalog: PSC 119's calls on Dinkes' card) is read
from the call center's own tables by the call center's own queries, so the card
and the call center's pages show one figure. History is aggregated in SQL into
time buckets (hourly for a day, daily for a year), and every read whose result
could grow with time carries a LIMIT: a callback never pulls years of raw rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Engine, func, literal_column, select

from scc.clock import as_utc, to_wita, utcnow, wita_day_start
from scc.settings import Settings
from scc.settings.metrics import Metric, shortest_interval
from scc.settings.regency import Skpd
from scc.storage.callcenter import call_log, incidents
from scc.storage.metrics import (
    MetricFreshness,
    metric_daily,
    metric_latest,
    metric_samples,
    metric_unit_status,
)

from . import metrics_calls, sql_time
from .kept import past_and_today

# A unit's reporting, as the wall sums it up:
#   online  its link is up and it reported within twice its shortest reporting interval
#   stale   its link is up (or unknown) but its last report is older than that
#   offline its link is down (its broker status said so, or its will did)
#   never   nothing ever heard from it
UnitState = Literal["online", "stale", "offline", "never"]
UNIT_STATES: tuple[UnitState, ...] = get_args(UnitState)

Range = Literal["24h", "7d", "30d", "1y"]
RANGES: tuple[Range, ...] = get_args(Range)
# Rows one history read may return, whatever the range and however many samples lie in it.
MAX_ROWS = 5000
# Ranges read from the daily roll-ups housekeeping keeps (metric_daily), whole WITA days: a year is 365
# rows per metric, and the raw samples are kept 90 days only (config/retention.yaml).
FROM_DAYS: frozenset[Range] = frozenset({"30d", "1y"})


@dataclass(frozen=True)
class Span:
    length: timedelta
    bucket_s: int  # seconds per point of a chart

    @property
    def buckets(self) -> int:
        return int(self.length.total_seconds() // self.bucket_s) + 1


SPANS: dict[Range, Span] = {
    "24h": Span(timedelta(hours=24), 3600),
    "7d": Span(timedelta(days=7), 3 * 3600),
    "30d": Span(timedelta(days=30), 86400),
    "1y": Span(timedelta(days=365), 86400),
}


@dataclass(frozen=True)
class Latest:
    """A metric of the catalog with its newest value (None: never reported)."""

    metric: Metric
    value: float | None
    ts: datetime | None
    freshness: MetricFreshness


@dataclass(frozen=True)
class UnitReport:
    """One SKPD as the wall shows it: its state, when it last reported, and its newest figures."""

    skpd: Skpd
    state: UnitState
    last_report: datetime | None
    latest: dict[str, Latest]  # metric key -> newest value, in catalog order


@dataclass(frozen=True)
class Point:
    at: datetime  # start of the bucket, UTC
    value: float


# -- newest values and states --------------------------------------------------------------------


def stale_after(settings: Settings, code: str) -> timedelta:
    """A unit is late once it has been silent for twice its shortest expected reporting interval."""
    return 2 * shortest_interval(settings.metrics, code)


def regency(engine: Engine, settings: Settings, now: datetime | None = None) -> list[UnitReport]:
    """Every SKPD, in the official order: two small reads (one row per unit, one per metric)."""
    return _reports(engine, settings, [s.code for s in settings.skpd], now)


def unit(engine: Engine, settings: Settings, code: str, now: datetime | None = None) -> UnitReport:
    if code not in settings.skpd_by_code:
        raise KeyError(code)
    return _reports(engine, settings, [code], now)[0]


def _reports(engine: Engine, settings: Settings, codes: list[str], now: datetime | None) -> list[UnitReport]:
    now = now or utcnow()
    wanted = set(codes)
    latest_q = select(metric_latest).where(metric_latest.c.skpd_code.in_(codes))
    status_q = select(metric_unit_status).where(metric_unit_status.c.skpd_code.in_(codes))
    with engine.connect() as conn:
        values = {(r.skpd_code, r.metric_key): r for r in conn.execute(latest_q)}
        links = {r.skpd_code: r for r in conn.execute(status_q)}
    kept = metrics_calls.latest(engine, settings, [m for m in settings.metrics if m.skpd in wanted], now)
    by_unit: dict[str, dict[str, Latest]] = {code: {} for code in codes}
    heard: dict[str, datetime] = {}
    for metric in settings.metrics:
        if metric.skpd not in wanted:
            continue
        if metric.from_calls is not None:
            value = kept[metric.key]
            by_unit[metric.skpd][metric.key] = Latest(metric, value, now, "ok" if value is not None else "nodata")
            continue
        row = values.get((metric.skpd, metric.key))
        freshness: MetricFreshness = "nodata"
        if row is not None:
            ts = as_utc(row.ts)
            freshness = "late" if now - ts > timedelta(seconds=2 * metric.interval_s) else "ok"
            received = as_utc(row.received_at)
            heard[metric.skpd] = max(heard.get(metric.skpd, received), received)
        by_unit[metric.skpd][metric.key] = Latest(
            metric, row.value if row else None, as_utc(row.ts) if row else None, freshness
        )
    out = []
    for code in codes:
        link = links.get(code)
        last = heard.get(code)
        if link is not None and link.last_message_at is not None:
            said = as_utc(link.last_message_at)
            last = max(last, said) if last else said
        out.append(
            UnitReport(
                settings.skpd_by_code[code], _state(link, last, now, stale_after(settings, code)), last, by_unit[code]
            )
        )
    return out


def _state(link: Any, last: datetime | None, now: datetime, late: timedelta) -> UnitState:
    if link is not None and not link.online:
        return "offline"
    if last is None:
        return "never"
    return "stale" if now - last > late else "online"


def state_counts(reports: Iterable[UnitReport]) -> dict[UnitState, int]:
    counts: dict[UnitState, int] = dict.fromkeys(UNIT_STATES, 0)
    for r in reports:
        counts[r.state] += 1
    return counts


def flag_count(reports: Iterable[UnitReport], key: str) -> tuple[int, int, int]:
    """(units whose newest `key` flag is up, units that reported it at all, units that should)."""
    up = known = total = 0
    for r in reports:
        latest = r.latest.get(key)
        if latest is None:
            continue
        total += 1
        if latest.value is not None:
            known += 1
            up += latest.value >= 0.5
    return up, known, total


def skpd_availability(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The overview's summary of the units: the same states as the metrics wall."""
    reports = regency(engine, settings)
    counts = state_counts(reports)
    return {
        "total": len(reports),
        "online": counts["online"],
        "stale": counts["stale"],
        "offline": [r.skpd.code for r in reports if r.state == "offline"],
        "silent": counts["never"],
    }


# -- history -------------------------------------------------------------------------------------


def series(
    engine: Engine, settings: Settings, code: str, range_: Range, now: datetime | None = None
) -> dict[str, list[Point]]:
    """Each metric of `code` over `range_`, one point per bucket: the mean of a gauge, the highest
    running total of a counter, and the share of time a flag was up (in %). Each read at most MAX_ROWS
    rows (a month or a year: the days before today, and today's)."""
    span = SPANS[range_]
    now = now or utcnow()
    since = range_start(range_, now)
    kinds = {m.key: m.kind for m in settings.metrics if m.skpd == code}
    if not kinds:
        return {}
    kept = {m.key: m for m in settings.metrics if m.skpd == code and m.from_calls is not None}
    # A key no longer in the catalog, or one the call center keeps (a unit sent it anyway), is left out.
    own = {key: kind for key, kind in kinds.items() if key not in kept}
    if range_ in FROM_DAYS:
        read = partial(_daily, engine, code, own)
        past, today = past_and_today(engine, ("daily", code), since, now, read)
        found = (past or []) + today
    else:
        with engine.connect() as conn:
            found = _points(_buckets(conn, code, since, span.bucket_s), own)
    out: dict[str, list[Point]] = {key: [] for key in kinds}
    for key, m in kept.items():
        out[key] = _kept_series(engine, settings, m, since, span.bucket_s, now)
    for key, point in found:
        out[key].append(point)
    return out


def _points(rows: Iterable[Any], kinds: Mapping[str, str]) -> list[tuple[str, Point]]:
    """(metric, point) of each (metric, bucket start in epoch seconds, mean, highest) row of a metric in
    `kinds`: the highest of a counter, the mean of a gauge, a flag's mean as a share in %."""
    out = []
    for key, start, mean, top in rows:
        kind = kinds.get(key)
        if kind is not None:
            value = float(top) if kind == "counter" else float(mean) * (100.0 if kind == "flag" else 1.0)
            out.append((key, Point(datetime.fromtimestamp(int(start), UTC), value)))
    return out


def range_start(range_: Range, now: datetime) -> datetime:
    """Where a chart of `range_` begins: its length back from now, or for the ranges read by day, the
    midnight WITA that begins that day (whole days, as the roll-ups hold them)."""
    since = now - SPANS[range_].length
    return wita_day_start(since) if range_ in FROM_DAYS else since


def _buckets(conn: Connection, code: str, since: datetime, size: int) -> list[Any]:
    """(metric, bucket start in epoch seconds, mean, highest) of the unit's raw samples since `since`."""
    c = metric_samples.c
    bucket = sql_time.wita_bucket(conn, c.ts, size).label("bucket")
    query = (
        select(c.metric_key, bucket, func.avg(c.value), func.max(c.value))
        .where(c.skpd_code == code, c.ts >= since)
        .group_by(c.metric_key, literal_column("bucket"))
        .order_by(c.metric_key, literal_column("bucket"))
        .limit(MAX_ROWS)
    )
    return list(conn.execute(query).all())


def _daily(
    engine: Engine, code: str, kinds: Mapping[str, str], since: datetime, until: datetime | None
) -> list[tuple[str, Point]]:
    """The same points, by WITA day, from the daily roll-ups of [since, until) (until now when None)."""
    d = metric_daily.c
    where = [d.skpd_code == code, d.day >= since] + ([d.day < until] if until is not None else [])
    query = select(d.metric_key, d.day, d.total / d.n, d.high).where(*where).order_by(d.metric_key, d.day)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(MAX_ROWS)).all()
    return _points(((key, as_utc(day).timestamp(), mean, top) for key, day, mean, top in rows), kinds)


def _kept_series(
    engine: Engine, settings: Settings, metric: Metric, since: datetime, size: int, now: datetime
) -> list[Point]:
    """A figure the call center keeps (metrics_calls), a point per bucket as a unit's samples would give
    it: the day's running total of calls at the bucket's end, or the mean minutes to scene of the bucket's
    emergencies. From the call log and the incidents, as the call center's pages read them."""
    read = partial(_kept_points, engine, settings, metric, size=size)
    past, today = past_and_today(engine, ("kept", metric.skpd, metric.key, size), since, now, read)
    return (past or []) + today


def _kept_points(
    engine: Engine, settings: Settings, metric: Metric, since: datetime, until: datetime | None, *, size: int
) -> list[Point]:
    """The points of [since, until) (until now when None); `since` is the start of a bucket and of a day
    where a running total counts from."""
    lines = metrics_calls.lines_of(settings, metric.skpd)
    counting = metric.from_calls == "calls_today"
    with engine.connect() as conn:
        if counting:
            column: Any = call_log.c.at
            value: Any = func.count()
            where = [call_log.c.line_code.in_(lines), column >= wita_day_start(since)]  # the first day whole
        else:
            column = incidents.c.received_at
            value = func.avg(sql_time.minutes_between(conn, incidents.c.on_scene_at, column))
            where = [incidents.c.line_code.in_(lines), incidents.c.category != "complaint",
                     incidents.c.on_scene_at.is_not(None), column >= since]  # fmt: skip
        if until is not None:
            where.append(column < until)
        bucket = sql_time.wita_bucket(conn, column, size).label("bucket")
        query = select(bucket, value).where(*where).group_by(literal_column("bucket"))
        rows = conn.execute(query.order_by(literal_column("bucket")).limit(MAX_ROWS)).all()
    points: list[Point] = []
    day, total = None, 0.0
    for start, v in rows:
        at = datetime.fromtimestamp(int(start), UTC)
        if counting:
            total = (total if to_wita(at).date() == day else 0.0) + float(v)
            day, v = to_wita(at).date(), total
        if at > since - timedelta(seconds=size) and v is not None:
            points.append(Point(at, float(v)))
    return points


def uptime_by_unit(
    engine: Engine, settings: Settings, key: str, range_: Range, now: datetime | None = None
) -> dict[str, float]:
    """The share of reports (in %) in which each unit's `key` flag was up over `range_`: one row per unit.

    A year of every unit's five-minute flag is millions of rows (about 1.5 s on SQLite): the answer is
    kept per process for a 1440th of the range (a minute for a day, half an hour at most), which moves
    a share of a year by nothing anyone could see. Callers must not change it."""
    if now is not None:
        return _uptime(engine, settings, key, range_, now)
    cache_key = (id(engine), key, range_)
    ttl = min(1800.0, SPANS[range_].length.total_seconds() / 1440)
    with _lock:
        hit = _uptime_cache.get(cache_key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    result = _uptime(engine, settings, key, range_, utcnow())
    with _lock:
        _uptime_cache[cache_key] = (time.monotonic(), result)
    return result


_uptime_cache: dict[tuple[int, str, str], tuple[float, dict[str, float]]] = {}
_lock = threading.Lock()


def _uptime(engine: Engine, settings: Settings, key: str, range_: Range, now: datetime) -> dict[str, float]:
    since = range_start(range_, now)
    codes = [m.skpd for m in settings.metrics if m.key == key]
    if range_ in FROM_DAYS:  # the share of reports up is the days' sums over their counts
        d = metric_daily.c
        by_day = (
            select(d.skpd_code, func.sum(d.total) / func.sum(d.n))
            .where(d.skpd_code.in_(codes), d.metric_key == key, d.day >= since)
            .group_by(d.skpd_code)
        )
        with engine.connect() as conn:
            return {code: float(share) * 100.0 for code, share in conn.execute(by_day)}
    query = (
        select(metric_samples.c.skpd_code, func.avg(metric_samples.c.value))
        .where(
            metric_samples.c.skpd_code.in_(codes),
            metric_samples.c.metric_key == key,
            metric_samples.c.ts >= since,
        )
        .group_by(metric_samples.c.skpd_code)
        .limit(len(codes) or 1)
    )
    with engine.connect() as conn:
        return {code: float(mean) * 100.0 for code, mean in conn.execute(query)}


def shared_keys(settings: Settings) -> list[str]:
    """Metric keys more than one unit reports (service up, website up...), in catalog order."""
    seen: dict[str, int] = {}
    for m in settings.metrics:
        seen[m.key] = seen.get(m.key, 0) + 1
    return [key for key, n in seen.items() if n > 1]
