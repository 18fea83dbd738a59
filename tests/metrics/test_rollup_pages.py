"""A page's figure over a month or a year comes from the daily roll-ups; from the raw samples of the same
span it must be the same figure (each kind of metric: a gauge's mean, a counter's highest total, a flag's
share up), on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from dashboard.queries import metrics as q
from scc import housekeeping
from scc.storage.metrics import metric_samples

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
UNIT = "dpmptsp"
KEYS = ("laside_permits_received", "laside_avg_processing_days", "service_up")  # counter, gauge, flag


def test_a_month_from_the_roll_ups_equals_the_month_from_the_raw_samples(engine, settings):
    rng = random.Random(3)
    start = NOW - timedelta(days=40)
    rows = [
        dict(skpd_code=UNIT, metric_key=key, ts=start + timedelta(minutes=37 * k), message_id=f"{key}-{k}",
             value=float(rng.randrange(2 if key == "service_up" else 500)), source="mqtt",
             received_at=start + timedelta(minutes=37 * k, seconds=5))
        for key in KEYS for k in range(40 * 24 * 60 // 37)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), rows)
    housekeeping.roll_up(engine, NOW)
    page = q.series(engine, settings, UNIT, "30d", now=NOW)
    since = q.range_start("30d", NOW)
    with engine.connect() as conn:
        raw = q._buckets(conn, UNIT, since, 86400)  # the same span, read from the samples
    kinds = {m.key: m.kind for m in settings.metrics if m.skpd == UNIT}
    for key in KEYS:
        from_raw = [
            (start_s, float(top) if kinds[key] == "counter" else float(mean) * (100.0 if kinds[key] == "flag" else 1.0))
            for k, start_s, mean, top in raw if k == key
        ]  # fmt: skip
        from_page = [(int(p.at.timestamp()), p.value) for p in page[key]]
        assert len(from_page) == 31 and [s for s, _ in from_page] == [s for s, _ in from_raw], key
        assert [v for _, v in from_page] == pytest.approx([v for _, v in from_raw]), key
    # The uptime over a month, the same way.
    rolled = q.uptime_by_unit(engine, settings, "service_up", "30d", now=NOW)[UNIT]
    flags = [r["value"] for r in rows if r["metric_key"] == "service_up" and r["ts"] >= since]
    assert rolled == pytest.approx(100.0 * sum(flags) / len(flags))
