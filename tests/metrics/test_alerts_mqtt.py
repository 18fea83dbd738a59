"""Alerts told to other systems on MQTT (docs/design.md §3.7), through our own broker: what arrives, in which
shape, who may publish and read there, and nothing lost or changed when the broker is away."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from scc import health
from scc.alerts import service
from scc.alerts.publisher import Publisher
from scc.clock import utcnow
from scc.settings.metrics_broker import ALERTS_READER_USER, ALERTS_USER, INGEST_USER
from scc.storage import open_storage
from scc.storage.alerts import alert_events
from tests.alerts.conftest import at, camera, incident, rule, run, with_rules
from tests.support.procs import ChildProcess

CAMERA = "rsud-lobi"


def rules(settings):
    return with_rules(settings, rule("cam", "camera_down", cameras=[CAMERA], severity="critical", keep_for="0s"))


def publisher(scc_broker, engine) -> Publisher:
    return Publisher(engine, scc_broker.settings.app.mqtt, scc_broker.password(ALERTS_USER), poll_s=0.2).start()


def reader(scc_broker):
    client = scc_broker.connect(ALERTS_READER_USER)
    client.subscribe("scc/v1/alerts/#")
    return client


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"no {what} after {timeout_s} s"
        time.sleep(0.05)


def unpublished(engine) -> list[str]:
    with engine.connect() as conn:
        e = alert_events.c
        return [r.event for r in conn.execute(select(e.event).where(e.published_at.is_(None)).order_by(e.id))]


def test_raised_acknowledged_and_resolved_arrive_in_the_documented_shape(scc_broker, engine):
    s = rules(scc_broker.settings)
    seen = reader(scc_broker)
    out = publisher(scc_broker, engine)
    try:
        camera(engine, CAMERA, "offline", at(100), at(0))
        run(engine, s, 100)
        topic, payload, qos, retained = seen.receive(timeout=15)
        assert (topic, qos, retained) == ("scc/v1/alerts/critical", 1, False)
        raised = json.loads(payload)
        alert_id = raised["alert_id"]
        assert isinstance(alert_id, int)
        assert raised == {
            "schema": "scc/v1/alert",
            "alert_id": alert_id,
            "event": "raised",
            "at": "2026-11-23T02:01:40Z",
            "at_wita": "2026-11-23T10:01:40+08:00",
            "rule": "cam",
            "kind": "camera_down",
            "subject": CAMERA,
            "skpd_code": raised["skpd_code"],
            "severity": "critical",
            "state": "firing",
            "started_at": "2026-11-23T02:00:00Z",
            "fired_at": "2026-11-23T02:01:40Z",
            "ended_at": None,
            "silenced": False,
            "acknowledged_at": None,
            "acknowledged_by": None,
            "acknowledged_note": None,
            "detail": raised["detail"],
        }
        assert raised["skpd_code"] == "rsud" and isinstance(raised["detail"], dict)

        service.acknowledge(engine, alert_id, "operator", "teknisi berangkat", now=at(110))
        acknowledged = json.loads(seen.receive(timeout=15).payload)
        assert (acknowledged["event"], acknowledged["state"]) == ("acknowledged", "firing")
        assert acknowledged["acknowledged_by"] == "operator"
        assert acknowledged["acknowledged_note"] == "teknisi berangkat"
        assert acknowledged["at"] == acknowledged["acknowledged_at"] == "2026-11-23T02:01:50Z"

        camera(engine, CAMERA, "online", at(120), at(120))
        run(engine, s, 120)
        topic, payload, _, _ = seen.receive(timeout=15)
        resolved = json.loads(payload)
        assert topic == "scc/v1/alerts/critical"
        assert (resolved["alert_id"], resolved["event"], resolved["state"]) == (alert_id, "resolved", "resolved")
        assert resolved["ended_at"] == "2026-11-23T02:02:00Z" and resolved["acknowledged_by"] == "operator"
        wait_for(lambda: unpublished(engine) == [], "published_at on every event")
        assert seen.nothing()
    finally:
        out.stop()
        seen.close()


def test_a_pending_alert_withdrawn_is_told_to_nobody(scc_broker, engine):
    s = with_rules(scc_broker.settings, rule("cam", "camera_down", cameras=[CAMERA], keep_for="0s", **{"for": "5m"}))
    camera(engine, CAMERA, "offline", at(1), at(0))
    run(engine, s, 1)
    camera(engine, CAMERA, "online", at(2), at(2))
    run(engine, s, 2)
    with engine.connect() as conn:
        assert conn.execute(select(alert_events)).all() == []


def test_only_the_alerts_account_publishes_there_and_only_there(scc_broker):
    admin = scc_broker.admin()
    admin.subscribe("#")
    seen = reader(scc_broker)
    unit_code = scc_broker.settings.skpd[0].code
    for user in (unit_code, INGEST_USER):
        forger = scc_broker.connect(user)
        forger.publish("scc/v1/alerts/critical", f"forged by {user}")  # MQTT 3.1.1: acknowledged, dropped
        forger.close()
    seen.publish("scc/v1/alerts/critical", "forged by the reader")  # its own connection: one per account
    alerts_account = scc_broker.connect(ALERTS_USER)
    alerts_account.publish(f"scc/v1/skpd/{unit_code}/telemetry", b"not a unit")
    alerts_account.subscribe("scc/v1/skpd/#")
    alerts_account.publish("scc/v1/alerts/info", b"the real one")
    # All went in order through one broker: had a forged one passed, it would arrive first.
    assert seen.receive()[:2] == ("scc/v1/alerts/info", b"the real one")
    assert admin.receive()[:2] == ("scc/v1/alerts/info", b"the real one")
    assert seen.nothing() and admin.nothing() and alerts_account.nothing()
    for client in (admin, seen, alerts_account):
        client.close()


def test_with_the_broker_away_events_wait_and_go_once_it_is_back(scc_broker, engine):
    s = rules(scc_broker.settings)
    out = publisher(scc_broker, engine)
    wait_for(out.connected.is_set, "connection")
    scc_broker.stop()
    wait_for(lambda: not out.connected.is_set(), "lost connection")
    camera(engine, CAMERA, "offline", at(100), at(0))
    run(engine, s, 100)
    with engine.connect() as conn:
        (alert_id,) = conn.execute(select(alert_events.c.alert_id)).scalars().all()
    service.acknowledge(engine, alert_id, "operator", now=at(110))
    camera(engine, CAMERA, "online", at(120), at(120))
    run(engine, s, 120)
    out.stop()  # the process ends with the broker still away: everything is in storage
    assert unpublished(engine) == ["raised", "acknowledged", "resolved"]

    scc_broker.start()
    seen = reader(scc_broker)
    out = publisher(scc_broker, engine)  # as the process restarted
    try:
        got = [json.loads(seen.receive(timeout=30).payload) for _ in range(3)]
        assert [(m["alert_id"], m["event"]) for m in got] == [
            (alert_id, "raised"),
            (alert_id, "acknowledged"),
            (alert_id, "resolved"),
        ]
        wait_for(lambda: unpublished(engine) == [], "published_at on every event")
        assert seen.nothing(within=1.0), "none twice"

        # Killed after the broker's acknowledgement and before published_at was written: it goes again,
        # the same message, and the consumer drops it by (alert_id, event).
        with engine.begin() as conn:
            conn.execute(update(alert_events).where(alert_events.c.event == "acknowledged").values(published_at=None))
        out.wake()
        again = json.loads(seen.receive(timeout=15).payload)
        assert again == got[1]
    finally:
        out.stop()
        seen.close()


def test_the_alerts_process_publishes_with_its_own_account(scc_broker, tmp_path):
    settings = scc_broker.settings
    engine = open_storage(settings.database_url)
    waiting = incident(engine, utcnow() - timedelta(minutes=10), priority=1)  # past any dispatch target
    seen = reader(scc_broker)
    child = ChildProcess(tmp_path / "alerts.log")
    env = {
        **os.environ,  # the broker's passwords, as `scc run` loads them from secrets.env
        "SCC_CONFIG_DIR": str(scc_broker.config_dir),
        "SCC_DATA_DIR": str(scc_broker.data_dir),
        "SCC_MQTT_PORT": str(scc_broker.port),
    }
    child.launch([sys.executable, "-m", "scc.alerts"], env)
    try:
        topic, payload, _, _ = seen.receive(timeout=60)
        raised = json.loads(payload)
        assert topic == "scc/v1/alerts/critical"
        assert (raised["rule"], raised["subject"], raised["event"]) == ("call-not-dispatched", str(waiting), "raised")
        wait_for(
            lambda: (
                "MQTT connected, 0 to publish" in {c.name: c.detail for c in health.read_all(engine)}.get("alerts", "")
            ),
            "the heartbeat's word on MQTT",
            timeout_s=30,
        )
        assert scc_broker.password(ALERTS_USER) not in child.log_text()
        assert child.process is not None
        child.process.send_signal(signal.SIGTERM)
        assert child.process.wait(timeout=30) == 0, child.log_text()[-2000:]
    finally:
        child.kill()
        seen.close()
        engine.dispose()
