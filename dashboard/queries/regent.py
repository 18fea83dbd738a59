"""The bupati's desk: today against the same weekday before, services against their targets, the units'
league, and the regency's eyes and alarms, in one read.

"Today" is WITA midnight to now; it is compared with the same span of the same weekday a week back and
with the mean of that span on the four weekdays before (a Monday morning with Monday mornings). Services
are read by whole WITA days from the daily roll-ups: the last seven days against the seven before, and
eight such weeks for the sparkline, so a year in storage costs 56 rows a service. The call center's
figures come from its own queries (callcenter_stats, callcenter_complaints), the units' from metrics,
metrics_probes and the roll-ups housekeeping keeps, the cameras' and alerts' from theirs: the desk shows
the figures the other pages show, never a second count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from sqlalchemy import Engine

from scc.clock import as_utc, utcnow, wita_day_start
from scc.settings import Settings

from . import alerts, callcenter_complaints, callcenter_stats, cameras, metrics_probes
from .callcenter_stats import Period, Responses
from .kept import Kept
from .regent_units import Compliance, Service, compliance, services

__all__ = ["Compliance", "Desk", "Service", "compliance", "desk", "services"]

WEEKS_BACK = 4  # "the 4-week average": the same weekday on each of the four weeks before
FRESH_S = 15.0  # a desk read is kept this long per process: the page refreshes each minute


@dataclass(frozen=True)
class Compared:
    """A figure today, on the same weekday last week (same span), and its mean over the four weeks before."""

    today: float | None
    last_week: float | None
    four_weeks: float | None


@dataclass(frozen=True)
class LineDesk:
    code: str
    calls: Compared
    scene_p50: Compared  # minutes from the call to a unit on scene
    scene_p90: Compared
    in_time: tuple[int, int]  # today: (on scene within its priority's time, counted)


@dataclass(frozen=True)
class UnitRow:
    """A unit in the league: how it reported this week, its public service, its complaints past due."""

    code: str
    compliance: float | None  # share of expected reports sent this week, 0..1; None: nothing expected yet
    service_down: bool
    overdue: int


@dataclass(frozen=True)
class Eyes:
    cameras_up: int
    cameras: int
    links_up: int
    links: int
    critical: int  # critical alerts firing
    oldest_critical: datetime | None


@dataclass(frozen=True)
class Desk:
    at: datetime
    lines: list[LineDesk]
    districts: dict[str, Compared]  # emergencies received, by district code
    services: list[Service]
    league: list[UnitRow]  # every unit, worst first
    compliance_since: datetime
    eyes: Eyes
    probes_at: datetime | None  # the newest probe check the league's "service down" rests on


def same_spans(now: datetime, weeks: int = WEEKS_BACK) -> tuple[Period, list[Period]]:
    """(today so far, the same span on the same weekday 1..weeks weeks back)."""
    now = as_utc(now)
    start = wita_day_start(now)
    back = [Period(start - timedelta(days=7 * k), now - timedelta(days=7 * k)) for k in range(1, weeks + 1)]
    return Period(start, now), back


def _compared(today: float | None, back: Sequence[float | None]) -> Compared:
    known = [v for v in back if v is not None]
    return Compared(today, back[0] if back else None, fmean(known) if known else None)


def _lines(
    engine: Engine, settings: Settings, spans: list[Period], responses: list[Responses], now: datetime
) -> list[LineDesk]:
    calls = [callcenter_stats.calls_in(engine, p, detail=False) for p in spans]
    times = [by_line for _, _, by_line in responses]
    allowed: dict[int, int] = {t.priority: t.on_scene_s for t in settings.call_policy.targets}
    in_time = callcenter_stats.on_scene_in_time(engine, spans[0], allowed, now)
    out = []
    for line in settings.call_lines:
        n = [float(c.by_line.get(line.code, 0)) for c in calls]
        p50 = [t[line.code].scene_p50 if line.code in t else None for t in times]
        p90 = [t[line.code].scene_p90 if line.code in t else None for t in times]
        out.append(
            LineDesk(
                line.code,
                _compared(n[0], n[1:]),
                _compared(p50[0], p50[1:]),
                _compared(p90[0], p90[1:]),
                in_time.get(line.code, (0, 0)),
            )
        )
    return out


def _districts(settings: Settings, responses: list[Responses]) -> dict[str, Compared]:
    counted = [by_district for _, by_district, _ in responses]
    out = {}
    for district in settings.districts:
        n = [float(c[district.code].incidents) if district.code in c else 0.0 for c in counted]
        out[district.code] = _compared(n[0], n[1:])
    return out


def _eyes(engine: Engine, settings: Settings) -> Eyes:
    rows = [r for r in cameras.cameras(engine, settings) if not r.planned]
    uplinks = {r.uplink for r in rows}
    down = {d.uplink for d in cameras.links_down(rows)}
    firing = [a for a in alerts.in_sight_of(engine) if a.severity == "critical" and a.open and a.state == "firing"]
    return Eyes(
        cameras_up=sum(r.status == "online" for r in rows),
        cameras=len(rows),
        links_up=len(uplinks - down),
        links=len(uplinks),
        critical=len(firing),
        oldest_critical=min((a.started_at for a in firing), default=None),
    )


def _league(
    settings: Settings, shares: dict[str, float | None], down: set[str], overdue: dict[str, int]
) -> list[UnitRow]:
    rows = [UnitRow(u.code, shares.get(u.code), u.code in down, overdue.get(u.code, 0)) for u in settings.skpd]
    # Worst first: complaints past due weigh most (a citizen is waiting), then a public service down, then
    # the reports a unit owes; the official order breaks ties.
    order = {u.code: i for i, u in enumerate(settings.skpd)}
    return sorted(
        rows,
        key=lambda r: (-r.overdue, not r.service_down, 1.0 if r.compliance is None else r.compliance, order[r.code]),
    )


def read(engine: Engine, settings: Settings, now: datetime | None = None) -> Desk:
    """Every figure of the desk at `now`."""
    now = as_utc(now or utcnow())
    today, back = same_spans(now)
    seen = metrics_probes.services(engine, settings, now)
    down = {code for code, check in seen.latest.items() if check.state == "down"}
    overdue = {code: c.overdue for code, c in callcenter_complaints.per_unit(engine, now).items() if code and c.overdue}
    shares, since = compliance(engine, settings, now)
    spans = [today, *back]
    responses = [callcenter_stats.responses_in(engine, p) for p in spans]  # one read a span: lines and districts
    return Desk(
        at=now,
        lines=_lines(engine, settings, spans, responses, now),
        districts=_districts(settings, responses),
        services=services(engine, settings, now),
        league=_league(settings, shares, down, overdue),
        compliance_since=since,
        eyes=_eyes(engine, settings),
        probes_at=max((c.at for c in seen.latest.values()), default=None),
    )


_kept: Kept[Desk] = Kept(FRESH_S)


def desk(engine: Engine, settings: Settings) -> Desk:
    """The desk now, at most FRESH_S old: the bupati's screens share one read per process. Callers must not
    change it."""
    return _kept.get(id(engine), lambda: read(engine, settings))
