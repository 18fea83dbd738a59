"""Every query ingest's write runs finds its rows through an index: it runs at every batch, for
years, against a table that grows by millions of rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streams.metrics import store
from streams.metrics.validate import Sample
from tests.support.plans import selects_during

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_batch_reads_no_table_whole(storage):
    _url, engine = storage
    first = [Sample("dpmptsp", "service_up", NOW - timedelta(minutes=k), 1.0, f"m{k}") for k in range(300)]
    store.write(engine, store.Batch(first, [], []), NOW)
    # Re-sent ids with other values: the write reads back the newest stored row of those metrics too.
    again = [Sample("dpmptsp", "service_up", NOW, 0.0, "m0"), Sample("dinkes", "service_up", NOW, 1.0, "d1")]
    seen = selects_during(engine, lambda: store.write(engine, store.Batch(again, [], []), NOW + timedelta(seconds=1)))
    assert len(seen) >= 2  # the check of what was stored, and the read-back of a re-sent id's metric
    with engine.connect() as conn:
        for statement, parameters in seen:
            plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            assert not [step for step in plan if step.startswith("SCAN metric_samples")], (statement, plan)
