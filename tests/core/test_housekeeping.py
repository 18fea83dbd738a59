"""Housekeeping on both backends: roll-ups equal what the raw rows say, a pass run again (or resumed after
a restart, with corrections and late arrivals in between) changes nothing it should not, and each
table loses exactly what its policy lets go."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from scc import housekeeping
from scc.clock import as_utc, wita_day_start
from scc.storage.cameras import camera_outages
from scc.storage.metrics import metric_daily, metric_hourly, metric_samples, rejected_messages
from scc.storage.platform import audit_log, housekeeping_marks
from streams.metrics import store
from streams.metrics.validate import Sample

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12.00 WITA
UNIT, METRIC = "dpmptsp", "laside_permits_received"


def write(engine, samples: list[Sample], at: datetime) -> None:
    store.write(engine, store.Batch(samples, [], []), at)


def expected_hours(engine) -> dict[datetime, tuple]:
    """Each hour's (n, sum, min, max, last value) computed here from the raw rows, not by housekeeping."""
    c = metric_samples.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.ts, c.value).where(c.skpd_code == UNIT, c.metric_key == METRIC)).all()
    hours: dict[datetime, list[tuple[datetime, float]]] = {}
    for ts, value in rows:
        ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
        hours.setdefault(ts.replace(minute=0, second=0, microsecond=0), []).append((ts, value))
    return {
        h: (len(v), sum(x for _, x in v), min(x for _, x in v), max(x for _, x in v), max(v)[1])
        for h, v in hours.items()
    }


def rolled_hours(engine) -> dict[datetime, tuple]:
    h = metric_hourly.c
    with engine.connect() as conn:
        rows = conn.execute(select(h.hour, h.n, h.total, h.low, h.high, h.last_value).where(h.metric_key == METRIC))
        return {(r.hour if r.hour.tzinfo else r.hour.replace(tzinfo=UTC)): tuple(r)[1:] for r in rows}


def test_roll_ups_equal_the_raw_rows_and_a_pass_again_changes_nothing(engine):
    rng = random.Random(7)
    start = NOW - timedelta(days=3)
    first = [Sample(UNIT, METRIC, start + timedelta(minutes=7 * k), float(rng.randrange(100)), f"a{k}")
             for k in range(300)]  # fmt: skip
    write(engine, first, NOW - timedelta(hours=1))
    housekeeping.roll_up(engine, NOW)
    assert rolled_hours(engine) == expected_hours(engine)
    # Then: a correction of an old value, a late reading for an hour already rolled up, new readings.
    later = NOW + timedelta(minutes=30)
    write(engine, [Sample(UNIT, METRIC, first[10].ts, 999.0, "fix-1"),
                   Sample(UNIT, METRIC, start + timedelta(minutes=3), 5.0, "late-1"),
                   Sample(UNIT, METRIC, NOW + timedelta(minutes=5), 42.0, "new-1")], later)  # fmt: skip
    housekeeping.roll_up(engine, later + timedelta(minutes=1))
    housekeeping.roll_up(engine, later + timedelta(minutes=2))  # again: nothing counted twice
    assert rolled_hours(engine) == expected_hours(engine)
    # The days are the hours' sums, by WITA day.
    days: dict[datetime, list[tuple]] = {}
    for hour, figures in expected_hours(engine).items():
        days.setdefault(wita_day_start(hour), []).append(figures)
    d = metric_daily.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.day, d.n, d.total, d.low, d.high).where(d.metric_key == METRIC)).all()
    got = {(r.day if r.day.tzinfo else r.day.replace(tzinfo=UTC)): (r.n, r.total, r.low, r.high) for r in rows}
    assert got == {
        day: (sum(f[0] for f in fs), sum(f[1] for f in fs), min(f[2] for f in fs), max(f[3] for f in fs))
        for day, fs in days.items()
    }


def test_each_table_loses_what_its_policy_lets_go_and_nothing_more(engine, settings):
    old, young = NOW - timedelta(days=100), NOW - timedelta(days=10)
    write(engine, [Sample(UNIT, METRIC, old, 1.0, "old")], old + timedelta(minutes=1))  # kept by arrival
    write(engine, [Sample(UNIT, METRIC, young, 2.0, "young")], young + timedelta(minutes=1))
    long_ago = NOW - timedelta(days=800)  # past audit's and outages' two years
    with engine.begin() as conn:
        conn.execute(
            insert(audit_log),
            [
                dict(at=long_ago, actor="a", action="x", detail={}),
                dict(at=NOW - timedelta(days=5), actor="a", action="y", detail={}),
            ],
        )
        conn.execute(
            insert(camera_outages),
            [
                dict(
                    camera_id="c1", uplink="u", started_at=long_ago, ended_at=long_ago + timedelta(hours=1), reason=""
                ),
                dict(camera_id="c2", uplink="u", started_at=long_ago, ended_at=None, reason="still down"),
            ],
        )
        conn.execute(insert(rejected_messages), [
            dict(received_at=NOW - timedelta(days=k), topic="t", skpd_code=UNIT, payload="x", reason="r",
                 source="mqtt", digest=f"{k:064d}")
            for k in (40, 2)  # past a month, and within it
        ])  # fmt: skip
    # Before any roll-up the old sample stays, whatever its age; the rest goes by its policy.
    removed: dict[str, int] = {}
    assert housekeeping.prune(engine, settings.retention, NOW, time.monotonic() + 30, removed)
    assert removed == {"rejected_messages": 1, "camera_outages": 1, "audit_log": 1}
    done = housekeeping.run_pass(engine, settings, NOW)
    assert done.caught_up and done.removed == {"metric_samples": 1}
    with engine.connect() as conn:
        assert conn.scalars(select(metric_samples.c.message_id)).all() == ["young"]
        assert conn.scalars(select(camera_outages.c.camera_id)).all() == ["c2"], "an open outage stays"
        assert conn.scalars(select(audit_log.c.action)).all() == ["y"]
        assert conn.scalar(select(func.count()).select_from(metric_hourly)) == 2, "the old hour kept, rolled up"
    assert housekeeping.run_pass(engine, settings, NOW).removed == {}, "a pass again removes nothing"


def test_a_units_rejected_payloads_stay_under_its_cap_oldest_going_first(engine, settings):
    cap = settings.retention["rejected_messages"].max_bytes_per_unit
    assert cap is not None
    big = "x" * (cap // 3 + 1)
    with engine.begin() as conn:
        conn.execute(insert(rejected_messages), [
            dict(received_at=NOW - timedelta(hours=4 - k), topic="t", skpd_code=UNIT, payload=big, reason="r",
                 source="mqtt", digest=f"{k:064d}")
            for k in range(4)
        ])  # fmt: skip
    housekeeping.run_pass(engine, settings, NOW)
    with engine.connect() as conn:
        kept = conn.scalars(select(rejected_messages.c.digest).order_by(rejected_messages.c.received_at)).all()
    assert kept == [f"{k:064d}" for k in (2, 3)], "the two newest fit under the cap"


def test_the_cap_counts_the_bytes_stored_not_characters_nor_a_cut_payloads_whole_size(engine, settings):
    """A payload of two-byte characters weighs twice its length; one stored cut (its first bytes) weighs
    what was kept of it, not the megabytes it came as."""
    cap = settings.retention["rejected_messages"].max_bytes_per_unit
    assert cap is not None
    wide = "é" * (cap // 3)  # 2/3 of the cap in bytes: two of them are over it, in characters they are not
    rows = [dict(payload=wide), dict(payload="x", payload_bytes=2 * cap), dict(payload=wide)]  # oldest first
    with engine.begin() as conn:
        conn.execute(insert(rejected_messages), [
            dict(received_at=NOW - timedelta(hours=3 - k), topic="t", skpd_code=UNIT, reason="r", source="mqtt",
                 digest=f"{k:064d}", **{"payload_bytes": None, **row})
            for k, row in enumerate(rows)
        ])  # fmt: skip
    housekeeping.run_pass(engine, settings, NOW)
    with engine.connect() as conn:
        kept = conn.scalars(select(rejected_messages.c.digest).order_by(rejected_messages.c.received_at)).all()
    assert kept == [f"{k:064d}" for k in (1, 2)], "the oldest goes; the cut one weighs two bytes"


def test_a_pass_reads_no_table_whole(engine, settings):
    """Every minute, for years: finding what is due goes through an index on each table's time, never
    through the table, after the first pass (which looks at every unit's rejections once). SQLite: a SCAN
    counts unless the statement takes fewer steps than the table has rows."""
    from scc.storage.cameras import camera_activity
    from scc.storage.metrics import metric_corrections
    from tests.support.plans import selects_during, whole_reads

    if engine.dialect.name != "sqlite":
        return  # the plans read are SQLite's (PostgreSQL's come with the year benchmark)
    write(engine, [Sample(UNIT, METRIC, NOW - timedelta(minutes=k), float(k), f"s{k}") for k in range(3000)],
          NOW - timedelta(minutes=1))  # fmt: skip
    recent = [NOW - timedelta(minutes=k) for k in range(3000)]
    with engine.begin() as conn:
        conn.execute(insert(camera_activity), [dict(camera_id="c1", at=at, level=0.1) for at in recent])
        conn.execute(insert(camera_outages), [dict(camera_id="c1", uplink="u", started_at=at, ended_at=at,
                                                   reason="") for at in recent])  # fmt: skip
        conn.execute(insert(audit_log), [dict(at=at, actor="a", action="x", detail={}) for at in recent])
        conn.execute(insert(rejected_messages), [
            dict(received_at=at, topic="t", skpd_code=UNIT, payload="x", reason="r", source="mqtt", digest=f"{k:064d}")
            for k, at in enumerate(recent)
        ])  # fmt: skip
        conn.execute(insert(metric_corrections), [
            dict(skpd_code=UNIT, metric_key=METRIC, ts=at, old_value=1, new_value=2, message_id=f"c{k}",
                 source="web", corrected_by="a", corrected_at=at)
            for k, at in enumerate(recent)
        ])  # fmt: skip
    housekeeping.run_pass(engine, settings, NOW)  # the first look at each unit's rejections reads them all, once
    later = NOW + timedelta(minutes=1)
    statements = selects_during(engine, lambda: housekeeping.run_pass(engine, settings, later))
    pruned = [name for name, policy in settings.retention.items() if policy.keep == "days"]
    assert whole_reads(engine, statements, pruned) == []


def test_a_writer_gets_its_turn_between_two_batches(tmp_path, settings, monkeypatch):
    """SQLite has one writer at a time. While housekeeping removes many batches, ingest keeps committing
    between them: a writer that waited for one batch gets the lock before the next batch takes it. Counted,
    not timed: removing back to back, a waiting writer found the lock free between two batches so rarely
    that ingest's commits stalled for seconds in the year benchmark."""
    import threading

    from scc.storage import open_storage
    from scc.storage.cameras import camera_activity

    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    old = NOW - timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(insert(camera_activity), [
            dict(camera_id=f"cam-{k % 40}", at=old + timedelta(seconds=k // 40), level=0.5) for k in range(40_000)
        ])  # fmt: skip
    monkeypatch.setattr(housekeeping, "BATCH", 1000)
    batches = 40
    done, commits = threading.Event(), []

    def ingest() -> None:
        k = 0
        while not done.is_set():
            write(engine, [Sample(UNIT, METRIC, NOW + timedelta(seconds=k), 1.0, f"w{k}")], NOW)
            commits.append(time.monotonic())
            k += 1

    writer = threading.Thread(target=ingest)
    writer.start()
    while not commits:  # the writer is committing before the removal starts
        time.sleep(0.01)
    started = time.monotonic()
    policies = {"camera_activity": settings.retention["camera_activity"]}
    removed: dict[str, int] = {}
    try:
        assert housekeeping.prune(engine, policies, NOW, time.monotonic() + 120, removed)
    finally:
        ended = time.monotonic()
        done.set()
        writer.join()
        engine.dispose()
    assert removed == {"camera_activity": 40_000}
    during = [at for at in commits if started <= at <= ended]
    assert len(during) >= batches // 2, f"{len(during)} commits of ingest while {batches} batches were removed"


def test_a_backlog_is_rolled_up_an_hour_at_a_time_giving_way_between(tmp_path, monkeypatch):
    """A day of arrivals waiting (housekeeping was stopped) goes an hour per transaction, with the same
    pause after each as the removals take (the test above shows what the pause does for ingest). Back to
    back, a waiting ingest's commit stalled for 0.8 s in the year benchmark while a day was rolled up.
    Each hour here holds more arrivals than a transaction takes in when they are few (10, set here)."""
    from scc.storage import open_storage

    monkeypatch.setattr(housekeeping, "ROLLUP_ROWS", 10)

    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    start = NOW - timedelta(days=1)
    for h in range(24):
        at = start + timedelta(hours=h)
        write(engine, [Sample(UNIT, METRIC, at + timedelta(minutes=m), 1.0, f"h{h}-{m}") for m in range(0, 60, 5)],
              at + timedelta(minutes=59))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(housekeeping_marks), dict(job=housekeeping.JOB, upto=start, updated_at=start))
    pauses: list[float] = []
    monkeypatch.setattr(housekeeping, "_give_way", pauses.append)
    hours, _ = housekeeping.roll_up(engine, NOW)
    engine.dispose()
    assert hours >= 24
    assert len(pauses) == 23, "a pause between every two of the 24 transactions"


def test_a_sparse_backlog_goes_in_few_transactions(tmp_path, monkeypatch):
    """A year of one gauge every half hour (17,520 readings, two an hour) is not 8,760 transactions and
    pauses (over 200 s of pauses alone, before): at most ROLLUP_ROWS (500, set here) arrivals are taken
    in together, and the roll-up equals what it was an hour at a time."""
    from scc.storage import open_storage

    monkeypatch.setattr(housekeeping, "ROLLUP_ROWS", 500)
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    start = NOW - timedelta(days=365)
    readings = [Sample(UNIT, METRIC, start + timedelta(minutes=30 * i), float(i % 7), f"r{i}") for i in range(17_520)]
    for i in range(0, len(readings), 2_000):
        part = readings[i : i + 2_000]
        write(engine, part, part[-1].ts + timedelta(seconds=1))
    with engine.begin() as conn:
        conn.execute(insert(housekeeping_marks), dict(job=housekeeping.JOB, upto=start, updated_at=start))
    pauses: list[float] = []
    monkeypatch.setattr(housekeeping, "_give_way", pauses.append)
    hours, days = housekeeping.roll_up(engine, NOW)
    with engine.connect() as conn:
        rolled = conn.execute(select(metric_hourly.c.hour, metric_hourly.c.n, metric_hourly.c.total)).all()
    engine.dispose()
    assert hours >= 8_760 and days >= 365
    assert len(pauses) <= 17_520 // 500 + 1, f"{len(pauses)} transactions"
    assert len(rolled) >= 8_760
    expected: dict[datetime, list[float]] = {}  # each hour's two readings, counted and summed here
    for r in readings:
        expected.setdefault(r.ts.replace(minute=0), []).append(r.value)
    assert all((n, total) == (len(expected[as_utc(h)]), sum(expected[as_utc(h)])) for h, n, total in rolled)
