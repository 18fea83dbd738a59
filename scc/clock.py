"""The regency's clock: everything is stored in UTC and shown in WITA.

Storage keeps timezone-aware UTC so that SQLite and PostgreSQL agree and a
change of server timezone cannot shift history; people only ever see WITA.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

WITA = ZoneInfo("Asia/Makassar")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Normalise a datetime read back from storage.

    SQLite returns naive datetimes; everything we write is UTC, so a naive
    value is UTC by construction.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_wita(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(WITA)


def wita_day_start(moment: datetime) -> datetime:
    """The midnight WITA that begins `moment`'s day in Soppeng, in UTC (16.00 UTC the day before).

    "Today" in every count and chart is the regency's day: a call at 23.30 WITA belongs to the day
    it was taken, though in UTC it is 15.30 and the next call at 00.10 WITA is already tomorrow.
    """
    return to_wita(moment).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def wita_year_start(moment: datetime) -> datetime:
    """The midnight WITA of 1 January that begins `moment`'s year in Soppeng, in UTC."""
    return to_wita(moment).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
