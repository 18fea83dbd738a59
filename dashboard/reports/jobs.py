"""The `reports` process's work on the reports table: the schedule's rows, the next request, its end, and
retention (reports.keep_days), each a short transaction."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from scc.clock import as_utc, to_wita, utcnow
from scc.settings import Settings
from scc.storage.reports import ReportKind, reports

from . import periods


def folder(settings: Settings) -> Path:
    """Where the reports' folders are: reports.dir, in the data directory when relative."""
    return settings.data_dir / settings.app.reports.dir


def report_folder(settings: Settings, report_id: int) -> Path:
    return folder(settings) / str(report_id)


@dataclass(frozen=True)
class Job:
    id: int
    kind: ReportKind
    skpd_code: str
    first: date  # the period's first WITA day


def schedule(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Add a request for every scheduled report due by `now` within catch_up_days that has no row yet (a
    machine off at 07:00 catches up when it starts); the units' weekly reports with each weekly one.
    Returns how many were added."""
    config = settings.app.reports
    now = as_utc(now or utcnow())
    wanted: list[tuple[ReportKind, date, str]] = []
    for kind, first in periods.due(now, config.time_of_day, config.catch_up_days):
        wanted.append((kind, first, ""))
        if kind == "weekly":
            wanted += [("unit", first, u.code) for u in settings.skpd]
    added = 0
    c = reports.c
    oldest = min((periods.span(k, f)[0] for k, f, _ in wanted), default=None)
    if oldest is None:
        return 0
    with engine.connect() as conn:
        have = {
            (kind, as_utc(start), code)
            for kind, start, code in conn.execute(
                select(c.kind, c.period_start, c.skpd_code).where(c.period_start >= oldest)
            )
        }
    for kind, first, code in wanted:
        start, end = periods.span(kind, first)
        if (kind, start, code) in have:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(
                    reports.insert().values(
                        kind=kind, skpd_code=code, period_start=start, period_end=end, status="requested",
                        requested_at=now, requested_by=None, files=[],
                    )
                )  # fmt: skip
            added += 1
        except IntegrityError:  # someone asked for it on the page meanwhile
            pass
    return added


def claim(engine: Engine) -> Job | None:
    """The oldest request, now `making`; None when nothing waits. One process makes reports, so no two
    claim at once; a report left `making` by a process killed midway is claimed again (`recover`)."""
    c = reports.c
    with engine.begin() as conn:
        found = conn.execute(
            select(c.id, c.kind, c.skpd_code, c.period_start)
            .where(c.status == "requested")
            .order_by(c.requested_by.is_(None), c.requested_at, c.id)  # a person waiting goes first
            .limit(1)
        ).first()
        if found is None:
            return None
        conn.execute(update(reports).where(c.id == found.id).values(status="making"))
    return Job(int(found.id), found.kind, found.skpd_code or "", to_wita(as_utc(found.period_start)).date())


def recover(engine: Engine) -> int:
    """At start: reports left `making` by a process that stopped are asked for again."""
    with engine.begin() as conn:
        return conn.execute(update(reports).where(reports.c.status == "making").values(status="requested")).rowcount


def finish(engine: Engine, job: Job, files: list[Path], seconds: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(reports)
            .where(reports.c.id == job.id)
            .values(status="ready", made_at=utcnow(), seconds=seconds, files=[p.name for p in files], error=None)
        )


def fail(engine: Engine, job: Job, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(reports).where(reports.c.id == job.id).values(status="failed", made_at=utcnow(), error=error[:500])
        )


def prune(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Delete the reports whose period ended more than keep_days ago, the files first, then the row (a
    crash between the two leaves a row without files, which the next pass deletes; never files without
    a row)."""
    cutoff = as_utc(now or utcnow()) - timedelta(days=settings.app.reports.keep_days)
    with engine.connect() as conn:
        old = [int(i) for i in conn.execute(select(reports.c.id).where(reports.c.period_end < cutoff)).scalars()]
    for report_id in old:
        shutil.rmtree(report_folder(settings, report_id), ignore_errors=True)
        with engine.begin() as conn:
            conn.execute(delete(reports).where(reports.c.id == report_id))
    return len(old)
