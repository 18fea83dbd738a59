"""Stored times grouped by the database: the same hour and bucket on SQLite and PostgreSQL, to the last
microsecond of an hour or a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from dashboard.queries import sql_time
from scc.storage.callcenter import call_log

# 23.59.59.999700 WITA on 6 December 2026, and the midnight that follows it
LAST_INSTANT = datetime(2026, 12, 6, 15, 59, 59, 999700, tzinfo=UTC)
MIDNIGHT_WITA = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "hour", "day_start"),
    [
        (LAST_INSTANT, 23, MIDNIGHT_WITA - timedelta(days=1)),
        (MIDNIGHT_WITA, 0, MIDNIGHT_WITA),
        (MIDNIGHT_WITA + timedelta(hours=9, microseconds=1), 9, MIDNIGHT_WITA),
        (MIDNIGHT_WITA - timedelta(hours=15, microseconds=1), 8, MIDNIGHT_WITA - timedelta(days=1)),
    ],
)
def test_a_time_falls_in_its_own_wita_hour_and_day(engine, at, hour, day_start):
    with engine.begin() as conn:
        conn.execute(insert(call_log), [dict(at=at, line_code="psc-119", outcome="answered", source="csv", digest="t")])
        found = conn.execute(
            select(sql_time.wita_hour(conn, call_log.c.at), sql_time.wita_bucket(conn, call_log.c.at, 86400))
        ).one()
    assert (found[0], int(found[1])) == (hour, int(day_start.timestamp()))
