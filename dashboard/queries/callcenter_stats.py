"""Call-center figures for the bupati and the supervisors: calls, response times, the map.

Counts are grouped in SQL over a `>= since` range of an indexed time column
(call_log.at, incidents.received_at), so a year of history in storage costs a
read of the chosen days only. Percentiles need the values themselves: the
database subtracts the timestamps and only the minutes come back, one small
row per incident of the range; p50 and p90 are computed here (linear
interpolation between the closest ranks, as numpy and spreadsheets do).

A range is counted in WITA days: "today" starts at midnight in Soppeng, "7
days" at the midnight six days before. The period it is compared with has the
same length and ends as many days earlier, so this morning is compared with
yesterday morning, not with a whole yesterday.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    func,
    select,
)

from scc.clock import as_utc, utcnow, wita_day_start
from scc.percentiles import percentile
from scc.storage.callcenter import OPEN_STATUSES, call_log, incidents

from . import sql_time

Window = Literal["today", "7d", "30d"]
WINDOWS: tuple[Window, ...] = get_args(Window)
DAYS: dict[Window, int] = {"today": 1, "7d": 7, "30d": 30}
MISSED = ("abandoned", "unanswered")
OPEN_MARKERS = 400  # open incidents drawn on the map; more than that is a disaster, counted not drawn


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    @classmethod
    def before(cls, since: datetime, end: datetime) -> Period:
        """[since, end) as a period, which is closed at both ends: it ends a microsecond (the stored times'
        resolution) before `end`, so a call at `end` belongs to the next one only."""
        return cls(since, end - timedelta(microseconds=1))


def periods(window: Window, now: datetime | None = None) -> tuple[Period, Period]:
    """(the chosen range, the one it is compared with): WITA days up to now, and as many days earlier."""
    now = as_utc(now or utcnow())
    days = DAYS[window]
    since = wita_day_start(now) - timedelta(days=days - 1)  # WITA keeps no summer time: a day is 24 hours
    shift = timedelta(days=days)
    return Period(since, now), Period(since - shift, now - shift)


@dataclass(frozen=True)
class Times:
    """Response times in minutes of a group of incidents: received -> dispatched, received -> on scene."""

    incidents: int = 0
    dispatch_p50: float | None = None
    dispatch_p90: float | None = None
    scene_p50: float | None = None
    scene_p90: float | None = None


# Response times of a period's emergencies: (overall, per district, per line).
Responses = tuple[Times, dict[str | None, Times], dict[str | None, Times]]


@dataclass(frozen=True)
class Calls:
    total: int = 0
    missed: int = 0  # abandoned + unanswered
    by_line: dict[str | None, int] = field(default_factory=dict)
    by_district: dict[str | None, int] = field(default_factory=dict)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # WITA hour of day
    outcomes_by_line: dict[str | None, dict[str, int]] = field(default_factory=dict)


def _in(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.since, column <= period.until)


# A span's calls counted by (line, outcome) and by (district, WITA hour): rows that add up, so the counts
# of two spans are the counts of their rows together.
CallRows = tuple[list[tuple[str | None, str, int]], list[tuple[str | None, int | None, int]]]
# A span's emergencies: per (line, district), [how many] and the minutes to dispatch and to scene. The
# minutes are kept whole because percentiles do not add.
Minutes = dict[tuple[str | None, str | None], tuple[list[int], list[float], list[float]]]


def call_rows(conn: Connection, period: Period, *, detail: bool = True) -> CallRows:
    """The calls of `period` by (line, outcome); with `detail` by (district, hour) too (a scan of its own)."""
    outcomes = conn.execute(
        select(call_log.c.line_code, call_log.c.outcome, func.count())
        .where(_in(call_log.c.at, period))
        .group_by(call_log.c.line_code, call_log.c.outcome)
    ).all()
    if not detail:
        return [tuple(r) for r in outcomes], []
    hour = sql_time.wita_hour(conn, call_log.c.at)
    # One scan for both: at most 9 districts x 24 hours come back.
    places = conn.execute(
        select(call_log.c.district, hour, func.count())
        .where(_in(call_log.c.at, period))
        .group_by(call_log.c.district, hour)
    ).all()
    return [tuple(r) for r in outcomes], [tuple(r) for r in places]


def calls_of(rows: CallRows, *, detail: bool = True) -> Calls:
    outcomes_rows, places = rows
    by_line: dict[str | None, int] = defaultdict(int)
    outcomes: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total = missed = 0
    for line, outcome, n in outcomes_rows:
        total += n
        by_line[line] += n
        outcomes[line][outcome] += n
        if outcome in MISSED:
            missed += n
    if not detail:
        return Calls(total=total, missed=missed, by_line=dict(by_line))
    hours = [0] * 24
    districts: dict[str | None, int] = defaultdict(int)
    for district, h, n in places:
        districts[district] += n
        if h is not None and 0 <= int(h) < 24:
            hours[int(h)] += n
    return Calls(
        total=total,
        missed=missed,
        by_line=dict(by_line),
        by_district=dict(districts),
        by_hour=hours,
        outcomes_by_line={line: dict(o) for line, o in outcomes.items()},
    )


def _times(n: int, dispatch: list[float], scene: list[float]) -> Times:
    dispatch = [v for v in dispatch if v >= 0]  # a clock set wrong at the intake: not a response time
    scene = [v for v in scene if v >= 0]
    return Times(
        incidents=n,
        dispatch_p50=percentile(dispatch, 50),
        dispatch_p90=percentile(dispatch, 90),
        scene_p50=percentile(scene, 50),
        scene_p90=percentile(scene, 90),
    )


def minutes(conn: Connection, period: Period) -> Minutes:
    """The minutes to dispatch and to scene of the emergencies received in `period` (complaints are
    settled, not responded to), per (line, district)."""
    result = conn.execute(
        select(
            incidents.c.line_code,
            incidents.c.district,
            sql_time.minutes_between(conn, incidents.c.dispatched_at, incidents.c.received_at),
            sql_time.minutes_between(conn, incidents.c.on_scene_at, incidents.c.received_at),
        ).where(_in(incidents.c.received_at, period), incidents.c.category != "complaint")
    )
    # Only texts and numbers come back, nothing to convert: the driver's own tuples, not a Row per incident
    # (a month is thousands of rows, and this read is most of the page's time).
    rows = result.cursor.fetchall() if result.cursor is not None else result.all()
    result.close()
    pairs: Minutes = {}
    for line, district, dispatch, scene in rows:
        entry = pairs.get((line, district))
        if entry is None:
            entry = pairs[(line, district)] = ([0], [], [])
        entry[0][0] += 1
        if dispatch is not None:
            entry[1].append(dispatch)
        if scene is not None:
            entry[2].append(scene)
    return pairs


def added(*parts: Minutes) -> Minutes:
    """The minutes of several spans as one."""
    out: Minutes = {}
    for part in parts:
        for key, entry in part.items():
            _add_into(out, key, entry)
    return out


def _add_into(out: dict[Any, tuple[list[int], list[float], list[float]]], key: Any, entry: Any) -> None:
    n, dispatch, scene = entry
    into = out.setdefault(key, ([0], [], []))
    into[0][0] += n[0]
    into[1].extend(dispatch)
    into[2].extend(scene)


def responses_of(pairs: Minutes) -> Responses:
    """Response times overall, per district, per line: the (line, district) groups, a few dozen, joined."""

    def joined(which: int) -> dict[str | None, Times]:
        merged: dict[str | None, tuple[list[int], list[float], list[float]]] = {}
        for key, entry in pairs.items():
            _add_into(merged, key[which], entry)
        return {k: _times(n[0], d, s) for k, (n, d, s) in merged.items()}

    every = _times(
        sum(n[0] for n, _, _ in pairs.values()),
        [v for _, d, _ in pairs.values() for v in d],
        [v for _, _, s in pairs.values() for v in s],
    )
    return every, joined(1), joined(0)


def calls_in(engine: Engine, period: Period, *, detail: bool = True) -> Calls:
    """The calls of `period`: by line, and with `detail` by district, outcome and WITA hour too (as the KPI
    page counts them)."""
    with engine.connect() as conn:
        return calls_of(call_rows(conn, period, detail=detail), detail=detail)


def responses_in(engine: Engine, period: Period) -> Responses:
    """Response times of the emergencies received in `period`: (overall, per district, per line)."""
    with engine.connect() as conn:
        return responses_of(minutes(conn, period))


def on_scene_in_time(
    engine: Engine, period: Period, allowed_s: dict[int, int], now: datetime | None = None
) -> dict[str | None, tuple[int, int]]:
    """Per line, (emergencies received in `period` with a unit on scene within the time their priority
    allows, emergencies received): `allowed_s` is seconds by priority (config/call_lines.yaml `targets`).
    One still waiting for a unit counts as late once its time has passed, and is left out until then."""
    now = as_utc(now or utcnow())
    minutes = {p: s / 60.0 for p, s in allowed_s.items()}
    out: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                incidents.c.line_code,
                incidents.c.priority,
                sql_time.minutes_between(conn, incidents.c.on_scene_at, incidents.c.received_at),
                incidents.c.received_at,
            ).where(_in(incidents.c.received_at, period), incidents.c.category != "complaint")
        ).all()
    for line, priority, scene, received in rows:
        allowed = minutes.get(priority)
        if allowed is None:
            continue
        if scene is None and (now - as_utc(received)).total_seconds() / 60.0 < allowed:
            continue  # still within its time: neither kept nor missed yet
        counted = out[line]
        counted[1] += 1
        counted[0] += scene is not None and 0 <= scene <= allowed
    return {line: (kept, n) for line, (kept, n) in out.items()}


def mean_minutes_to_scene(
    engine: Engine, lines: Sequence[str], window: Window, now: datetime | None = None
) -> float | None:
    """The mean minutes from the call to a unit on scene of the emergencies on `lines` received in the
    window (as `kpi` counts them), or None when no unit reached one yet."""
    current, _ = periods(window, now)
    with engine.connect() as conn:
        minutes = sql_time.minutes_between(conn, incidents.c.on_scene_at, incidents.c.received_at)
        values = conn.execute(
            select(minutes).where(
                _in(incidents.c.received_at, current),
                incidents.c.category != "complaint",
                incidents.c.line_code.in_(list(lines)),
                incidents.c.on_scene_at.is_not(None),
            )
        ).scalars()
        found = [float(v) for v in values if v is not None and v >= 0]
    return sum(found) / len(found) if found else None


# -- the map -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictCount:
    open: int = 0  # still open now, whenever received: an open incident is part of any range up to now
    total: int = 0  # received in the range


@dataclass(frozen=True)
class MapData:
    counts: dict[str | None, DistrictCount]
    open_incidents: list[dict[str, Any]]  # id, district, status, priority, category
    open_total: int


def map_data(engine: Engine, window: Window, now: datetime | None = None) -> MapData:
    current, _ = periods(window, now)
    emergency = incidents.c.category != "complaint"  # complaints have their page; the map is for responders
    with engine.connect() as conn:
        totals: dict[str | None, int] = dict(
            conn.execute(
                select(incidents.c.district, func.count())
                .where(_in(incidents.c.received_at, current), emergency)
                .group_by(incidents.c.district)
            ).all()
        )
        is_open = and_(incidents.c.status.in_(OPEN_STATUSES), emergency)
        opened: dict[str | None, int] = dict(
            conn.execute(select(incidents.c.district, func.count()).where(is_open).group_by(incidents.c.district)).all()
        )
        markers = conn.execute(
            select(incidents.c.id, incidents.c.district, incidents.c.status, incidents.c.priority, incidents.c.category)
            .where(is_open)
            .order_by(incidents.c.received_at.desc())
            .limit(OPEN_MARKERS)
        ).all()
    counts = {d: DistrictCount(open=opened.get(d, 0), total=totals.get(d, 0)) for d in {*totals, *opened}}
    return MapData(counts=counts, open_incidents=[dict(r._mapping) for r in markers], open_total=sum(opened.values()))


# -- a span, for the reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentCounts:
    """Incidents received in a period: emergencies by category and district, complaints by unit."""

    emergencies: int = 0
    complaints: int = 0
    by_category: dict[str, int] = field(default_factory=dict)  # emergencies only
    by_district: dict[str | None, int] = field(default_factory=dict)  # emergencies only, as the map counts
    complaints_by_unit: dict[str | None, int] = field(default_factory=dict)


def incidents_in(engine: Engine, period: Period) -> IncidentCounts:
    """What was received in `period`, grouped in SQL over the received_at index (a few dozen rows back)."""
    c = incidents.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.category, c.district, c.skpd_code, func.count())
            .where(_in(c.received_at, period))
            .group_by(c.category, c.district, c.skpd_code)
        ).all()
    categories: dict[str, int] = defaultdict(int)
    districts: dict[str | None, int] = defaultdict(int)
    units: dict[str | None, int] = defaultdict(int)
    for category, district, unit, n in rows:
        if category == "complaint":
            units[unit] += n
        else:
            categories[category] += n
            districts[district] += n
    return IncidentCounts(
        emergencies=sum(categories.values()),
        complaints=sum(units.values()),
        by_category=dict(categories),
        by_district=dict(districts),
        complaints_by_unit=dict(units),
    )
