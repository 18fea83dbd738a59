"""Issue 19 §8: SKPD figures follow the working week and the holidays. Government offices in Soppeng
work Monday to Friday and close on national holidays; the hospital never closes.

Seen by a tester before: full attendance and permits issued on a Sunday. The days below are the
regency's (17 August is Independence Day, 25 December Christmas), not read back from the calendar file.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from scc.clock import WITA
from scc.settings import InvalidConfig, load_settings
from streams.metrics.sim.units import figure

MONDAY = datetime(2026, 11, 23, tzinfo=WITA)
SATURDAY, SUNDAY = datetime(2026, 11, 28, tzinfo=WITA), datetime(2026, 11, 29, tzinfo=WITA)
INDEPENDENCE_DAY = datetime(2026, 8, 17, tzinfo=WITA)  # a Monday
CHRISTMAS = datetime(2026, 12, 25, tzinfo=WITA)  # a Friday
OFFICE_WORK = ("laside_permits_received", "laside_permits_issued", "laside_records_uploaded",
               "dukcapil_ktp_el_printed", "dukcapil_queue_length", "sia_attendance_percent")  # fmt: skip
NEVER_CLOSED = ("rsud_igd_patients", "rsud_bed_occupancy_percent")


def day_of(settings, key: str, day: datetime) -> list[float]:
    """`key`'s readings every 20 minutes of `day`."""
    m, rng = next(m for m in settings.metrics if m.key == key), random.Random(2)
    return [figure(m, day + timedelta(minutes=20 * i), rng, settings.office_days) for i in range(72)]


@pytest.mark.parametrize("key", OFFICE_WORK)
def test_offices_do_nothing_on_weekends_and_holidays(settings, key):
    assert max(day_of(settings, key, MONDAY)) > 0, "a working Monday"
    for closed in (SATURDAY, SUNDAY, INDEPENDENCE_DAY, CHRISTMAS):
        assert set(day_of(settings, key, closed)) == {0}, closed.date()


@pytest.mark.parametrize("key", NEVER_CLOSED)
def test_the_hospital_works_every_day(settings, key):
    for day in (MONDAY, SUNDAY, INDEPENDENCE_DAY, CHRISTMAS):
        assert day_of(settings, key, day)[-1] > 0, day.date()


def test_attendance_is_a_working_days_figure(settings):
    monday = day_of(settings, "sia_attendance_percent", MONDAY)
    assert min(monday) > 80  # the day's attendance stands, also after hours


def test_the_calendar_is_checked_when_loaded(config_dir):
    path = config_dir / "office_days.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "  - {day: 2026-12-25, name: Natal lagi}\n", encoding="utf-8")
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir)
    assert "2026-12-25 is listed twice" in str(info.value), str(info.value)
    path.write_text(text.replace("always_open_units: [rsud]", "always_open_units: [rumah-sakit]"), encoding="utf-8")
    with pytest.raises(InvalidConfig) as info:
        load_settings(config_dir)
    found = str(info.value)
    assert "unknown SKPD 'rumah-sakit'" in found and "office_days.yaml" in found, found
