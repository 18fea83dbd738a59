"""The demo's crashes: within minutes of a start, several people hurt at once call PSC 119, the two
ambulances go, and a call waits past its dispatch target, which the shipped `call-not-dispatched` rule
raises. After that, crashes are rare and come at random, within PSC 119's daily count."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callcenter.sim import callmix, live
from callcenter.sim.live import CallSimulator
from scc.alerts import evaluator
from scc.alerts.queries import in_sight
from scc.storage.callcenter import incidents

from .conftest import Clock, services_on

START = datetime(2026, 6, 7, 17, 0, tzinfo=UTC)  # 01:00 WITA: a quiet night, next to no calls of their own


@pytest.fixture
def clock(monkeypatch):
    return services_on(Clock(START), monkeypatch)


def test_a_crash_soon_after_the_start_leaves_a_call_waiting_and_the_alert_fires(engine, settings, clock):
    sim = CallSimulator(engine, settings, seed=5, clock=clock, crashes=True)  # the demo's own speed and pace
    fired_at = None
    while clock.at < START + timedelta(minutes=15) and fired_at is None:
        clock.at += timedelta(seconds=5)
        sim.step()
        evaluator.evaluate(engine, settings, clock.at)
        waiting = [a for a in in_sight(engine) if a.rule == "call-not-dispatched"]
        fired_at = waiting[0].fired_at if waiting else None
    with engine.connect() as conn:
        hurt = conn.execute(select(incidents).where(incidents.c.summary == live.CRASH_SUMMARY)).all()
    assert len(hurt) >= min(live.CRASH_CALLS), sim.counts
    assert {(r.priority, r.category, r.line_code) for r in hurt} == {(1, "medical", live.CRASH_LINE)}
    assert len({r.district for r in hurt}) == 1 and len({r.caller_number for r in hurt}) == len(hurt)
    assert fired_at is not None, f"no call waited past its target: {sim.counts}, {[r.status for r in hurt]}"
    first_call = min(r.received_at for r in hurt).replace(tzinfo=UTC)
    assert first_call - START <= timedelta(minutes=max(live.FIRST_CRASH_MIN)) + timedelta(seconds=10)
    assert fired_at - first_call <= timedelta(minutes=10)


def test_crashes_come_at_random_rarely_and_inside_the_lines_daily_count(engine, settings):
    firsts, gaps = [], []
    for seed in range(40):
        sim = CallSimulator(engine, settings, seed=seed, crashes=True)
        sim._crashes(START)  # draws the first crash
        assert sim.next_crash is not None
        first = sim.next_crash
        sim._crashes(first)  # it begins, its calls to ring within minutes; the next one is drawn
        assert sim.next_crash is not None and len(sim.crash_calls) in range(
            live.CRASH_CALLS[0], live.CRASH_CALLS[1] + 1
        )
        firsts.append((first - START).total_seconds())
        gaps.append((sim.next_crash - first).total_seconds())
    low, high = (60 * m for m in live.FIRST_CRASH_MIN)
    assert all(low <= f <= high for f in firsts) and len(set(firsts)) == len(firsts), "soon, never at a fixed time"
    assert len(set(gaps)) == len(gaps) and statistics.mean(gaps) >= 6 * 3600, "then hours apart, at random"
    everyday = callmix.line_rates(settings)[live.CRASH_LINE] * live.DEFAULT_SPEED * callmix.PEAK / 86_400
    assert sim.peak_per_s[live.CRASH_LINE] < everyday, "the crashes' calls come out of PSC 119's count"
