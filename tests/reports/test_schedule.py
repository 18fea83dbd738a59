"""When reports are due (WITA), the catch-up after the machine was off, and retention with the files."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from dashboard.reports import jobs, periods
from scc.settings.reports import ReportsConfig
from scc.storage.reports import reports

SEVEN = time(7, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "daily", "weekly"),
    [
        # Sunday 06.59 WITA (22.59 UTC Saturday): the daily a minute away, the weekly tomorrow.
        (utc(2026, 11, 28, 22, 59), utc(2026, 11, 28, 23, 0), utc(2026, 11, 29, 23, 0)),
        # Sunday 07.00 WITA exactly: that run is under way; the next is Monday's, daily and weekly at once.
        (utc(2026, 11, 28, 23, 0), utc(2026, 11, 29, 23, 0), utc(2026, 11, 29, 23, 0)),
        # Sunday 23.30 WITA (15.30 UTC), across WITA's midnight but not UTC's.
        (utc(2026, 11, 29, 15, 30), utc(2026, 11, 29, 23, 0), utc(2026, 11, 29, 23, 0)),
        # Monday 00.30 WITA (16.30 UTC Sunday): still Monday 07.00 for both.
        (utc(2026, 11, 29, 16, 30), utc(2026, 11, 29, 23, 0), utc(2026, 11, 29, 23, 0)),
        # Monday 07.01 WITA: the daily tomorrow, the weekly a week on.
        (utc(2026, 11, 29, 23, 1), utc(2026, 11, 30, 23, 0), utc(2026, 12, 6, 23, 0)),
    ],
)
def test_next_runs_are_at_seven_wita(now, daily, weekly):
    assert periods.next_daily(now, SEVEN) == daily
    assert periods.next_weekly(now, SEVEN) == weekly


def test_a_days_and_a_weeks_span_are_wita_midnights():
    assert periods.span("daily", date(2026, 11, 24)) == (utc(2026, 11, 23, 16), utc(2026, 11, 24, 16))
    assert periods.span("weekly", date(2026, 11, 23)) == (utc(2026, 11, 22, 16), utc(2026, 11, 29, 16))
    with pytest.raises(ValueError, match="Monday"):
        periods.span("unit", date(2026, 11, 24))


def test_the_time_is_written_in_quotes_and_catch_up_is_within_retention():
    with pytest.raises(ValidationError, match="quotes"):
        ReportsConfig(at=420)  # type: ignore[arg-type]  # YAML's reading of an unquoted 07:00
    with pytest.raises(ValidationError, match="catch_up_days"):
        ReportsConfig(keep_days=10, catch_up_days=10)


def count(engine, **where) -> int:
    query = select(func.count()).select_from(reports)
    for key, value in where.items():
        query = query.where(reports.c[key] == value)
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def test_a_machine_off_at_seven_catches_up_at_start(engine, settings):
    units = len(settings.skpd)
    # A new machine first started on Tuesday 1 December 09.00 WITA: the daily reports of the 14 days before
    # (catch_up_days), 17 to 30 November, and the weekly ones (the regency's and each unit's) of the week of
    # 23 November; that of 16 November began before the 14 days. Nothing of today, which is not over.
    now = utc(2026, 12, 1, 1, 0)
    added = jobs.schedule(engine, settings, now)
    assert added == 14 + 1 + units
    assert count(engine, kind="daily") == 14 and count(engine, kind="weekly") == 1
    assert count(engine, kind="unit", skpd_code="dpmptsp") == 1
    first_daily = periods.span("daily", date(2026, 11, 30))[0]
    assert count(engine, kind="daily", period_start=first_daily) == 1  # yesterday's
    assert count(engine, kind="daily", period_start=first_daily + timedelta(days=1)) == 0  # today: not over
    # Started again an hour later: nothing new is owed, nothing is asked for twice.
    assert jobs.schedule(engine, settings, now + timedelta(hours=1)) == 0
    # The next morning at 07.00 WITA: that day's report only.
    assert jobs.schedule(engine, settings, utc(2026, 12, 1, 23, 0)) == 1


def test_a_report_is_claimed_made_and_past_retention_deleted_with_its_files(engine, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "folder", lambda _settings: tmp_path / "reports")
    now = utc(2026, 11, 25, 0, 0)  # Wednesday 08.00 WITA
    jobs.schedule(engine, settings, now)
    job = jobs.claim(engine)
    assert job is not None and job.kind == "daily" and job.first == date(2026, 11, 24)  # the newest day first
    from dashboard.reports.__main__ import run

    run(engine, settings, job)
    with engine.connect() as conn:
        made = conn.execute(select(reports).where(reports.c.id == job.id)).one()
    assert made.status == "ready" and sorted(Path(f).suffix for f in made.files) == [".csv", ".pdf"]
    folder = tmp_path / "reports" / str(job.id)
    assert sorted(p.name for p in folder.iterdir()) == sorted(made.files)
    keep = timedelta(days=settings.app.reports.keep_days)
    ended = periods.span("daily", job.first)[1]
    jobs.prune(engine, settings, ended + keep - timedelta(hours=1))
    assert count(engine, id=job.id) == 1 and folder.is_dir()  # not yet
    jobs.prune(engine, settings, ended + keep + timedelta(hours=1))
    assert count(engine, id=job.id) == 0
    assert not folder.exists()


def test_a_report_cut_short_by_a_stop_is_made_again(engine, settings):
    jobs.schedule(engine, settings, utc(2026, 11, 25, 0, 0))
    job = jobs.claim(engine)
    assert job is not None and count(engine, status="making") == 1
    assert jobs.recover(engine) == 1
    again = jobs.claim(engine)
    assert again is not None and again.id == job.id
