"""The metrics pages' reads (dashboard.queries.metrics), on SQLite and PostgreSQL.

Newest values come from metric_latest, not from the samples; each unit's
state follows its link and its last report; history comes in buckets (aligned
to WITA days) with a LIMIT whatever the range; rejections come newest first
with their payloads cut in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from dashboard.queries import kept
from dashboard.queries import metrics as q
from dashboard.queries import metrics_received as received
from scc import housekeeping
from scc.clock import utcnow
from scc.storage.metrics import metric_latest, metric_samples, metric_unit_status, rejected_messages

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12.00 WITA


def sample(code: str, key: str, ts: datetime, value: float, n: int = 0) -> dict:
    return dict(
        skpd_code=code, metric_key=key, ts=ts, value=value, message_id=f"{key}-{ts.isoformat()}-{n}", received_at=ts
    )


def latest(code: str, key: str, ts: datetime, value: float) -> dict:
    return dict(skpd_code=code, metric_key=key, ts=ts, value=value, received_at=ts + timedelta(seconds=1))


def test_unit_states_follow_the_link_and_the_last_report(engine, settings):
    fresh, old = NOW - timedelta(seconds=30), NOW - timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(
            insert(metric_unit_status),
            [
                dict(skpd_code="dpmptsp", online=True, changed_at=old, last_message_at=fresh),
                dict(skpd_code="bpkd", online=True, changed_at=old, last_message_at=old),
                dict(skpd_code="rsud", online=False, changed_at=fresh, last_message_at=fresh),
                dict(skpd_code="dinsos", online=True, changed_at=fresh, last_message_at=None),
            ],
        )
        # No link status, but figures: its last report is when its newest figure arrived.
        conn.execute(insert(metric_latest), [latest("dukcapil", "service_up", fresh, 1.0)])
    states = {r.skpd.code: r for r in q.regency(engine, settings, now=NOW)}
    assert len(states) == 38 and next(iter(states)) == "setda", "every unit, in the official order"
    assert states["dpmptsp"].state == "online" and states["dpmptsp"].last_report == fresh
    assert states["bpkd"].state == "stale", "silent for longer than twice its shortest interval"
    assert states["rsud"].state == "offline", "its link said so, however recent its last message"
    assert states["dinsos"].state == "never", "online by its status, but it never sent a figure"
    assert states["dukcapil"].state == "online" and states["dukcapil"].last_report == fresh + timedelta(seconds=1)
    assert states["setda"].state == "never" and states["setda"].last_report is None
    counts = q.state_counts(states.values())
    assert counts == {"online": 2, "stale": 1, "offline": 1, "never": 34}
    assert q.stale_after(settings, "dukcapil") == timedelta(seconds=240)  # its queue reports every 2 minutes


def test_newest_values_come_from_metric_latest(engine, settings):
    """The wall reads the table ingest keeps, never a max() over the samples."""
    at = NOW - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(insert(metric_latest), [latest("dinsos", "kartu_macca_distributed", at, 12825.0)])
        conn.execute(insert(metric_samples), [sample("dinsos", "kartu_macca_distributed", NOW, 99.0)])
    report = q.unit(engine, settings, "dinsos", now=NOW)
    figure = report.latest["kartu_macca_distributed"]
    assert figure.value == 12825.0 and figure.ts == at and figure.freshness == "ok"
    assert report.latest["website_up"].value is None and report.latest["website_up"].freshness == "nodata"
    assert list(report.latest)[:2] == ["service_up", "website_up"], "in catalog order"
    with pytest.raises(KeyError):
        q.unit(engine, settings, "nowhere")


def test_flag_counts_answer_how_many_sites_are_down(engine, settings):
    rows = [latest(s.code, "website_up", NOW, 1.0 if i % 2 else 0.0) for i, s in enumerate(settings.skpd[:36])]
    with engine.begin() as conn:
        conn.execute(insert(metric_latest), rows)
    reports = q.regency(engine, settings, now=NOW)
    assert q.flag_count(reports, "website_up") == (18, 36, 38)  # 18 up of 36 reporting; 38 should
    assert q.flag_count(reports, "kartu_macca_distributed") == (0, 0, 1)


def test_history_comes_in_buckets_of_the_right_kind(engine, settings):
    """A gauge's mean, a counter's highest running total, a flag's share of time up, per hour."""
    hour = NOW.replace(minute=0) - timedelta(hours=2)  # 10.00 WITA
    rows = []
    for i, minute in enumerate((5, 25, 45)):
        at = hour + timedelta(minutes=minute)
        rows += [
            sample("dpmptsp", "laside_avg_processing_days", at, [10.0, 20.0, 30.0][i]),
            sample("dpmptsp", "laside_permits_issued", at, [5.0, 9.0, 7.0][i]),
            sample("dpmptsp", "service_up", at, [1.0, 0.0, 1.0][i]),
        ]
    rows.append(sample("dpmptsp", "laside_permits_issued", hour + timedelta(hours=1, minutes=10), 2.0))
    rows.append(sample("dpmptsp", "laside_permits_issued", NOW - timedelta(days=3), 1.0))  # outside 24 h
    rows.append(sample("bpkd", "service_up", hour, 0.0))  # another unit's
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), rows)
    got = q.series(engine, settings, "dpmptsp", "24h", now=NOW)
    assert set(got) == {m.key for m in settings.metrics if m.skpd == "dpmptsp"}
    assert [(p.at, p.value) for p in got["laside_avg_processing_days"]] == [(hour, 20.0)]
    assert [(p.at, p.value) for p in got["laside_permits_issued"]] == [(hour, 9.0), (hour + timedelta(hours=1), 2.0)]
    assert [round(p.value, 3) for p in got["service_up"]] == [66.667]
    assert got["website_up"] == []
    week = q.series(engine, settings, "dpmptsp", "7d", now=NOW)["laside_permits_issued"]  # three-hour buckets
    assert [(p.at, p.value) for p in week] == [(NOW - timedelta(days=3), 1.0), (hour - timedelta(hours=1), 9.0)]


def test_days_begin_at_midnight_in_soppeng(engine, settings):
    """23.30 and 00.30 WITA are two days, though both are the same day in UTC."""
    before, after = datetime(2026, 11, 20, 15, 30, tzinfo=UTC), datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), [sample("bpkd", "paddare_pbb_target", t, 1.0) for t in (before, after)])
    housekeeping.roll_up(engine, NOW)  # a month is read from the daily roll-ups
    points = q.series(engine, settings, "bpkd", "30d", now=NOW)["paddare_pbb_target"]
    midnight = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 21 Nov 00.00 WITA
    assert [p.at for p in points] == [midnight - timedelta(days=1), midnight]


def test_a_year_of_samples_comes_back_as_at_most_a_point_a_day(engine, settings, monkeypatch):
    """17,520 samples (every half hour for a year) of one gauge, rolled up: 366 rows at most, and the
    LIMIT holds whatever the buckets."""
    start = NOW - timedelta(days=365)
    rows = [sample("rsud", "rsud_bed_occupancy_percent", start + timedelta(minutes=30 * i), 70.0) for i in range(17520)]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(metric_samples), rows[i : i + 5000])
    housekeeping.roll_up(engine, NOW)
    year = q.series(engine, settings, "rsud", "1y", now=NOW)["rsud_bed_occupancy_percent"]
    assert 365 <= len(year) <= q.SPANS["1y"].buckets and all(p.value == 70.0 for p in year)
    assert all(q.SPANS[r].buckets * 3 <= q.MAX_ROWS for r in q.RANGES), "a unit's metrics fit the cap"
    monkeypatch.setattr(q, "MAX_ROWS", 25)
    monkeypatch.setattr(kept, "PAST_TTL_S", 0.0)  # the days before today read again, not as kept
    # Each read holds its LIMIT: the days before today (25 of them), and today's row.
    assert len(q.series(engine, settings, "rsud", "1y", now=NOW)["rsud_bed_occupancy_percent"]) == 25 + 1
    uptime = q.uptime_by_unit(engine, settings, "service_up", "1y", now=NOW)
    assert uptime == {}, "no service_up samples at all"


def test_uptime_by_unit_is_one_row_per_unit(engine, settings):
    rows = [sample("dpmptsp", "service_up", NOW - timedelta(minutes=5 * i), float(i % 4 != 0), i) for i in range(40)]
    rows += [sample("bpkd", "service_up", NOW - timedelta(minutes=5 * i), 1.0, i) for i in range(10)]
    rows += [sample("bpkd", "service_up", NOW - timedelta(days=3), 0.0, 99)]  # outside 24 h
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), rows)
    assert q.uptime_by_unit(engine, settings, "service_up", "24h", now=NOW) == {"dpmptsp": 75.0, "bpkd": 100.0}
    assert q.shared_keys(settings) == ["service_up", "website_up"]


def test_rejections_newest_first_cut_and_capped(engine):
    big = '{"values": {' + ", ".join(f'"k{i}": {i}' for i in range(3000)) + "}}"
    rows = [
        dict(
            received_at=NOW - timedelta(minutes=i),
            topic="scc/v1/skpd/dpmptsp/telemetry" if i % 2 else "scc/v1/skpd/bpkd/telemetry",
            skpd_code="dpmptsp" if i % 2 else "bpkd",
            payload=big if i == 1 else f'{{"n": {i}}}',
            reason=f"reason {i}",
            message_id=None,
            source="mqtt",
            digest=f"d{i}",
        )
        for i in range(150)
    ]
    with engine.begin() as conn:
        conn.execute(insert(rejected_messages), rows)
    mine = received.rejections(engine, "dpmptsp")
    assert len(mine) == 75 and {r.skpd_code for r in mine} == {"dpmptsp"}
    assert [r.reason for r in mine[:2]] == ["reason 1", "reason 3"], "newest first"
    assert len(mine[0].payload) == received.PAYLOAD_CHARS and mine[0].payload_chars == len(big)
    assert len(received.rejections(engine)) == received.REJECTIONS_LIMIT
    assert len(received.rejections(engine, limit=10**9)) == received.REJECTIONS_LIMIT, "a caller cannot lift the cap"
    assert received.rejections(engine, "nowhere") == []


def test_uptime_over_a_range_is_read_once_a_while(engine, settings):
    """Every wall screen on the comparison page asks for the same year: one read serves them for a while."""
    first = q.uptime_by_unit(engine, settings, "service_up", "1y")
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), [sample("dpmptsp", "service_up", NOW, 1.0)])
    housekeeping.roll_up(engine, utcnow())
    assert q.uptime_by_unit(engine, settings, "service_up", "1y") is first
    assert q.uptime_by_unit(engine, settings, "service_up", "1y", now=NOW + timedelta(minutes=1)) == {"dpmptsp": 100.0}


def test_a_year_of_calls_is_read_once_and_today_on_every_draw(engine, settings, monkeypatch):
    """The PSC 119 calls on the Dinkes year chart: past days are kept for a while (an import of old
    calls shows when they expire), today's calls show at once."""
    from scc.storage.callcenter import call_log

    def log(at: datetime) -> None:
        with engine.begin() as conn:
            conn.execute(insert(call_log), dict(at=at, line_code="psc-119", outcome="answered", source="intake"))

    key = next(m.key for m in settings.metrics if m.skpd == "dinkes" and m.from_calls == "calls_today")
    log(NOW - timedelta(days=40))
    log(NOW - timedelta(minutes=30))

    def chart() -> dict[datetime, float]:
        return {p.at: p.value for p in q.series(engine, settings, "dinkes", "1y", NOW)[key]}

    first = chart()
    assert sorted(first.values()) == [1.0, 1.0]
    log(NOW - timedelta(days=20))  # an import of an old call
    log(NOW - timedelta(minutes=10))
    second = chart()
    assert sorted(second.values()) == [1.0, 2.0], "today's new call shows; the old one waits for the past to expire"
    monkeypatch.setattr(kept, "PAST_TTL_S", 0.0)
    assert sorted(chart().values()) == [1.0, 1.0, 2.0]


def test_a_year_chart_keeps_its_past_days_and_reads_today_on_every_draw(engine, settings, monkeypatch):
    """A unit's year chart from the daily roll-ups: a figure that arrives late for a past day shows once
    the kept past expires (PAST_TTL_S); today's figures show at the next draw."""
    key, past, later = "rsud_bed_occupancy_percent", NOW - timedelta(days=10), NOW + timedelta(hours=1)

    def arrive(ts: datetime, value: float, at: datetime) -> None:
        with engine.begin() as conn:
            conn.execute(insert(metric_samples), {**sample("rsud", key, ts, value), "received_at": at})

    arrive(past, 60.0, past)
    arrive(NOW - timedelta(minutes=5), 70.0, NOW - timedelta(minutes=5))
    housekeeping.roll_up(engine, NOW)

    def chart(now: datetime) -> list[float]:
        return [p.value for p in q.series(engine, settings, "rsud", "1y", now)[key]]

    assert chart(NOW) == [60.0, 70.0]
    arrive(past + timedelta(minutes=30), 80.0, NOW + timedelta(minutes=1))  # late, for that day: mean 70
    arrive(NOW + timedelta(minutes=30), 90.0, NOW + timedelta(minutes=30))  # today's mean 80
    housekeeping.roll_up(engine, later)
    assert chart(later) == [60.0, 80.0], "today's figure shows; the past day's waits for the kept past to expire"
    monkeypatch.setattr(kept, "PAST_TTL_S", 0.0)
    assert chart(later) == [70.0, 80.0]
