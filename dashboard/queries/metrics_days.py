"""A unit's figures over a span of whole WITA days, from the daily roll-ups housekeeping keeps (metric_daily):
what the year charts read, summed over the span for the units' weekly reports.

One read of the unit's rows of the span (its primary key's range: 7 days of a unit are a few dozen rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from scc.clock import as_utc
from scc.storage.metrics import metric_daily


@dataclass(frozen=True)
class SpanFigure:
    """One metric of a unit over the span: the days it reported on, the mean of every reading, the lowest and
    highest reading, and the newest reading with its time."""

    key: str
    days: int
    readings: int
    mean: float
    low: float
    high: float
    last: float
    last_ts: datetime


def figures_between(engine: Engine, code: str, since: datetime, until: datetime) -> dict[str, SpanFigure]:
    """Each metric `code` reported on the WITA days in [since, until), by key; a metric with no reading then
    is absent."""
    d = metric_daily.c
    query = select(d.metric_key, d.n, d.total, d.low, d.high, d.last_value, d.last_ts).where(
        d.skpd_code == code, d.day >= since, d.day < until
    )
    by_key: dict[str, list[tuple[int, float, float, float, float, datetime]]] = {}
    with engine.connect() as conn:
        for key, n, total, low, high, last, last_ts in conn.execute(query):
            by_key.setdefault(key, []).append(
                (int(n), float(total), float(low), float(high), float(last), as_utc(last_ts))
            )
    out = {}
    for key, days in by_key.items():
        readings = sum(day[0] for day in days)
        newest = max(days, key=lambda day: day[5])
        out[key] = SpanFigure(
            key=key,
            days=len(days),
            readings=readings,
            mean=sum(day[1] for day in days) / readings if readings else 0.0,
            low=min(day[2] for day in days),
            high=max(day[3] for day in days),
            last=newest[4],
            last_ts=newest[5],
        )
    return out
