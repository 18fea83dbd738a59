"""The regency's clock: everything is stored in UTC and shown in WITA.

Storage keeps timezone-aware UTC so that SQLite and PostgreSQL agree and a
change of server timezone cannot shift history; people only ever see WITA.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

WITA = ZoneInfo("Asia/Makassar")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Normalise a datetime read back from storage.

    SQLite returns naive datetimes; everything we write is UTC, so a naive
    value is UTC by construction.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def to_wita(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(WITA)
