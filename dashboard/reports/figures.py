"""A report's figures, read through dashboard.queries exactly as the pages read them, for one span.

Nothing here counts anything itself: each figure is a query function's answer for [start, end), so a
report and a page shown the same span say the same numbers (tests/reports/test_numbers.py). The call
center's periods are closed at both ends (callcenter_stats.Period); a report's ends a microsecond before
the next midnight, so a call at 00:00:00 belongs to one day only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from scc.alerts.routing import Audience
from scc.percentiles import percentile
from scc.settings import Settings

from ..queries import (
    alerts,
    callcenter_complaints,
    callcenter_stats,
    cameras,
    metrics_days,
    metrics_probes,
    metrics_received,
)
from ..queries.alerts import AlertView
from ..queries.callcenter_stats import Calls, IncidentCounts, Period, Times
from ..queries.cameras import SpanUptime
from ..queries.metrics_days import SpanFigure
from ..queries.metrics_received import Rejected
from ..queries.regent_units import Compliance, Service, compliance_rows, services


@dataclass(frozen=True)
class AlertFigures:
    """The alerts raised in the span and how soon someone acknowledged them (minutes from firing)."""

    raised: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    acknowledged: int = 0
    ack_p50: float | None = None
    ack_p90: float | None = None
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Regency:
    start: datetime
    end: datetime
    calls: Calls
    overall: Times
    by_district: dict[str | None, Times]
    by_line: dict[str | None, Times]
    incidents: IncidentCounts
    league: list[tuple[str, int, int]]  # (unit, complaints open, of them past due) at the span's end, worst first
    cameras: list[SpanUptime]
    links: list[SpanUptime]
    probes: dict[str, metrics_probes.Uptime]
    compliance: list[Compliance]  # worst first
    services: list[Service]
    alerts: AlertFigures


@dataclass(frozen=True)
class Unit:
    code: str
    start: datetime
    end: datetime
    services: list[Service]  # the bupati's key figures this unit reports
    figures: dict[str, SpanFigure]  # every figure it reported in the span, by metric key
    compliance: Compliance
    complaints_received: int
    complaints_open: int
    complaints_overdue: int
    probe: metrics_probes.Uptime | None  # None: its service is not probed, or had no check in the span
    rejected: int
    rejections: list[Rejected]  # the newest of them
    alerts: AlertFigures


def alert_figures(found: list[AlertView]) -> AlertFigures:
    severities: dict[str, int] = {}
    rules: dict[str, int] = {}
    waits = []
    for a in found:
        severities[a.severity] = severities.get(a.severity, 0) + 1
        rules[a.rule] = rules.get(a.rule, 0) + 1
        if a.acknowledged_at is not None and a.fired_at is not None:
            waits.append(max(0.0, (a.acknowledged_at - a.fired_at).total_seconds() / 60.0))
    return AlertFigures(
        raised=len(found),
        by_severity=severities,
        acknowledged=len(waits),
        ack_p50=percentile(waits, 50),
        ack_p90=percentile(waits, 90),
        by_rule=dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def league(engine: Engine, end: datetime, skpd_code: str | None = None) -> list[tuple[str, int, int]]:
    """Units with complaints open now and past their due date at `end` (the Pengaduan page's counts at
    that moment), the most overdue first."""
    counted = callcenter_complaints.per_unit(engine, end, skpd_code)
    rows = [(code, c.open, c.overdue) for code, c in counted.items() if code is not None and c.open]
    return sorted(rows, key=lambda r: (-r[2], -r[1], r[0]))


def worst_first(rows: list[Compliance]) -> list[Compliance]:
    return sorted(rows, key=lambda r: (1.1 if r.share is None else r.share, r.code))


def regency(engine: Engine, settings: Settings, start: datetime, end: datetime) -> Regency:
    span = Period.before(start, end)
    overall, by_district, by_line = callcenter_stats.responses_in(engine, span)
    rows = cameras.cameras(engine, settings)
    cams, links = cameras.uptime_between(engine, rows, start, end)
    return Regency(
        start=start,
        end=end,
        calls=callcenter_stats.calls_in(engine, span),
        overall=overall,
        by_district=by_district,
        by_line=by_line,
        incidents=callcenter_stats.incidents_in(engine, span),
        league=league(engine, end),
        cameras=cams,
        links=links,
        probes=metrics_probes.uptime_between(engine, start, end),
        compliance=worst_first(compliance_rows(engine, settings, end, start)[0]),
        services=services(engine, settings, end),
        alerts=alert_figures(alerts.raised_between(engine, start, end)),
    )


def unit(engine: Engine, settings: Settings, code: str, start: datetime, end: datetime) -> Unit:
    span = Period.before(start, end)
    counted = callcenter_complaints.per_unit(engine, end, code).get(code)
    rows = compliance_rows(engine, settings, end, start)[0]
    return Unit(
        code=code,
        start=start,
        end=end,
        services=[s for s in services(engine, settings, end) if s.metric.skpd == code],
        figures=metrics_days.figures_between(engine, code, start, end),
        compliance=next((r for r in rows if r.code == code), Compliance(code, 0, 0)),
        complaints_received=callcenter_stats.incidents_in(engine, span).complaints_by_unit.get(code, 0),
        complaints_open=counted.open if counted else 0,
        complaints_overdue=counted.overdue if counted else 0,
        probe=metrics_probes.uptime_between(engine, start, end).get(code),
        rejected=metrics_received.rejected_between(engine, start, end).get(code, 0),
        rejections=metrics_received.rejections_between(engine, code, start, end, limit=20),
        alerts=alert_figures(alerts.raised_between(engine, start, end, Audience(skpd=code))),
    )
