"""The regency's day and year begin at midnight WITA, which is 16.00 UTC the day before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scc.clock import WITA, wita_day_start, wita_year_start

# 24 November 2026 begins in Soppeng at 23 November 16.00 UTC.
MIDNIGHT = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (datetime(2026, 11, 24, 0, 0, tzinfo=WITA), MIDNIGHT),  # the first instant of the day is its own start
        (datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=WITA), MIDNIGHT - timedelta(days=1)),
        (datetime(2026, 11, 24, 23, 59, 59, tzinfo=WITA), MIDNIGHT),
        (datetime(2026, 11, 23, 16, 0, tzinfo=UTC), MIDNIGHT),
        (datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC), MIDNIGHT - timedelta(days=1)),
        (datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC), MIDNIGHT),
        (datetime(2026, 11, 24, 3, 0, tzinfo=UTC), MIDNIGHT),  # the same UTC date, later: still the 24th WITA
        (datetime(2026, 11, 23, 16, 0), MIDNIGHT),  # naive, as SQLite gives it back: UTC
    ],
)
def test_the_day_begins_at_midnight_wita(moment, start):
    got = wita_day_start(moment)
    assert got == start and got.tzinfo is UTC


def test_every_moment_of_a_day_has_that_day_start():
    for minutes in range(0, 24 * 60, 7):
        moment = MIDNIGHT + timedelta(minutes=minutes, seconds=59)
        assert wita_day_start(moment) == MIDNIGHT
        assert wita_day_start(moment).astimezone(WITA).date() == moment.astimezone(WITA).date()


def test_the_year_begins_at_midnight_wita_on_new_years_day():
    new_year = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 1 January 2027, 00.00 WITA
    assert wita_year_start(new_year) == new_year
    assert wita_year_start(new_year - timedelta(seconds=1)) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert wita_year_start(datetime(2027, 6, 1, 12, 0, tzinfo=UTC)) == new_year
    assert wita_year_start(new_year).tzinfo is UTC
