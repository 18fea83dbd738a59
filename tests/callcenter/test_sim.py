"""The demo's call simulator and the history seeder, on SQLite and PostgreSQL.

The simulator writes only through the call center's services, so what it leaves
must obey their rules: every status is reached, no unit is ever out on two
incidents at once, repeat callers join their incident, and a busy unit or
someone else's save is waited out, never raised. The seeder writes finished
incidents with consistent times, the same ones for the same seed, fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from callcenter import dispatch, intake, lifecycle
from callcenter.sim.history import seed_history
from callcenter.sim.live import CallSimulator
from scc import health
from scc.clock import as_utc
from scc.storage import open_storage
from scc.storage.callcenter import (
    CALL_OUTCOMES,
    CATEGORIES,
    EVENT_KINDS,
    FINAL_STATUSES,
    INCIDENT_STATUSES,
    call_log,
    incident_events,
    incident_units,
    incidents,
)

from .conftest import Clock, run_for, services_on

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 WITA on a Monday: a busy hour
# Calls sixty times life's rate and every step thirty times shorter, so that an hour shows every status:
# these tests are of the services' rules, not of time to scene (test_demo_truth.py keeps the demo's pace).
FAST = {"speed": 60.0, "pace": 30.0}


@pytest.fixture
def clock(monkeypatch):
    """The simulator's clock, and the services' too, so every stored time follows the simulated hour."""
    return services_on(Clock(START), monkeypatch)


def run(sim: CallSimulator, clock: Clock, minutes: float) -> None:
    run_for(sim, clock, timedelta(minutes=minutes), timedelta(seconds=5))


def rows(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).all()


def test_an_hour_of_calls_reaches_every_status_and_never_double_books_a_unit(engine, settings, clock):
    sim = CallSimulator(engine, settings, seed=1, clock=clock, **FAST)
    run(sim, clock, 60)
    stepped = {r.status for r in rows(engine, select(incident_events.c.status).distinct())}
    assert stepped == set(INCIDENT_STATUSES), sim.counts
    assert {r.category for r in rows(engine, select(incidents.c.category).distinct())} == set(CATEGORIES)
    assert sim.counts["calls"] >= 40 and sim.counts["closed"] >= 20, sim.counts

    out = defaultdict(list)
    for r in rows(engine, select(incident_units)):
        out[r.unit_code].append((r.assigned_at, r.released_at or datetime.max.replace(tzinfo=UTC)))
    for unit, spans in out.items():
        spans.sort()
        for (_, released), (assigned, _) in pairwise(spans):
            assert released <= assigned, f"{unit} was sent out again before it came back"
    assert out["truk-lalabata"] or out["damkar-pusat"], "fire calls got a truck"

    for r in rows(engine, select(incidents)):
        stamps = [t for t in (r.received_at, r.dispatched_at, r.on_scene_at, r.resolved_at, r.closed_at) if t]
        assert stamps == sorted(stamps), r
        assert r.created_by.startswith("op-")
    answered = rows(engine, select(call_log.c.incident_id, func.count()).group_by(call_log.c.incident_id))
    repeats = [r for r in answered if r.incident_id is not None and r[1] > 1]
    # Each repeat is one more call on its incident (one incident may have several).
    assert sim.counts["repeats"] == sum(n - 1 for _, n in repeats) >= 1, (
        "a repeat caller joins the incident already open"
    )
    assert rows(engine, select(incident_events).where(incident_events.c.kind == "call"))
    lost = rows(engine, select(call_log).where(call_log.c.incident_id.is_(None)))
    assert lost and {r.outcome for r in lost} <= {"abandoned", "unanswered"}

    backlog, detail = sim.probe()
    assert "open incidents" in detail and backlog >= 0


def test_busy_units_and_someone_elses_save_are_waited_out(engine, settings, clock, monkeypatch):
    # A human operator has both ambulances out.
    human = []
    for i, unit in enumerate(("ambulans-1", "ambulans-2")):
        call = {
            "line_code": "psc-119",
            "category": "medical",
            "district": "ganra",
            "caller_number": f"0812 3456 700{i}",
        }
        taken = intake.take_call(engine, settings, call, operator="operator")
        v = lifecycle.dispatch(engine, settings, taken.incident_id, unit, operator="operator", version=1)
        human.append((taken.incident_id, v))
    sim = CallSimulator(engine, settings, seed=3, clock=clock, **FAST)
    # The desk believes every unit is free, as when another operator dispatched a moment ago:
    # the database's busy index refuses, and the incident waits.
    monkeypatch.setattr(dispatch, "unit_states", lambda _engine, _now=None: {})
    run(sim, clock, 20)
    assert sim.counts["busy"] >= 1, sim.counts
    medical = [c for c in sim.desk.cases.values() if c.category == "medical"]
    assert medical and all(c.status == "received" for c in medical), "no ambulance was free"

    monkeypatch.undo()
    monkeypatch.setattr(intake, "utcnow", clock)
    monkeypatch.setattr(lifecycle, "utcnow", clock)
    # Someone corrects an incident the desk works on: its next save is stale, reloaded, done again.
    case = next(iter(sim.desk.cases.values()))
    lifecycle.edit(engine, settings, case.incident_id, {"village": "Botto"}, operator="operator", version=case.version)
    for incident_id, v in human:
        v = lifecycle.advance(engine, incident_id, "on_scene", operator="operator", version=v)
        lifecycle.advance(engine, incident_id, "resolved", operator="operator", version=v)
    run(sim, clock, 60)
    assert sim.counts["stale"] >= 1, sim.counts
    with engine.connect() as conn:
        waited = conn.execute(select(incidents).where(incidents.c.id == medical[0].incident_id)).one()
    assert waited.dispatched_at is not None, "the waiting call got an ambulance once one was back"
    assert rows(engine, select(incidents).where(incidents.c.id == case.incident_id))[0].village == "Botto"


def test_a_restarted_simulator_carries_on_its_open_incidents(engine, settings, clock):
    first = CallSimulator(engine, settings, seed=5, clock=clock, **FAST)
    run(first, clock, 15)
    left = {i: c.status for i, c in first.desk.cases.items()}
    assert left
    second = CallSimulator(engine, settings, seed=6, clock=clock, **FAST)
    assert second.adopt() == len(left)
    run(second, clock, 240)
    for incident_id in left:
        status = rows(engine, select(incidents.c.status).where(incidents.c.id == incident_id))[0].status
        assert status in FINAL_STATUSES or incident_id in second.desk.cases


def dump(engine):
    with engine.connect() as conn:
        return (
            conn.execute(select(incidents).order_by(incidents.c.id)).all(),
            conn.execute(
                select(*[c for c in incident_events.c if c.name != "id"]).order_by(incident_events.c.id)
            ).all(),
            conn.execute(select(*[c for c in call_log.c if c.name != "id"]).order_by(call_log.c.id)).all(),
        )


def test_seed_history_writes_finished_incidents_with_consistent_times(engine, settings):
    end = datetime(2026, 6, 1, tzinfo=UTC)
    assert seed_history(engine, settings, 3000, end=end, days=30, seed=7) == 3000
    found, events, calls = dump(engine)
    assert len(found) == 3000
    for r in found:
        assert r.status in FINAL_STATUSES and r.category in CATEGORIES
        stamps = [r.received_at, r.dispatched_at, r.on_scene_at, r.resolved_at, r.closed_at]
        present = [t for t in stamps if t is not None]
        assert present == sorted(present) and r.closed_at <= end, r
        assert r.received_at >= end - timedelta(days=31)
        if r.status == "closed" and r.category != "complaint":
            assert None not in stamps, r
    assert {e.kind for e in events} <= set(EVENT_KINDS) and {"status", "unit", "call"} <= {e.kind for e in events}
    assert {e.status for e in events} == set(INCIDENT_STATUSES)
    steps = defaultdict(list)
    for e in events:
        if e.kind == "status":
            steps[e.incident_id].append(e.status)
    assert all(s[0] in ("received", "prank") for s in steps.values()) and len(steps) == 3000
    assert {c.outcome for c in calls} == set(CALL_OUTCOMES)
    lost = sum(c.incident_id is None for c in calls)
    assert 0.06 * 3000 <= lost <= 0.1 * 3000
    assert not rows(engine, select(incident_units).where(incident_units.c.released_at.is_(None)))

    minutes = defaultdict(list)
    for r in found:
        if r.on_scene_at is not None and r.category == "medical":
            minutes[r.district].append((r.on_scene_at - r.received_at).total_seconds() / 60)
    mean = {d: sum(m) / len(m) for d, m in minutes.items()}
    assert mean["marioriawa"] > mean["lalabata"] + 10, "a remote district waits longer for an ambulance"

    # The pooled connection refuses what the schema refuses; new incidents follow the seeded ids.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(incidents).where(incidents.c.id == 1).values(status="lost"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(call_log.insert().values(at=end, outcome="answered", source="intake", incident_id=99_999))
    call = {"line_code": "psc-119", "category": "medical", "district": "citta", "caller_number": "0812 3456 7010"}
    taken = intake.take_call(engine, settings, call, operator="operator")
    assert taken.incident_id == 3001

    with engine.begin() as conn:
        for table in (call_log, incident_events, incident_units, incidents):
            conn.execute(delete(table))
    seed_history(engine, settings, 3000, end=end, days=30, seed=7)
    assert dump(engine) == (found, events, calls), "the same seed writes the same history"


def test_seed_history_writes_with_every_constraint_on(engine, settings, monkeypatch):
    """A row the schema refuses is refused while seeding too: the writer never switches SQLite's CHECK
    constraints or foreign keys off (it once did, for speed, and this test stored the row then)."""
    from callcenter.sim import history

    stories = history._stories

    def one_refused(*args):
        for k, past in enumerate(stories(*args)):
            if k == 10:  # among the first 200 incidents: in one statement with many rows
                past.status = "finished"
            yield past

    monkeypatch.setattr(history, "_stories", one_refused)
    with pytest.raises(IntegrityError):
        seed_history(engine, settings, 500, end=datetime(2026, 6, 1, tzinfo=UTC), days=10, seed=1)
    assert not rows(engine, select(incidents.c.id).where(incidents.c.status == "finished"))


def bare_insert_rate(path: Path, n: int) -> float:
    """Rows/s of the plainest bulk insert there is into the same kind of file: the floor a noisy
    machine sets in the same moment (a 10-column row, one transaction, executemany)."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE floor (a INTEGER PRIMARY KEY, b TEXT, c TEXT, d TEXT, e REAL, f REAL, g TEXT, h TEXT,"
        " i INT, j INT)"
    )
    rows = [(k, "psc119", "soppeng", "ambulance", 1.5, 2.5, "2026-06-01T00:00:00", "done", k, k) for k in range(n)]
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO floor VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    rate = n / (time.perf_counter() - started)
    conn.close()
    return rate


def test_seed_history_is_fast(tmp_path, settings):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    n = 20_000
    started = time.perf_counter()
    seed_history(engine, settings, n, end=datetime(2026, 6, 1, tzinfo=UTC), seed=1)
    rate = n / (time.perf_counter() - started)
    engine.dispose()
    floor = bare_insert_rate(tmp_path / "floor.db", 5 * n)  # an incident is about 5 rows (timeline, units, calls)
    print(f"\nseed_history: {rate:,.0f} incidents/s on SQLite; bare insert {floor:,.0f} rows/s")
    # Measured here: 13,000-15,000 incidents/s against a floor of 340,000 rows/s (ratio 23-26). Since each
    # emergency is given the unit dispatch.rank suggests (issue 19 §8, some 25 us a ranking), 7,000-8,200/s
    # against 260,000 (ratio 32-37), and 3,600/s against 231,000 (65) with the machine busy: the ranking
    # slows with the load more than a bare insert does. Since every constraint stays on and times go through
    # their column type (200 rows a statement, scc.storage.bulk): 16,200-16,900/s against 790,000-860,000
    # (ratio 48-52), where switching the checks off had 20,400-21,400/s. Either figure passes.
    assert rate >= 5_000 or floor / rate <= 80, f"{floor / rate:.0f} bare rows in the time of one incident"


def test_the_simulator_process_seeds_history_beats_and_stops_on_sigterm(config_dir, tmp_path):
    data_dir = tmp_path / "data"
    engine = open_storage(f"sqlite:///{data_dir / 'scc.db'}")
    env = {**os.environ, "SCC_CONFIG_DIR": str(config_dir), "SCC_DATA_DIR": str(data_dir)}
    log = tmp_path / "callcenter-sim.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "callcenter.sim", "--seed", "1", "--speed", "3000", "--history", "500"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        beats: list[health.ComponentHealth] = []
        while not beats and time.monotonic() < deadline:
            beats = [c for c in health.read_all(engine) if c.name == "callcenter-sim" and c.beat_at is not None]
            time.sleep(0.2)
        assert beats and beats[0].status == "up" and "open incidents" in beats[0].detail, beats
        time.sleep(2)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(incidents)).scalar_one() > 500, "history, then calls"
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        engine.dispose()
    text = log.read_text()
    assert "Traceback" not in text and "wrote 500 past incidents" in text, text


def test_a_history_of_one_day_ends_before_now_whatever_the_hour(engine, settings):
    """One day ending in the morning: the evening's hours have not come. Drawing them looped for ever
    (the year benchmark's day 1 hung in it)."""
    end = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 09.30 WITA
    with engine.connect() as conn:
        before = conn.scalar(select(func.coalesce(func.max(incidents.c.id), 0)))
    assert seed_history(engine, settings, 200, end=end, days=1, seed=3) == 200
    c = incidents.c
    with engine.connect() as conn:
        times = [as_utc(t) for t in conn.execute(select(c.received_at).where(c.id > before)).scalars()]
    assert max(times) < end  # (a complaint settled days later began that much earlier)
