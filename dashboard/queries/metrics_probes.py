"""The units' public services as the `probes` process found them: uptime over 24 hours, 7 and 30 days for
the grid and a unit's page, and a unit's checks newest first.

Uptime comes from the checks counted by hour (service_probe_hours): a window is its last hours, the
current one included, so "24 h" at 10:20 is from 11:00 yesterday. The grid's read is a range of
ix_service_probe_hours_hour, which holds all it needs; a unit's, of the primary key; a unit's history, of
ix_service_probes_unit, bounded. None grows with the months kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Label, RowMapping, case, func, select

from scc.clock import as_utc
from scc.storage.metrics import service_probe_hours as h
from scc.storage.metrics import service_probes as p

WINDOWS: dict[str, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
HISTORY_LIMIT = 200
HOUR = timedelta(hours=1)


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


def history(engine: Engine, skpd_code: str, until: datetime, limit: int = HISTORY_LIMIT) -> list[Check]:
    """A unit's checks up to `until`, newest first, at most `limit`: a page goes back by passing the
    oldest one's time."""
    query = (
        select(p.c.at, p.c.ok, p.c.status_code, p.c.latency_ms, p.c.tls_days_left, p.c.content_found, p.c.error)
        .where(p.c.skpd_code == skpd_code, p.c.at <= until)
        .order_by(p.c.at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Check(**{**row, "at": as_utc(row["at"])}) for row in conn.execute(query).mappings()]
