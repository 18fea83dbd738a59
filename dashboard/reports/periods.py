"""The reports' periods and schedule, in WITA (docs/design.md §3.10).

A daily report covers a WITA day, midnight to midnight, and is due at `reports.at` (07:00) the morning
after; a weekly one (the regency's and each unit's) covers Monday 00:00 to the next Monday 00:00 and is
due at `at` on that next Monday. WITA keeps no summer time, so a day is always 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from scc.clock import WITA, to_wita
from scc.storage.reports import ReportKind

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def start_of(day: date) -> datetime:
    """WITA midnight beginning `day`, in UTC."""
    return datetime.combine(day, time(0), WITA).astimezone(UTC)


def span(kind: ReportKind, first: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the report of `kind` beginning on `first` (a Monday for a week)."""
    if kind != "daily" and first.weekday() != 0:
        raise ValueError(f"a week begins on a Monday; {first.isoformat()} is not one")
    start = start_of(first)
    return start, start + (DAY if kind == "daily" else WEEK)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def due_at(kind: ReportKind, first: date, at: time) -> datetime:
    """When the report of `kind` beginning on `first` is made: at `at` WITA the morning after it ends."""
    last_day = first + (timedelta(days=0) if kind == "daily" else timedelta(days=6))
    return datetime.combine(last_day + timedelta(days=1), at, WITA).astimezone(UTC)


def next_daily(now: datetime, at: time) -> datetime:
    """The first daily run after `now` (UTC)."""
    today = to_wita(now).date()
    run = datetime.combine(today, at, WITA).astimezone(UTC)
    return run if run > now else datetime.combine(today + DAY, at, WITA).astimezone(UTC)


def next_weekly(now: datetime, at: time) -> datetime:
    """The first Monday run after `now` (UTC)."""
    monday = monday_of(to_wita(now).date())
    run = datetime.combine(monday, at, WITA).astimezone(UTC)
    return run if run > now else datetime.combine(monday + WEEK, at, WITA).astimezone(UTC)


def due(now: datetime, at: time, back_days: int) -> Iterator[tuple[ReportKind, date]]:
    """Every (kind, first day) of the regency's reports whose run has come by `now`, newest first, going
    back `back_days` days: what a machine that was off at its run time still owes (the units' weekly
    reports follow each weekly one)."""
    today = to_wita(now).date()
    oldest = today - timedelta(days=back_days)
    day = today - DAY
    while day >= oldest:
        if due_at("daily", day, at) <= now:
            yield "daily", day
        day -= DAY
    monday = monday_of(today) - WEEK
    while monday >= oldest:
        if due_at("weekly", monday, at) <= now:
            yield "weekly", monday
        monday -= WEEK
