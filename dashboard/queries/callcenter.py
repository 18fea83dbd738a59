"""Call-center reads: the live board, one incident and its timeline, the units, today's calls.

The board is read every few seconds by every operator's screen and the wall,
with years of incidents in storage: it only ever touches the open incidents
(ix_incidents_status), the units out on them, and today's rows of call_log
(its `at` index). Nothing here scans history.

The board and the overview hold emergencies only: a public-service complaint
(a street light out, days to settle) has its own page and counts
(dashboard.queries.callcenter_complaints), so it neither fills the board nor turns its
figures red.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select

from callcenter import dispatch
from callcenter.dispatch import Suggestions
from scc.clock import utcnow, wita_day_start
from scc.settings import Settings
from scc.settings.callcenter import UNIT_KINDS, ResponseUnit
from scc.storage.callcenter import OPEN_STATUSES, call_log, incident_events, incident_units, incidents

BOARD_ROWS = 200  # every open incident of a busy day: the wall pages through them, a desk opens them all
EMERGENCY = incidents.c.category != "complaint"


@dataclass(frozen=True)
class Board:
    rows: list[dict[str, Any]]  # open emergencies, most urgent first, each with "units"
    open: int
    waiting: int  # received, nobody sent yet


@dataclass(frozen=True)
class UnitStatus:
    unit: ResponseUnit
    incident_id: int | None  # the incident it is out on; None when free

    @property
    def free(self) -> bool:
        return self.incident_id is None


def board(engine: Engine, now: datetime | None = None, limit: int = BOARD_ROWS) -> Board:
    """Open emergencies by priority then age, the units out on each, how many are open and how many wait."""
    now = now or utcnow()
    is_open = incidents.c.status.in_(OPEN_STATUSES) & EMERGENCY
    with engine.connect() as conn:
        total, waiting = _open_and_waiting(conn)
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(incidents)
                .where(is_open)
                .order_by(incidents.c.priority, incidents.c.received_at, incidents.c.id)
                .limit(limit)
            )
        ]
        out = _busy(conn)
    units: dict[int, list[str]] = {}
    for code, incident_id in out.items():
        units.setdefault(incident_id, []).append(code)
    for r in rows:
        r["units"] = sorted(units.get(r["id"], []))
    return Board(rows=rows, open=total, waiting=waiting)


def _open_and_waiting(conn: Any) -> tuple[int, int]:
    """Emergencies open, and those of them nobody has been sent to yet."""
    waits = case((incidents.c.status == "received", 1), else_=0)
    query = select(func.count(), func.coalesce(func.sum(waits), 0)).where(
        incidents.c.status.in_(OPEN_STATUSES), EMERGENCY
    )
    open_, waiting = conn.execute(query).one()
    return int(open_ or 0), int(waiting or 0)


def _busy(conn: Any) -> dict[str, int]:
    # A unit comes back when its incident leaves the open statuses (callcenter.lifecycle.advance), so
    # the busy ones are found through the open incidents: two indexed lookups, not a scan of every
    # assignment ever made.
    rows = conn.execute(
        select(incident_units.c.unit_code, incident_units.c.incident_id)
        .join(incidents, incidents.c.id == incident_units.c.incident_id)
        .where(incidents.c.status.in_(OPEN_STATUSES), incident_units.c.released_at.is_(None))
    )
    return {r.unit_code: r.incident_id for r in rows}


def units_status(engine: Engine, settings: Settings) -> list[UnitStatus]:
    """Every configured response unit, free or out on an incident, in the configured order."""
    with engine.connect() as conn:
        out = _busy(conn)
    return [UnitStatus(unit=u, incident_id=out.get(u.code)) for u in settings.response_units]


@dataclass(frozen=True)
class KindCount:
    kind: str
    free: int
    total: int


def by_kind(units: list[UnitStatus]) -> list[KindCount]:
    """How many of each kind of unit are free ("Ambulans 0/2"), for every kind the regency has.
    A total of free units would hide that every ambulance is out while the fire trucks wait."""
    return [
        KindCount(kind, sum(u.free for u in of_kind), len(of_kind))
        for kind in UNIT_KINDS
        if (of_kind := [u for u in units if u.unit.kind == kind])
    ]


def suggestions(engine: Engine, settings: Settings, row: dict[str, Any]) -> Suggestions:
    """The units to offer for an incident (callcenter.dispatch): its kinds, nearest and least used first."""
    return dispatch.suggest(engine, settings, row["category"], row.get("district"))


def today_by_line(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Calls since midnight WITA per line code (calls on no known line under "").

    Counted here from today's rows, read through the `at` index: asked to GROUP BY line in SQL, SQLite
    chose the line index and read every call of the year to count today's hundred."""
    since = wita_day_start(now or utcnow())
    with engine.connect() as conn:
        lines = conn.scalars(select(call_log.c.line_code).where(call_log.c.at >= since))
        return dict(Counter(code or "" for code in lines))


def incident(engine: Engine, incident_id: int) -> dict[str, Any] | None:
    """One incident with the units out on it now ("units": codes), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        if row is None:
            return None
        out = conn.execute(
            select(incident_units.c.unit_code)
            .where(incident_units.c.incident_id == incident_id, incident_units.c.released_at.is_(None))
            .order_by(incident_units.c.assigned_at)
        )
        return {**row._mapping, "units": [r.unit_code for r in out]}


def exists(engine: Engine, incident_id: int) -> bool:
    with engine.connect() as conn:
        return conn.scalar(select(incidents.c.id).where(incidents.c.id == incident_id)) is not None


def timeline(engine: Engine, incident_id: int) -> list[dict[str, Any]]:
    """The incident's events, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(incident_events)
            .where(incident_events.c.incident_id == incident_id)
            .order_by(incident_events.c.at, incident_events.c.id)
        )
        return [dict(r._mapping) for r in rows]


# -- the overview's figures ------------------------------------------------------------------


def recent_incidents(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The latest emergencies, newest first."""
    with engine.connect() as conn:
        newest = (incidents.c.received_at.desc(), incidents.c.id.desc())
        rows = conn.execute(select(incidents).where(EMERGENCY).order_by(*newest).limit(limit))
        return [dict(r._mapping) for r in rows]


def incident_counts(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Emergencies open, waiting for a unit, and received in the last 24 hours."""
    since = (now or utcnow()) - timedelta(hours=24)
    with engine.connect() as conn:
        open_, waiting = _open_and_waiting(conn)
        day = conn.scalar(select(func.count()).where(incidents.c.received_at >= since, EMERGENCY))
    return {"open": open_, "waiting": waiting, "last_24h": int(day or 0)}
