"""A round stays cheap however long the command center has run: with 100,000 past incidents, three months of
a busy metric's samples, a week of service checks and of rejected messages, years of alerts and silences
behind it, no query of a round reads a growing table whole, on SQLite or PostgreSQL (tests/support/plans.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from scc.alerts import evaluator, queries
from scc.storage.alerts import alert_silences, alerts
from scc.storage.callcenter import incidents
from scc.storage.metrics import metric_samples, rejected_messages, service_probes
from tests.alerts.conftest import T0, cameras, incident, installed, unit
from tests.support.plans import selects_during, whole_reads

GROWING = ("incidents", "metric_samples", "alerts", "alert_silences", "service_probes", "rejected_messages")
PROBED = ("dukcapil", "rsud", "bpkd", "dinsos", "dinkes", "disdik", "bappeda", "pupr", "kec-citta", "kec-ganra")
PAST_INCIDENTS = 100_000


def history(engine, settings) -> None:
    """What a long run leaves: closed incidents (a fifth of them complaints), a queue reading every two
    minutes for 90 days, alerts long ended and silences long run out."""
    past = []
    for k in range(PAST_INCIDENTS):
        at = T0 - timedelta(minutes=5 * k + 90)
        complaint = k % 5 == 0
        past.append(dict(
            line_code="psc-119", category="complaint" if complaint else "medical", priority=2, summary="",
            status="closed", received_at=at, closed_at=at + timedelta(hours=1), source="csv", created_by="t",
            skpd_code="dinsos" if complaint else None, due_at=at + timedelta(days=3) if complaint else None,
        ))  # fmt: skip
    queue = [
        dict(skpd_code="dukcapil", metric_key="dukcapil_queue_length", ts=T0 - timedelta(minutes=2 * k),
             value=float(k % 50), message_id=f"q{k}", received_at=T0 - timedelta(minutes=2 * k), source="mqtt")
        for k in range(90 * 24 * 30)
    ]  # fmt: skip
    ended = [
        dict(rule="camera-down", kind="camera_down", subject=f"cam-{k % 40}", severity="warning", state="resolved",
             started_at=T0 - timedelta(hours=k + 2), fired_at=T0 - timedelta(hours=k + 1),
             ended_at=T0 - timedelta(hours=k), acknowledged_at=T0 - timedelta(hours=k), acknowledged_by="op",
             detail={}, updated_at=T0 - timedelta(hours=k))
        for k in range(20_000)
    ]  # fmt: skip
    over = [
        dict(rule="camera-down", subject=None, starts_at=T0 - timedelta(days=k + 1), ends_at=T0 - timedelta(days=k),
             reason="perbaikan", created_by="op", created_at=T0 - timedelta(days=k + 1))
        for k in range(1, 3000)
    ]  # fmt: skip
    with engine.begin() as conn:
        for chunk in range(0, len(past), 20_000):
            conn.execute(insert(incidents), past[chunk : chunk + 20_000])
        conn.execute(insert(metric_samples), queue)
        conn.execute(insert(alerts), ended)
        conn.execute(insert(alert_silences), over)
    # And now: some cameras and units, a call waiting, one on scene, a complaint overdue.
    cameras(engine, installed(settings, "radio-gasis"), "offline", T0, T0 - timedelta(minutes=10))
    cameras(engine, installed(settings, "fibre-kota"), "online", T0, T0)
    unit(engine, "dukcapil", online=True, changed_at=T0, heard=T0)
    beds = [
        dict(skpd_code="rsud", metric_key="rsud_bed_occupancy_percent", ts=T0 - timedelta(minutes=m), value=95.0,
             message_id=f"b{m}", received_at=T0, source="mqtt")
        for m in (1, 16)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(metric_samples), beds)
    incident(engine, T0 - timedelta(minutes=20))
    incident(engine, T0 - timedelta(hours=5), status="on_scene", on_scene_at=T0 - timedelta(hours=4))
    incident(engine, T0 - timedelta(days=4), category="complaint", skpd_code="dinsos", due_at=T0 - timedelta(days=1))


def checks_and_rejections(engine) -> None:
    """Ten units' sites checked every five minutes and a unit's message refused every minute for a week (long
    beside the rounds' windows, a quarter of an hour at most), and now another unit's refused again and again."""
    checks = [
        dict(skpd_code=code, at=T0 - timedelta(minutes=5 * k), ok=k % 7 != 0, status_code=200, tls_days_left=40)
        for k in range(7 * 24 * 12)
        for code in PROBED
    ]
    refused = [
        dict(received_at=T0 - timedelta(minutes=k + 1), topic="scc/v1/skpd/rsud/x", skpd_code="rsud", payload="{}",
             reason="unknown metric")
        for k in range(7 * 24 * 60)
    ] + [
        dict(received_at=T0 - timedelta(seconds=10 * k), topic="scc/v1/skpd/bpkd/x", skpd_code="bpkd", payload="{}",
             reason="not a number")
        for k in range(30)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(service_probes), checks)
        conn.execute(insert(rejected_messages), refused)


def test_a_round_reads_no_growing_table_whole(engine, settings):
    history(engine, settings)
    checks_and_rejections(engine)
    evaluator.evaluate(engine, settings, T0)  # the shipped rules
    statements = selects_during(engine, lambda: evaluator.evaluate(engine, settings, T0 + timedelta(seconds=2)))
    assert len(statements) >= 11, "every kind's facts, the open alerts, the silences"
    assert whole_reads(engine, statements, GROWING) == []
    firing = {v.rule for v in queries.in_sight(engine)}
    assert {"uplink-down", "call-not-dispatched", "complaint-overdue", "rsud-beds-full", "unit-rejections"} <= firing


def test_what_the_wall_reads_of_alerts_reads_no_growing_table_whole(engine, settings):
    history(engine, settings)
    evaluator.evaluate(engine, settings, T0)
    statements = selects_during(
        engine,
        lambda: (
            queries.in_sight(engine, pending=True),
            queries.in_sight(engine, skpd="dinsos"),
            queries.history(engine, T0 - timedelta(days=7), T0, rule="camera-down", subject="cam-3"),
            queries.history(engine, T0 - timedelta(days=1)),
            queries.silences(engine, T0),
        ),
    )
    assert whole_reads(engine, statements, GROWING) == []
