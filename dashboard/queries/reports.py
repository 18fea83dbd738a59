"""The Reports page's reads, and its one write: asking the `reports` process for a report.

A request is a row (scc.storage.reports) the process picks up; the page never makes a PDF itself, so a
web worker never spends seconds on one. SKPD staff see their own unit's reports only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from scc import audit
from scc.clock import as_utc, utcnow
from scc.storage.reports import ReportKind, ReportStatus, reports

LIST_LIMIT = 200


@dataclass(frozen=True)
class ReportRow:
    id: int
    kind: ReportKind
    skpd_code: str  # '' for the regency's
    period_start: datetime
    period_end: datetime
    status: ReportStatus
    requested_at: datetime
    requested_by: str | None  # None: the schedule
    made_at: datetime | None
    files: list[str]
    error: str | None


def _row(r: object) -> ReportRow:
    m = r._mapping  # type: ignore[attr-defined]
    return ReportRow(
        id=int(m["id"]),
        kind=m["kind"],
        skpd_code=m["skpd_code"] or "",
        period_start=as_utc(m["period_start"]),
        period_end=as_utc(m["period_end"]),
        status=m["status"],
        requested_at=as_utc(m["requested_at"]),
        requested_by=m["requested_by"],
        made_at=as_utc(m["made_at"]) if m["made_at"] else None,
        files=list(m["files"] or []),
        error=m["error"],
    )


def listing(engine: Engine, skpd_code: str = "", limit: int = LIST_LIMIT) -> list[ReportRow]:
    """The newest reports by period: the regency's daily and weekly ones (`skpd_code` ''), or one unit's
    weekly ones."""
    c = reports.c
    query = select(reports).where(c.skpd_code == skpd_code).order_by(c.period_start.desc(), c.kind).limit(limit)
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def one(engine: Engine, report_id: int) -> ReportRow | None:
    with engine.connect() as conn:
        found = conn.execute(select(reports).where(reports.c.id == report_id)).first()
    return _row(found) if found is not None else None


Asked = Literal["queued", "exists"]


def ask(
    engine: Engine,
    kind: ReportKind,
    first: date,
    start: datetime,
    end: datetime,
    username: str,
    skpd_code: str = "",
    remote_addr: str | None = None,
) -> tuple[Asked, int]:
    """Ask for the report of `kind` over [start, end) (`first` its first day, for the audit): a new request,
    a failed one asked again, or the one already there. Audited."""
    c = reports.c
    key = (c.kind == kind, c.skpd_code == skpd_code, c.period_start == start)
    now = utcnow()
    try:
        with engine.begin() as conn:
            found = conn.execute(select(c.id, c.status).where(*key)).first()
            if found is not None and found.status != "failed":
                return "exists", int(found.id)
            values = dict(status="requested", requested_at=now, requested_by=username, error=None)
            if found is None:
                values |= dict(kind=kind, skpd_code=skpd_code, period_start=start, period_end=end, files=[])
                report_id = int(conn.execute(reports.insert().values(**values).returning(c.id)).scalar_one())
            else:
                report_id = int(found.id)
                conn.execute(reports.update().where(c.id == report_id).values(**values))
            detail = {"kind": kind, "first": first.isoformat(), "skpd": skpd_code}
            audit.record(conn, username, "report.request", str(report_id), detail, remote_addr)
    except IntegrityError:  # asked at the same moment by someone else, or made by the schedule
        with engine.connect() as conn:
            return "exists", int(conn.execute(select(c.id).where(*key)).scalar_one())
    return "queued", report_id


def record_download(engine: Engine, username: str, report_id: int, name: str, remote_addr: str | None) -> None:
    with engine.begin() as conn:
        audit.record(conn, username, "report.download", f"{report_id}/{name}", None, remote_addr)
