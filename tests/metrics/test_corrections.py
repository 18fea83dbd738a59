"""One sample per unit, metric and time: a later value for that time corrects it, and the old one stays
in the unit's history; a redelivered message changes nothing; a file uploaded again after one cell was
fixed corrects that one sample and adds nothing. On both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, select

from scc.clock import utcnow
from scc.storage.db import alembic_config, migrate
from scc.storage.metrics import metric_corrections, metric_latest, metric_samples
from streams.metrics import intake, store
from streams.metrics.validate import Sample

T = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
UNIT, METRIC = "dpmptsp", "laside_permits_received"


def batch(*samples: Sample) -> store.Batch:
    return store.Batch(list(samples), [], [])


def sample(value: float, message_id: str, ts: datetime = T, metric: str = METRIC) -> Sample:
    return Sample(UNIT, metric, ts, value, message_id)


def samples_of(engine) -> list[tuple]:
    c = metric_samples.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.metric_key, c.ts, c.value, c.message_id).order_by(c.metric_key, c.ts))
        return [(r.metric_key, r.ts, r.value, r.message_id) for r in rows]


def corrections_of(engine) -> list[tuple]:
    c = metric_corrections.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.ts, c.old_value, c.new_value, c.message_id, c.corrected_by).order_by(c.id))
        return [tuple(r) for r in rows]


def latest_of(engine) -> float:
    with engine.connect() as conn:
        return conn.execute(select(metric_latest.c.value).where(metric_latest.c.metric_key == METRIC)).scalar_one()


def test_the_bulk_insert_stores_a_moment_as_every_query_compares_it(engine):
    """A sample written by ingest's fast path is found by an equality on its time, and at a range's bound."""
    store.write(engine, batch(sample(10, "m1")), NOW)
    c = metric_samples.c
    with engine.connect() as conn:
        assert conn.execute(select(c.value).where(c.ts == T)).scalar_one() == 10.0
        assert conn.execute(select(c.value).where(c.ts >= T, c.received_at <= NOW)).scalar_one() == 10.0


def test_a_later_value_for_the_same_time_corrects_it_and_keeps_the_old_one(engine):
    assert store.write(engine, batch(sample(10, "m1")), NOW) == store.Written(stored=1)
    written = store.write(engine, batch(sample(12, "m2")), NOW + timedelta(minutes=1), "web", by="staf-dpmptsp")
    assert written == store.Written(corrected=1)
    assert samples_of(engine) == [(METRIC, T, 12.0, "m1")]  # one sample, its first id, the new value
    assert corrections_of(engine) == [(T, 10.0, 12.0, "m2", "staf-dpmptsp")]
    assert latest_of(engine) == 12.0, "the wall shows the corrected figure"


def test_redeliveries_of_either_message_change_nothing(engine):
    store.write(engine, batch(sample(10, "m1")), NOW)
    store.write(engine, batch(sample(12, "m2")), NOW + timedelta(minutes=1))
    store.write(engine, batch(sample(15, "m3")), NOW + timedelta(minutes=2))
    for redelivered in (sample(10, "m1"), sample(12, "m2"), sample(15, "m3")):
        written = store.write(engine, batch(redelivered), NOW + timedelta(minutes=3))
        assert written == store.Written(unchanged=1), redelivered
    assert samples_of(engine) == [(METRIC, T, 15.0, "m1")]
    assert [(old, new) for _, old, new, *_ in corrections_of(engine)] == [(10.0, 12.0), (12.0, 15.0)]
    assert latest_of(engine) == 15.0


def test_the_same_value_again_under_a_new_id_adds_nothing(engine):
    store.write(engine, batch(sample(10, "m1")), NOW)
    assert store.write(engine, batch(sample(10, "m9")), NOW + timedelta(minutes=1)) == store.Written(unchanged=1)
    assert samples_of(engine) == [(METRIC, T, 10.0, "m1")] and corrections_of(engine) == []


def test_two_values_for_one_time_in_one_batch_the_second_corrects_the_first(engine):
    later = T + timedelta(hours=1)
    written = store.write(engine, batch(sample(10, "m1"), sample(11, "m2"), sample(7, "m3", later)), NOW)
    assert written == store.Written(stored=2, corrected=1)
    assert samples_of(engine) == [(METRIC, T, 11.0, "m1"), (METRIC, later, 7.0, "m3")]
    assert corrections_of(engine) == [(T, 10.0, 11.0, "m2", UNIT)]  # over MQTT the unit's own account
    assert latest_of(engine) == 7.0


def test_a_correction_of_an_old_time_does_not_roll_the_wall_back(engine):
    store.write(engine, batch(sample(10, "m1"), sample(20, "m2", T + timedelta(hours=1))), NOW)
    store.write(engine, batch(sample(11, "m3")), NOW + timedelta(minutes=1))
    assert latest_of(engine) == 20.0
    assert samples_of(engine)[0][2] == 11.0


def test_a_csv_uploaded_again_with_one_cell_fixed_corrects_that_sample_only(engine, settings):
    days = [(utcnow() - timedelta(days=6 - i)).replace(hour=0, minute=0, second=0, microsecond=0) for i in range(5)]
    rows = ["metric,value,ts", *(f"{METRIC},{100 + i},{day.isoformat()}" for i, day in enumerate(days))]
    first = intake.submit_csv(engine, settings, UNIT, "\n".join(rows).encode(), actor="staf-dpmptsp")
    assert (first.stored, first.corrected, first.unchanged, first.problems) == (5, 0, 0, [])
    again = intake.submit_csv(engine, settings, UNIT, "\n".join(rows).encode(), actor="staf-dpmptsp")
    assert (again.stored, again.corrected, again.unchanged) == (0, 0, 5), "the same file: redelivered"
    rows[3] = rows[3].replace(",102,", ",120,")
    fixed = intake.submit_csv(engine, settings, UNIT, "\n".join(rows).encode(), actor="admin")
    assert (fixed.stored, fixed.corrected, fixed.unchanged) == (0, 1, 4)
    assert [v for _, _, v, _ in samples_of(engine)] == [100.0, 101.0, 120.0, 103.0, 104.0]
    ((ts, old, new, _, by),) = corrections_of(engine)
    assert (ts, old, new, by) == (days[2], 102.0, 120.0, "admin")


def test_the_migration_folds_samples_stored_twice_for_one_time(tmp_path):
    """Before 0011 two messages for one unit, metric and time made two rows; the migration leaves the
    first row with the last value and each later row as a correction, as ingest now does."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, "0010_calls")
    rows = [
        dict(skpd_code=UNIT, metric_key=METRIC, ts=T, value=v, message_id=m, received_at=NOW + timedelta(minutes=i),
             source="mqtt")
        for i, (v, m) in enumerate([(10, "m1"), (12, "m2"), (15, "m3")])
    ]  # fmt: skip
    other = dict(rows[0], ts=T + timedelta(hours=1), message_id="m4", value=5)
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), [*rows[:2], other])
        # As ingest's bulk insert wrote them before: the same moment in another text.
        conn.exec_driver_sql(
            "INSERT INTO metric_samples (skpd_code, metric_key, ts, value, message_id, received_at, source) "
            f"VALUES ('{UNIT}', '{METRIC}', '2026-11-30 02:00:00+00:00', 15, 'm3', '2026-11-30 03:02:00+00:00', 'mqtt')"
        )
    migrate(engine)
    assert samples_of(engine) == [(METRIC, T, 15.0, "m1"), (METRIC, T + timedelta(hours=1), 5.0, "m4")]
    assert corrections_of(engine) == [(T, 10.0, 12.0, "m2", UNIT), (T, 12.0, 15.0, "m3", UNIT)]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT DISTINCT ts FROM metric_samples ORDER BY ts").scalars().all() == [
            "2026-11-30 02:00:00.000000",
            "2026-11-30 03:00:00.000000",
        ]
    with pytest.raises(Exception, match="UNIQUE"):
        with engine.begin() as conn:
            conn.execute(insert(metric_samples), dict(rows[0], message_id="m5"))
    engine.dispose()
