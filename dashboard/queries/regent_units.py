"""The units on the bupati's desk: the services he follows against their targets (config/regent.yaml), and
how faithfully each unit reported this week.

Services are read from the daily roll-ups housekeeping keeps (metric_daily), whole WITA days: the last 7
days make this week's figure and the 7 before last week's, eight such weeks the sparkline. A week of a
counter that starts again each day is the sum of its days' highest totals; of a running total over the
year, its last reading; of a level, the mean of the days its office was open (a closed Saturday's
attendance of 0 is no one's absence).

Compliance is the share of the reports a unit owed since Monday 00:00 WITA that arrived, each metric
owing one per its interval, counted to the last whole hour from the hourly roll-ups: a unit that sends
twice as often is not 200 % compliant, one that fell silent on Wednesday shows it on Thursday. Nobody
owes a figure the call center counts itself, nor the website flag of a unit whose site the probes check.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Literal

from sqlalchemy import Engine, and_, func, or_, select

from scc.clock import as_utc, to_wita, utcnow, wita_day_start
from scc.settings import Settings
from scc.settings.metrics import Metric
from scc.settings.regent import Better, DeskService, Weekly
from scc.storage.metrics import metric_daily, metric_hourly, metric_latest

from .metrics_probes import WEBSITE

WEEKS = 8  # the sparkline's weeks, the last one the last 7 whole days
Trend = Literal["up", "down", "steady"]


@dataclass(frozen=True)
class Service:
    metric: Metric
    week: Weekly
    better: Better
    value: float | None  # the last 7 days' figure; for a `last` one, its newest reading
    weeks: list[float | None]  # WEEKS weekly figures, oldest first (None: a week with no reading)
    trend: Trend | None  # the last 7 days against the 7 before; None when either is unknown
    target: float | None
    as_of: datetime | None  # when the newest reading was taken
    stale: bool  # that reading is older than twice the metric's interval


def trend_of(now: float | None, before: float | None, steady_percent: float) -> Trend | None:
    """A figure against the one before it: up, down, or steady within `steady_percent` of it."""
    if now is None or before is None:
        return None
    if before == 0:
        return "steady" if now == 0 else "up" if now > 0 else "down"
    change = (now - before) / abs(before) * 100.0
    if abs(change) <= steady_percent:
        return "steady"
    return "up" if change > 0 else "down"


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The first midnight WITA of each of the `weeks` 7-day windows ending at today's midnight, oldest first."""
    end = wita_day_start(as_utc(now))
    return [end - timedelta(days=7 * k) for k in range(weeks, 0, -1)]


def _weekly(
    service: DeskService, metric: Metric, days: dict[datetime, tuple[float, float, float]], starts: list[datetime],
    settings: Settings,
) -> list[float | None]:  # fmt: skip
    """Each window's figure from the days' (mean, highest, last reading)."""
    office = settings.office_days
    out: list[float | None] = []
    for start in starts:
        inside = [(day, v) for day, v in sorted(days.items()) if start <= day < start + timedelta(days=7)]
        if service.week == "mean" and office.keeps_office_days(metric):
            inside = [(day, v) for day, v in inside if office.office_day(to_wita(day).date())]
        if not inside:
            out.append(None)
        elif service.week == "sum":
            out.append(sum(v[1] for _, v in inside))
        elif service.week == "last":
            out.append(inside[-1][1][2])
        else:
            out.append(fmean(v[0] for _, v in inside))
    return out


def services(engine: Engine, settings: Settings, now: datetime | None = None) -> list[Service]:
    """The desk's services (config/regent.yaml), in its order, with their eight weeks."""
    now = as_utc(now or utcnow())
    desk = settings.regent
    by_key = {m.key: m for m in settings.metrics}  # the desk names only one-unit metrics (checked at load)
    wanted = [(by_key[s.metric].skpd, s.metric) for s in desk.services]
    targets = [(by_key[s.metric].skpd, s.target_metric) for s in desk.services if s.target_metric]
    starts = week_starts(now)
    d, latest = metric_daily.c, metric_latest.c
    days: dict[tuple[str, str], dict[datetime, tuple[float, float, float]]] = defaultdict(dict)
    with engine.connect() as conn:
        for code, key, day, n, total, high, last in conn.execute(
            select(d.skpd_code, d.metric_key, d.day, d.n, d.total, d.high, d.last_value).where(
                or_(*(and_(d.skpd_code == code, d.metric_key == key) for code, key in wanted)),
                d.day >= starts[0],
                d.day < starts[-1] + timedelta(days=7),
            )
        ):
            days[(code, key)][as_utc(day)] = (total / n if n else 0.0, high, last)
        newest = {
            (r.skpd_code, r.metric_key): (r.value, as_utc(r.ts))
            for r in conn.execute(
                select(latest.skpd_code, latest.metric_key, latest.value, latest.ts).where(
                    or_(*(and_(latest.skpd_code == code, latest.metric_key == key) for code, key in wanted + targets))
                )
            )
        }
    out = []
    for service in desk.services:
        metric = by_key[service.metric]
        weeks = _weekly(service, metric, days[(metric.skpd, metric.key)], starts, settings)
        reading = newest.get((metric.skpd, metric.key))
        value = reading[0] if service.week == "last" and reading else weeks[-1]
        target = metric.target or service.target
        if service.target_metric:
            set_by_unit = newest.get((metric.skpd, service.target_metric))
            target = set_by_unit[0] if set_by_unit else None
        as_of = reading[1] if reading else None
        out.append(
            Service(
                metric=metric,
                week=service.week,
                better=service.better,
                value=value,
                weeks=weeks,
                trend=trend_of(weeks[-1], weeks[-2], desk.steady_percent),
                target=target,
                as_of=as_of,
                stale=as_of is None or now - as_of > timedelta(seconds=2 * metric.interval_s),
            )
        )
    return out


@dataclass(frozen=True)
class Compliance:
    """One unit's reports this week: those that arrived (at most what was owed per metric) and those owed."""

    code: str
    received: int
    expected: int

    @property
    def share(self) -> float | None:
        return min(1.0, self.received / self.expected) if self.expected else None


def week_start(now: datetime) -> datetime:
    """Monday 00:00 WITA of `now`'s week, in UTC."""
    return wita_day_start(now) - timedelta(days=to_wita(now).weekday())


def compliance(
    engine: Engine, settings: Settings, now: datetime | None = None, since: datetime | None = None
) -> tuple[dict[str, float | None], datetime]:
    """({unit: share of its owed reports that arrived}, since when), counted from `since` (Monday 00:00 WITA
    of this week by default) to the last whole hour before `now`."""
    rows, since = compliance_rows(engine, settings, now, since)
    return {r.code: r.share for r in rows}, since


def compliance_rows(
    engine: Engine, settings: Settings, now: datetime | None = None, since: datetime | None = None
) -> tuple[list[Compliance], datetime]:
    """Every unit's Compliance over [since, the last whole hour before now), in the official order."""
    now = as_utc(now or utcnow())
    since = as_utc(since) if since is not None else week_start(now)
    until = now.replace(minute=0, second=0, microsecond=0)
    seconds = max(0.0, (until - since).total_seconds())
    h = metric_hourly.c
    with engine.connect() as conn:
        arrived = {
            (code, key): int(n)
            for code, key, n in conn.execute(
                select(h.skpd_code, h.metric_key, func.sum(h.n))
                .where(h.hour >= since, h.hour < until)
                .group_by(h.skpd_code, h.metric_key)
            )
        }
    received: dict[str, int] = defaultdict(int)
    expected: dict[str, int] = defaultdict(int)
    probed = settings.probed_services
    for m in settings.metrics:
        if m.from_calls is not None or (m.key == WEBSITE and m.skpd in probed):
            continue  # a figure the call center keeps, or a site the probes check, is owed by nobody
        owed = int(seconds // m.interval_s)
        expected[m.skpd] += owed
        received[m.skpd] += min(owed, arrived.get((m.skpd, m.key), 0))
    return [Compliance(u.code, received[u.code], expected[u.code]) for u in settings.skpd], since
