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
