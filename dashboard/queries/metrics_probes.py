"""The units' public services as the `probes` process found them: uptime over 24 hours, 7 and 30 days for
the grid and a unit's page, a unit's checks newest first, and whether each unit's website is up.

"Website up" has one source per unit, decided in `judge_websites` and nowhere else: a unit with a service
URL (Settings.probed_services: skpd.yaml, or every unit in the demo) by its newest check, one
without by the `website_up` figure it reports itself. A check older than FRESH_ROUNDS rounds says
nothing of now (the probes process has stopped): the site is then "not known", not up nor down.

Uptime comes from the checks counted by hour (service_probe_hours): a window is its last hours, the
current one included, so "24 h" at 10:20 is from 11:00 yesterday. The grid's read is a range of
ix_service_probe_hours_hour, which holds all it needs; a unit's, of the primary key; a unit's history, of
ix_service_probes_unit, bounded. None grows with the months kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, Label, RowMapping, case, func, select

from scc.clock import as_utc, utcnow
from scc.settings import Settings
from scc.storage.metrics import service_probe_hours as h
from scc.storage.metrics import service_probes as p

from . import metrics
from .metrics import Latest, UnitReport

WINDOWS: dict[str, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
HISTORY_LIMIT = 200
HOUR = timedelta(hours=1)
WEBSITE = "website_up"  # the catalog's metric the probes stand in for
FRESH_ROUNDS = 3  # a unit's newest check speaks for now while younger than this many rounds
# A check that was up, as the wall words it: slow past SLOW_MS to the headers (a reader gives up on a public
# page after a couple of seconds; the demo's slow site takes 3 s), its certificate with fewer than
# EXPIRING_DAYS left (two weeks to renew it before browsers refuse it; the shipped service-certificate alert
# rule, config/alerts.yaml, says the same). A check that failed is down.
SLOW_MS = 2000
EXPIRING_DAYS = 14
ProbeState = Literal["up", "slow", "expiring", "down"]


@dataclass(frozen=True)
class Uptime:
    checks: int
    up: int

    @property
    def share(self) -> float | None:
        """Up checks over all checks; None when there were none (nothing to say, not 0 %)."""
        return self.up / self.checks if self.checks else None


@dataclass(frozen=True)
class Check:
    at: datetime
    ok: bool
    status_code: int | None
    latency_ms: int | None
    tls_days_left: int | None
    content_found: bool | None
    error: str | None

    @property
    def state(self) -> ProbeState:
        if not self.ok:
            return "down"
        if self.tls_days_left is not None and self.tls_days_left < EXPIRING_DAYS:
            return "expiring"
        if self.latency_ms is not None and self.latency_ms >= SLOW_MS:
            return "slow"
        return "up"


@dataclass(frozen=True)
class Services:
    """The probed units as a page shows them: which have a URL, each one's newest check (if fresh) and uptime."""

    probed: frozenset[str]
    latest: dict[str, Check]
    uptime: dict[str, dict[str, Uptime]]


@dataclass(frozen=True)
class UnitService:
    """One unit's service for its page: its URL, uptime, and its checks newest first (the newest, stale or not)."""

    url: str
    uptime: dict[str, Uptime]
    checks: list[Check]
    latest: Check | None  # the newest check if it still speaks for now (as judge_websites has it)


@dataclass(frozen=True)
class DownPeriod:
    start: datetime  # its first failed check
    end: datetime | None  # the first check up again; None while it lasts
    checks: int


def _first_hour(now: datetime, span: timedelta) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) - span + HOUR


def _window_sums(now: datetime) -> list[Label[Any]]:
    columns = []
    for name, span in WINDOWS.items():
        inside = h.c.hour >= _first_hour(now, span)
        columns.append(func.sum(case((inside, h.c.checks), else_=0)).label(f"n_{name}"))
        columns.append(func.sum(case((inside, h.c.up), else_=0)).label(f"up_{name}"))
    return columns


def _uptimes(row: RowMapping) -> dict[str, Uptime]:
    return {name: Uptime(int(row[f"n_{name}"] or 0), int(row[f"up_{name}"] or 0)) for name in WINDOWS}


def uptime_by_unit(engine: Engine, now: datetime) -> dict[str, dict[str, Uptime]]:
    """Each probed unit's uptime over every window up to `now`; a unit with no check in 30 days is absent."""
    since = _first_hour(now, max(WINDOWS.values()))
    query = select(h.c.skpd_code, *_window_sums(now)).where(h.c.hour >= since, h.c.hour <= now).group_by(h.c.skpd_code)
    with engine.connect() as conn:
        return {row["skpd_code"]: _uptimes(row) for row in conn.execute(query).mappings()}


def uptime_of(engine: Engine, skpd_code: str, now: datetime) -> dict[str, Uptime]:
    since = _first_hour(now, max(WINDOWS.values()))
    query = select(*_window_sums(now)).where(h.c.skpd_code == skpd_code, h.c.hour >= since, h.c.hour <= now)
    with engine.connect() as conn:
        return _uptimes(conn.execute(query).mappings().one())


_CHECK = (p.c.at, p.c.ok, p.c.status_code, p.c.latency_ms, p.c.tls_days_left, p.c.content_found, p.c.error)


def _check(row: RowMapping) -> Check:
    return Check(**{**{c.name: row[c.name] for c in _CHECK}, "at": as_utc(row["at"])})


def history(engine: Engine, skpd_code: str, until: datetime, limit: int = HISTORY_LIMIT) -> list[Check]:
    """A unit's checks up to `until`, newest first, at most `limit`: a page goes back by passing the
    oldest one's time."""
    query = select(*_CHECK).where(p.c.skpd_code == skpd_code, p.c.at <= until).order_by(p.c.at.desc()).limit(limit)
    with engine.connect() as conn:
        return [_check(row) for row in conn.execute(query).mappings()]


def probed(settings: Settings) -> frozenset[str]:
    """The units with a service URL: the ones the probes process checks, by its own list."""
    return frozenset(settings.probed_services)


def fresh_since(settings: Settings, now: datetime) -> datetime:
    """The oldest check that still speaks for now: FRESH_ROUNDS rounds back, and a round's longest check."""
    probes = settings.app.probes
    return now - timedelta(seconds=FRESH_ROUNDS * probes.interval_s + probes.timeout_s)


def latest_checks(engine: Engine, settings: Settings, now: datetime) -> dict[str, Check]:
    """Each probed unit's newest check of the last FRESH_ROUNDS rounds: a range of ix_service_probes_at, a
    few rounds' rows whatever the months kept."""
    codes = probed(settings)
    if not codes:
        return {}
    query = (
        select(p.c.skpd_code, *_CHECK)
        .where(p.c.at >= fresh_since(settings, now), p.c.at <= now)
        .order_by(p.c.at)
        .limit(len(codes) * FRESH_ROUNDS * 4)  # a round a unit, a few spare: never the table
    )
    with engine.connect() as conn:
        return {row["skpd_code"]: _check(row) for row in conn.execute(query).mappings() if row["skpd_code"] in codes}


def services(engine: Engine, settings: Settings, now: datetime | None = None) -> Services:
    now = now or utcnow()
    codes = probed(settings)
    if not codes:
        return Services(codes, {}, {})
    uptime = {code: up for code, up in uptime_by_unit(engine, now).items() if code in codes}
    return Services(codes, latest_checks(engine, settings, now), uptime)


def judge_websites(reports: list[UnitReport], seen: Services) -> list[UnitReport]:
    """The one decision of "website up": a probed unit's `website_up` becomes its newest fresh check (1 up,
    0 down, none when not checked lately), whatever it reported; a unit with no URL keeps its own figure."""
    out = []
    for report in reports:
        own = report.latest.get(WEBSITE)
        if report.skpd.code not in seen.probed or own is None:
            out.append(report)
            continue
        check = seen.latest.get(report.skpd.code)
        judged = (
            Latest(own.metric, float(check.ok), check.at, "ok")
            if check is not None
            else Latest(own.metric, None, None, "nodata")
        )
        out.append(replace(report, latest={**report.latest, WEBSITE: judged}))
    return out


def regency(engine: Engine, settings: Settings, now: datetime | None = None) -> tuple[list[UnitReport], Services]:
    """Every unit as metrics.regency reads it, its website judged by `judge_websites`, and the services."""
    now = now or utcnow()
    seen = services(engine, settings, now)
    return judge_websites(metrics.regency(engine, settings, now), seen), seen


def unit(
    engine: Engine, settings: Settings, code: str, now: datetime | None = None, limit: int = HISTORY_LIMIT
) -> tuple[UnitReport, UnitService | None]:
    """One unit as metrics.unit reads it, its website judged, and its service (None: it has no URL)."""
    now = now or utcnow()
    report = metrics.unit(engine, settings, code, now)
    url = settings.probed_services.get(code)
    if url is None:
        return report, None
    checks = history(engine, code, now, limit)
    latest = checks[0] if checks and checks[0].at >= fresh_since(settings, now) else None
    judged = judge_websites([report], Services(frozenset({code}), {code: latest} if latest else {}, {}))[0]
    return judged, UnitService(str(url.url), uptime_of(engine, code, now), checks, latest)


def down_periods(checks: list[Check]) -> list[DownPeriod]:
    """The runs of failed checks among `checks` (newest first), newest first: when each began and ended."""
    periods: list[DownPeriod] = []
    end: datetime | None = None  # the check up just after the run being read (None: the newest check)
    run: list[Check] = []
    for check in checks:
        if not check.ok:
            run.append(check)
            continue
        if run:
            periods.append(DownPeriod(run[-1].at, end, len(run)))
            run = []
        end = check.at
    if run:
        periods.append(DownPeriod(run[-1].at, end, len(run)))
    return periods


def uptime_between(engine: Engine, since: datetime, until: datetime) -> dict[str, Uptime]:
    """Each probed unit's checks and those up in the hours [since, until) (whole hours: a report's day or
    week), from the same hourly counts as the grid's windows; a unit with no check then is absent."""
    query = (
        select(h.c.skpd_code, func.sum(h.c.checks), func.sum(h.c.up))
        .where(h.c.hour >= since, h.c.hour < until)
        .group_by(h.c.skpd_code)
    )
    with engine.connect() as conn:
        return {code: Uptime(int(n or 0), int(up or 0)) for code, n, up in conn.execute(query)}
