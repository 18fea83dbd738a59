"""The service probes' reads (dashboard.queries.metrics_probes), on SQLite and PostgreSQL, over what the
probes process stores (streams.metrics.probes.store): uptime per window counts only the checks inside it,
a unit's history comes newest first and bounded, and with three months of checks and a year of hours
behind them no read takes a table whole."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from dashboard.queries import metrics_probes as q
from scc import housekeeping
from scc.clock import as_utc
from scc.storage.metrics import service_probe_hours, service_probes
from streams.metrics.probes import Probe, store
from tests.support.plans import selects_during, whole_reads

NOW = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # "24 h" is then the 24 hours from 05:00 yesterday
STEP = timedelta(minutes=30)


def checks(unit: str, count: int, down_when=lambda k: False) -> list[Probe]:
    """`count` checks of `unit`, every half hour back from NOW (k=0 is NOW itself)."""
    return [
        Probe(unit, NOW - k * STEP, not down_when(k), None if down_when(k) else 200, 120,
              error="no answer within 10 s" if down_when(k) else None)
        for k in range(count)
    ]  # fmt: skip


def test_uptime_counts_each_window_and_history_is_newest_first(engine):
    rows = checks("dinsos", 40 * 48, down_when=lambda k: k < 24)  # down for the last 12 hours, 40 days kept
    rows += checks("bpkd", 48, down_when=lambda k: k % 4 == 0)  # a day's checks only, one in four down
    for first in range(0, len(rows), 38):  # in rounds, as the process stores them: an hour is counted twice
        store(engine, rows[first : first + 38])
    store(engine, [Probe("bpkd", NOW + 2 * STEP, False)])  # after `now`: not counted
    grid = q.uptime_by_unit(engine, NOW)
    assert set(grid) == {"dinsos", "bpkd"}
    # The check exactly 24 h back is in 04:00 yesterday, an hour before the day's window.
    assert grid["dinsos"]["24h"] == q.Uptime(checks=48, up=24)
    assert grid["dinsos"]["7d"] == q.Uptime(checks=7 * 48, up=7 * 48 - 24)
    assert grid["dinsos"]["30d"] == q.Uptime(checks=30 * 48, up=30 * 48 - 24)
    assert grid["bpkd"]["24h"].share == 0.75 and grid["bpkd"]["30d"] == q.Uptime(48, 36)
    assert q.uptime_of(engine, "bpkd", NOW) == grid["bpkd"]
    assert q.uptime_of(engine, "dukcapil", NOW)["7d"] == q.Uptime(0, 0) and q.Uptime(0, 0).share is None
    recent = q.history(engine, "dinsos", NOW, limit=30)
    assert [c.at for c in recent] == [NOW - k * STEP for k in range(30)]
    assert not recent[0].ok and recent[0].error == "no answer within 10 s" and recent[24].ok
    older = q.history(engine, "dinsos", recent[-1].at - STEP, limit=5)
    assert older[0].at == NOW - 30 * STEP


def test_the_reads_stay_on_their_indexes_with_three_months_behind(engine):
    units = [f"unit-{n}" for n in range(38)]
    for unit in units:
        store(engine, checks(unit, 90 * 48, down_when=lambda k: k % 7 == 0))
    # Past the checks' three months, their hours stay (retention: two years); a year of them here.
    start = NOW.replace(minute=0) - timedelta(days=90)
    older = [
        dict(skpd_code=unit, hour=start - k * timedelta(hours=1), checks=12, up=11)
        for unit in units
        for k in range(1, 275 * 24)
    ]
    with engine.begin() as conn:
        for first in range(0, len(older), 50_000):
            conn.execute(insert(service_probe_hours), older[first : first + 50_000])
    seen = selects_during(
        engine,
        lambda: (
            q.uptime_by_unit(engine, NOW - timedelta(days=1)),
            q.uptime_of(engine, "unit-5", NOW),
            q.history(engine, "unit-5", NOW),
        ),
    )
    assert len(seen) == 3
    assert [step for _statement, step in whole_reads(engine, seen, ["service_probes", "service_probe_hours"])] == []


def test_housekeeping_lets_old_checks_go_and_keeps_their_hours_longer(engine, settings):
    """Checks go after three months, their hours after two years (config/retention.yaml), by housekeeping's
    own pass: uptime over a past year still reads, a unit's detailed history does not."""
    young, old, ancient = NOW - timedelta(days=10), NOW - timedelta(days=100), NOW - timedelta(days=800)
    store(engine, [Probe("dinsos", at, True, 200, 90) for at in (young, old, ancient)])
    removed: dict[str, int] = {}
    assert housekeeping.prune(engine, settings.retention, NOW, time.monotonic() + 30, removed)
    assert removed == {"service_probes": 2, "service_probe_hours": 1}
    with engine.connect() as conn:
        assert [as_utc(at) for at in conn.scalars(select(service_probes.c.at))] == [young]
        hours = {as_utc(h) for h in conn.scalars(select(service_probe_hours.c.hour))}
    assert hours == {young.replace(minute=0), old.replace(minute=0)}
