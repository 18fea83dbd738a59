"""Ingest against our own broker (real ACL, real accounts) into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from scc.settings.metrics_broker import INGEST_USER
from scc.storage.metrics import metric_latest, metric_samples, metric_unit_status, rejected_messages
from streams.agent import contract
from streams.metrics.ingest import Endpoint, Ingest


def wait_for(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


@contextmanager
def ingest_into(scc_broker, engine, client_id: str = "scc-ingest-test") -> Iterator[Ingest]:
    """Ingest in this process, signed in with its own account, connected; stopped afterwards."""
    endpoint = Endpoint(scc_broker.host, scc_broker.port, INGEST_USER, scc_broker.password(INGEST_USER), client_id)
    running = Ingest(scc_broker.settings, engine, endpoint).start()
    try:
        assert running.connected.wait(10), scc_broker.log_text()
        yield running
    finally:
        running.stop()


@pytest.fixture
def ingest(scc_broker, engine):
    with ingest_into(scc_broker, engine) as running:
        yield running


def test_messages_are_stored_once_rejections_kept_and_told_to_the_unit(scc_broker, engine, ingest):
    unit = scc_broker.connect("dpmptsp")
    unit.subscribe(contract.topic("dpmptsp", "errors"))
    topic = contract.topic("dpmptsp", "telemetry")
    good = contract.message({"laside_permits_received": 40, "service_up": 1}, message_id="good-1")
    bad = contract.message({"laside_permits_received": -3}, message_id="bad-1")
    unit.publish(topic, contract.encode(good))
    unit.publish(topic, contract.encode(good))  # a re-send: same id
    unit.publish(topic, contract.encode(bad))
    unit.publish(contract.topic("dpmptsp", "status"), "online", retain=True)

    told = json.loads(unit.receive(timeout=10).payload)
    assert told["id"] == "bad-1" and "outside 0..5000" in told["reason"]
    wait_for(lambda: count(engine, metric_samples) == 2 and count(engine, metric_unit_status), what="samples")
    ingest.flush(force=True)
    with engine.connect() as conn:
        stored = conn.execute(select(metric_samples.c.metric_key, metric_samples.c.value)).all()
        latest = conn.execute(select(metric_latest.c.metric_key, metric_latest.c.value)).all()
        rejection = conn.execute(select(rejected_messages)).one()
        status = conn.execute(select(metric_unit_status)).one()
    assert sorted(stored) == [("laside_permits_received", 40.0), ("service_up", 1.0)]
    assert sorted(latest) == sorted(stored)
    assert rejection.skpd_code == "dpmptsp" and json.loads(rejection.payload) == bad
    assert "outside 0..5000" in rejection.reason
    assert status.online is True and status.last_message_at is not None
    unit.close()


def test_will_marks_a_unit_offline(scc_broker, engine, ingest):
    """A unit's link drops without a goodbye: the broker publishes its will, and the wall shows it offline."""
    status = contract.topic("dinkes", "status")
    unit = scc_broker.connect("dinkes")
    unit.publish(status, "online", retain=True)
    wait_for(lambda: count(engine, metric_unit_status, metric_unit_status.c.online.is_(True)), what="online")
    unit.close()
    linked = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            scc_broker.host,
            "-p",
            str(scc_broker.port),
            "-u",
            "dinkes",
            "-P",
            scc_broker.password("dinkes"),
            "-t",
            status,
            "--will-topic",
            status,
            "--will-payload",
            "offline",
            "--will-qos",
            "1",
            "--will-retain",
        ],
        env={"PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        assert linked.poll() is None
        linked.kill()
    finally:
        linked.wait()
    wait_for(
        lambda: count(engine, metric_unit_status, metric_unit_status.c.online.is_(False)), timeout=20, what="offline"
    )


def test_a_unit_cannot_publish_for_another_by_mqtt(scc_broker, engine, ingest):
    """Debian's own client, as unit dpmptsp, to bapenda's topic: the broker drops it, nothing is stored."""
    forged = contract.encode(contract.message({"service_up": 0}, message_id="forged"))
    own = contract.encode(contract.message({"service_up": 1}, message_id="own"))
    base = ["mosquitto_pub", "-h", scc_broker.host, "-p", str(scc_broker.port), "-q", "1", "-u", "dpmptsp"]
    env = {"PATH": "/usr/bin:/bin"}
    password = ["-P", scc_broker.password("dpmptsp")]
    subprocess.run([*base, *password, "-t", contract.topic("bapenda", "telemetry"), "-m", forged], check=True, env=env)
    subprocess.run([*base, *password, "-t", contract.topic("dpmptsp", "telemetry"), "-m", own], check=True, env=env)
    wait_for(lambda: count(engine, metric_samples), what="the unit's own message")
    time.sleep(0.5)
    ingest.flush(force=True)
    with engine.connect() as conn:
        units = conn.execute(select(metric_samples.c.skpd_code, metric_samples.c.message_id)).all()
    assert units == [("dpmptsp", "own")]
    assert count(engine, rejected_messages) == 0


def test_a_backlog_array_is_stored_message_by_message(scc_broker, engine, ingest):
    unit = scc_broker.connect("disdik")
    now = time.time()
    backlog = [contract.message({"service_up": 1}, ts=now - 60 * k, message_id=f"b{k}") for k in range(50)]
    backlog.append(contract.message({"service_up": 5}, ts=now, message_id="b-bad"))
    unit.publish(contract.topic("disdik", "telemetry"), contract.encode(backlog))
    wait_for(lambda: count(engine, metric_samples) == 50 and count(engine, rejected_messages) == 1, what="backlog")
    with engine.connect() as conn:
        newest = conn.execute(select(metric_latest.c.ts)).scalar_one()
    assert abs(newest.timestamp() - round(now, 3)) < 0.01  # the newest value, not the last one in the array
    unit.close()
