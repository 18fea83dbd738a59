"""Complaints apart from emergencies: their own counts, a filtered and paged list, each one's exchange.

The list puts what needs someone first: open complaints, the most overdue at
the top (the earliest deadline), then those the unit settled and the command
center has still to close, then, when asked for, the closed ones, newest
first. The counts and the working list read only complaints not yet closed
(ix_incidents_status); the closed ones come from ix_incidents_category, so a
year of history costs the page nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import Engine, case, func, select

from scc.clock import as_utc, utcnow
from scc.storage.callcenter import CASE_STATE, FINAL_STATUSES, OPEN_STATUSES, incidents

from .callcenter_history import exchanges

# active: not closed yet (open or settled); open: the unit has not settled it; overdue: open past its
# deadline; resolved: settled by the unit, waiting for the command center to close; closed: over.
State = Literal["active", "open", "overdue", "resolved", "closed"]
STATES: tuple[State, ...] = get_args(State)
# How long ago it was received, at least.
Age = Literal["any", "1d", "3d", "7d"]
AGES: tuple[Age, ...] = get_args(Age)
AGE_DAYS: dict[Age, int] = {"any": 0, "1d": 1, "3d": 3, "7d": 7}
PAGE_SIZE = 20

COLUMNS = (
    *(incidents.c.id, incidents.c.skpd_code, incidents.c.topic, incidents.c.summary, incidents.c.district),
    *(incidents.c.village, incidents.c.landmark, incidents.c.caller_name, incidents.c.caller_number),
    *(incidents.c.status, incidents.c.priority, incidents.c.received_at, incidents.c.due_at),
    *(incidents.c.resolved_at, incidents.c.closed_at, incidents.c.version, incidents.c.line_code),
)
ACTIVE = (*OPEN_STATUSES, "resolved")


@dataclass(frozen=True)
class Filters:
    """What the operator narrowed the list to; None is any."""

    skpd: str | None = None
    district: str | None = None
    state: State = "active"
    age: Age = "any"


@dataclass(frozen=True)
class Counts:
    open: int = 0
    overdue: int = 0
    resolved: int = 0  # settled by the unit, not yet closed


@dataclass(frozen=True)
class Listing:
    rows: list[dict[str, Any]]  # this page's complaints, each with "overdue"
    total: int
    page: int  # from 0, within the pages there are
    pages: int


def overdue(row: dict[str, Any], now: datetime | None = None) -> bool:
    due = row.get("due_at")
    return row.get("status") in OPEN_STATUSES and due is not None and as_utc(due) < as_utc(now or utcnow())


def counts(engine: Engine, skpd_code: str | None = None, now: datetime | None = None) -> Counts:
    """Open, overdue and settled-not-closed complaints (of one unit, when given)."""
    return per_unit(engine, now, skpd_code).get(skpd_code, Counts()) if skpd_code else _total(engine, now)


def _total(engine: Engine, now: datetime | None) -> Counts:
    units = per_unit(engine, now)
    return Counts(
        open=sum(c.open for c in units.values()),
        overdue=sum(c.overdue for c in units.values()),
        resolved=sum(c.resolved for c in units.values()),
    )


def per_unit(engine: Engine, now: datetime | None = None, skpd_code: str | None = None) -> dict[str | None, Counts]:
    """The counts per SKPD code, for the units with any complaint not closed yet.

    Only the status is in the WHERE, so the status index finds the few cases not closed yet; with the
    category there too, SQLite preferred the category index and read every complaint ever received."""
    now = now or utcnow()
    complaint = incidents.c.category == "complaint"
    is_open = complaint & incidents.c.status.in_(OPEN_STATUSES)
    query = (
        select(
            incidents.c.skpd_code,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((is_open & (incidents.c.due_at < now), 1), else_=0)),
            func.sum(case((complaint & (incidents.c.status == "resolved"), 1), else_=0)),
        )
        .where(incidents.c.status.in_(ACTIVE))
        .group_by(incidents.c.skpd_code)
    )
    if skpd_code is not None:
        query = query.where(incidents.c.skpd_code == skpd_code)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    counts = {code: Counts(int(o or 0), int(late or 0), int(done or 0)) for code, o, late, done in rows}
    return {code: c for code, c in counts.items() if code is not None and (c.open or c.resolved)}


def _where(filters: Filters, now: datetime, *, counting: bool = False) -> list[Any]:
    """The complaints `filters` allow. `counting`: kind and state as one value (CASE_STATE), which the
    count reads from its own index rather than every complaint of the years from the table."""
    state = filters.state
    if state == "active":
        statuses: tuple[str, ...] = ACTIVE
    elif state in ("open", "overdue"):
        statuses = tuple(OPEN_STATUSES)
    elif state == "resolved":
        statuses = ("resolved",)
    else:
        statuses = tuple(FINAL_STATUSES)
    if counting:
        where: list[Any] = [CASE_STATE.in_([f"complaint:{s}" for s in statuses])]
    else:
        where = [incidents.c.category == "complaint", incidents.c.status.in_(statuses)]
    if state == "overdue":
        where.append(incidents.c.due_at < now)
    if filters.skpd:
        where.append(incidents.c.skpd_code == filters.skpd)
    if filters.district:
        where.append(incidents.c.district == filters.district)
    days = AGE_DAYS[filters.age]
    if days:
        where.append(incidents.c.received_at <= now - timedelta(days=days))
    return where


def _order(state: State) -> list[Any]:
    if state == "closed":
        return [incidents.c.received_at.desc(), incidents.c.id.desc()]
    # Open before settled; among the open the earliest deadline (the most overdue) first; the settled
    # in the order they were settled, so none waits at the bottom for ever.
    waiting = case((incidents.c.status.in_(OPEN_STATUSES), 0), else_=1)
    when = case((incidents.c.status.in_(OPEN_STATUSES), incidents.c.due_at), else_=incidents.c.resolved_at)
    return [waiting, when, incidents.c.id]


def statements(filters: Filters, now: datetime, page: int = 0, size: int = PAGE_SIZE) -> tuple[Any, Any]:
    """(the count, one page of rows) as statements: what `listing` runs, and the speed test plans."""
    count = select(func.count()).select_from(incidents).where(*_where(filters, now, counting=True))
    rows = (
        select(*COLUMNS).where(*_where(filters, now)).order_by(*_order(filters.state)).limit(size).offset(page * size)
    )
    return count, rows


def listing(
    engine: Engine, filters: Filters, page: int = 0, size: int = PAGE_SIZE, now: datetime | None = None
) -> Listing:
    """One page of the complaints `filters` allow, in working order."""
    now = now or utcnow()
    count, _ = statements(filters, now)
    with engine.connect() as conn:
        total = int(conn.scalar(count) or 0)
        pages = max(1, -(-total // size))
        page = min(max(page, 0), pages - 1)
        found = conn.execute(statements(filters, now, page, size)[1]).all()
    rows = [dict(r._mapping) for r in found]
    for r in rows:
        r["overdue"] = overdue(r, now)
    return Listing(rows=rows, total=total, page=page, pages=pages)


def exchange(engine: Engine, incident_id: int, skpd_code: str | None = None) -> list[dict[str, Any]]:
    """One complaint's timeline, oldest first; nothing when it is not a complaint (of `skpd_code`)."""
    owner = [incidents.c.skpd_code == skpd_code] if skpd_code is not None else []
    with engine.connect() as conn:
        found = conn.scalar(
            select(incidents.c.id).where(incidents.c.id == incident_id, incidents.c.category == "complaint", *owner)
        )
        return exchanges(conn, [incident_id])[incident_id] if found is not None else []


def settlement_note(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The unit's word on what it did: the note of the latest step to "resolved"."""
    settled = [e for e in events if e["kind"] == "status" and e["status"] == "resolved" and e["note"]]
    return settled[-1] if settled else None


def one(
    engine: Engine, incident_id: int, skpd_code: str | None = None, now: datetime | None = None
) -> dict[str, Any] | None:
    """One complaint (routed to `skpd_code`, when given) with "overdue" and "exchange"; None for anything else."""
    owner = [incidents.c.skpd_code == skpd_code] if skpd_code is not None else []
    with engine.connect() as conn:
        row = conn.execute(
            select(*COLUMNS).where(incidents.c.id == incident_id, incidents.c.category == "complaint", *owner)
        ).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["exchange"] = exchanges(conn, [incident_id])[incident_id]
    out["overdue"] = overdue(out, now)
    return out
