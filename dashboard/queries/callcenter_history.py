"""The history: closed incidents and complaints, searched by number, caller, district, category, unit
and date range, newest first, a page at a time.

With a year of the call center's work in storage every search must reach its
rows through an index, never by reading the year (tests/callcenter/
test_history_speed.py checks each one's SQLite plan over 100,000 incidents):
the number is the primary key; a caller ix_incidents_caller; a district or a
category their (column, received_at) index; a response unit
ix_incident_units_unit; an SKPD's complaints ix_incidents_skpd; a date range
alone the received_at index. Counting stops at COUNT_CAP: past it the page
says "more than 1,000" and asks for a narrower search, rather than count
the whole year for a number nobody pages through.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from scc.storage.callcenter import FINAL_STATUSES, Category, incident_events, incident_units, incidents

PAGE_SIZE = 25
COUNT_CAP = 1000
EXCHANGE_LIMIT = 200

COLUMNS = (
    *(incidents.c.id, incidents.c.line_code, incidents.c.district, incidents.c.village, incidents.c.landmark),
    *(incidents.c.caller_number, incidents.c.caller_name, incidents.c.category, incidents.c.priority),
    *(incidents.c.summary, incidents.c.status, incidents.c.received_at, incidents.c.dispatched_at),
    *(incidents.c.on_scene_at, incidents.c.resolved_at, incidents.c.closed_at, incidents.c.created_by),
    *(incidents.c.skpd_code, incidents.c.due_at, incidents.c.topic),
)


@dataclass(frozen=True)
class Search:
    """What to look for; None is any. Times are UTC; `until` is exclusive."""

    number: int | None = None
    caller: str | None = None  # the stored (E.164) form, callcenter.phone.normalise's
    district: str | None = None
    category: Category | None = None
    unit: str | None = None  # a response unit sent to it
    skpd: str | None = None  # the SKPD a complaint was routed to
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Found:
    rows: list[dict[str, Any]]  # each with "units": the response units sent, in the order sent
    total: int  # at most COUNT_CAP + 1
    page: int
    pages: int

    @property
    def capped(self) -> bool:
        """More than COUNT_CAP matched: only the first COUNT_CAP can be paged through."""
        return self.total > COUNT_CAP


def own_unit(search: Search, skpd_code: str) -> Search:
    """What SKPD staff may search: their own unit's complaints, whatever else the request names."""
    return replace(search, category="complaint", skpd=skpd_code, unit=None)


def _where(s: Search) -> list[Any]:
    c = incidents.c
    where: list[Any] = [c.status.in_(FINAL_STATUSES)]
    if s.number is not None:
        where.append(c.id == s.number)
    if s.caller is not None:
        where.append(c.caller_number == s.caller)
    if s.district is not None:
        where.append(c.district == s.district)
    if s.category is not None:
        where.append(c.category == s.category)
    if s.skpd is not None:
        where.append(c.skpd_code == s.skpd)
    if s.unit is not None:
        where.append(c.id.in_(select(incident_units.c.incident_id).where(incident_units.c.unit_code == s.unit)))
    if s.since is not None:
        where.append(c.received_at >= s.since)
    if s.until is not None:
        where.append(c.received_at < s.until)
    return where


def statements(s: Search, page: int = 0, size: int = PAGE_SIZE) -> tuple[Any, Any]:
    """(the capped count, one page of rows) as statements: what `search` runs, and the speed test plans."""
    where = _where(s)
    capped = select(incidents.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
    count = select(func.count()).select_from(capped)
    rows = (
        select(*COLUMNS)
        .where(*where)
        .order_by(incidents.c.received_at.desc(), incidents.c.id.desc())
        .limit(size)
        .offset(page * size)
    )
    return count, rows


def search(engine: Engine, s: Search, page: int = 0, size: int = PAGE_SIZE) -> Found:
    """One page of what `s` finds, newest first, with the units sent to each."""
    count, _ = statements(s)
    with engine.connect() as conn:
        total = int(conn.scalar(count) or 0)
        pages = max(1, -(-min(total, COUNT_CAP) // size))
        page = min(max(page, 0), pages - 1)
        _, query = statements(s, page, size)
        rows = [dict(r._mapping) for r in conn.execute(query)]
        sent = _units(conn, [r["id"] for r in rows])
    for r in rows:
        r["units"] = sent.get(r["id"], [])
    return Found(rows=rows, total=total, page=page, pages=pages)


def _units(conn: Any, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if ids:
        found = conn.execute(
            select(incident_units.c.incident_id, incident_units.c.unit_code)
            .where(incident_units.c.incident_id.in_(ids))
            .order_by(incident_units.c.assigned_at, incident_units.c.id)
        )
        for incident_id, unit in found:
            out.setdefault(incident_id, []).append(unit)
    return out


def exchanges(conn: Any, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each incident's timeline, oldest first (at most EXCHANGE_LIMIT events each)."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        events = conn.execute(
            select(
                *(incident_events.c.incident_id, incident_events.c.at, incident_events.c.kind),
                *(incident_events.c.status, incident_events.c.operator, incident_events.c.note),
                incident_events.c.unit_code,
            )
            .where(incident_events.c.incident_id.in_(ids))
            .order_by(incident_events.c.incident_id, incident_events.c.at, incident_events.c.id)
        )
        for e in events:
            kept = out[e.incident_id]
            if len(kept) < EXCHANGE_LIMIT:
                kept.append(dict(e._mapping))
    return out


def one(engine: Engine, incident_id: int, skpd_code: str | None = None) -> dict[str, Any] | None:
    """One closed incident with its "units" and "exchange", as the history shows it; only a complaint of
    `skpd_code` when one is given. None for anything the history does not hold for this reader."""
    wanted = Search(number=incident_id)
    where = _where(own_unit(wanted, skpd_code) if skpd_code is not None else wanted)
    with engine.connect() as conn:
        row = conn.execute(select(*COLUMNS).where(*where)).first()
        if row is None:
            return None
        return {
            **row._mapping,
            "units": _units(conn, [incident_id]).get(incident_id, []),
            "exchange": exchanges(conn, [incident_id])[incident_id],
        }
