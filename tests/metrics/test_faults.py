"""After each fault, once recovered, every message is stored exactly once.

The faults of the issue, each for real: ingest killed with SIGKILL mid-stream,
the broker restarted, the database (the test's own PostgreSQL cluster)
stopped for 60 s, and a publisher cut off for what it sees as ten minutes.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scc.storage import open_storage
from scc.storage.metrics import metric_samples
from streams.agent import contract
from streams.agent.publisher import Publisher
from tests.support.services import postgres_cluster
from tests.support.web import ROOT

from .test_ingest import ingest_into, wait_for

DOWN_S = float(os.environ.get("SCC_TEST_DB_DOWN_S", "60"))  # the issue says a minute


def stored(engine) -> tuple[int, int]:
    """(rows, distinct message ids): equal when nothing was stored twice."""
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(metric_samples)).scalar_one()
        ids = conn.execute(select(func.count(func.distinct(metric_samples.c.message_id)))).scalar_one()
    return rows, ids


# Readings a millisecond apart, never two at one time across the module's tests: a sample is one per
# unit, metric and time, so each reading must have its own time to be stored as its own sample.
_READINGS = itertools.count()
_SINCE = time.time() - 3600


def reading_time() -> float:
    return _SINCE + next(_READINGS) / 1000


def messages(n: int, prefix: str) -> list[bytes]:
    return [
        contract.encode(contract.message({"service_up": k % 2}, ts=reading_time(), message_id=f"{prefix}{k}"))
        for k in range(n)
    ]


def ingest_env(scc_broker, database_url: str) -> dict[str, str]:
    """The environment `scc run` gives ingest, for the test's broker and database."""
    return {
        **os.environ,
        "SCC_CONFIG_DIR": str(scc_broker.config_dir),
        "SCC_DATA_DIR": str(scc_broker.data_dir),
        "SCC_DATABASE_URL": database_url,
        "SCC_MQTT_PORT": str(scc_broker.port),
        "SCC_MQTT_TLS_PORT": str(scc_broker.tls_port),
    }


def ingest_process(scc_broker, database_url: str, log: Path) -> subprocess.Popen:
    env = ingest_env(scc_broker, database_url)
    out = open(log, "ab")  # noqa: SIM115  (the child writes to it for its whole life)
    return subprocess.Popen([sys.executable, "-m", "streams.metrics.ingest"], env=env, cwd=ROOT, stdout=out, stderr=out)


def test_ingest_killed_mid_stream_loses_nothing(scc_broker, tmp_path):
    url = f"sqlite:///{tmp_path / 'scc.db'}"
    engine = open_storage(url)
    log = tmp_path / "ingest.log"
    first = ingest_process(scc_broker, url, log)
    unit = scc_broker.connect("dpmptsp")
    try:
        wait_for(lambda: "connected to the broker" in log.read_text(), what="ingest to connect")
        batch = messages(4000, "k")
        infos = [unit.client.publish(contract.topic("dpmptsp", "telemetry"), p, qos=1) for p in batch]
        wait_for(lambda: stored(engine)[0] >= 300, what="the first batches")
        first.kill()  # SIGKILL: no goodbye, no flush; whatever was not acknowledged is redelivered
        first.wait()
        for info in infos:
            info.wait_for_publish(timeout=30)
        second = ingest_process(scc_broker, url, log)
        try:
            wait_for(lambda: stored(engine)[1] == 4000, timeout=60, what=f"all 4000 (log: {log})")
            time.sleep(0.5)
            assert stored(engine) == (4000, 4000)
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        unit.close()
        engine.dispose()


def test_broker_restart_mid_stream_loses_nothing(scc_broker, tmp_path):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    publisher = Publisher(
        "dinkes",
        scc_broker.password("dinkes"),
        scc_broker.host,
        scc_broker.port,
        tmp_path / "outbox.db",
        reconnect_delay=(0.2, 1),
    )
    try:
        with ingest_into(scc_broker, engine, "ing-r") as ingest:
            for k in range(1500):
                publisher.send({"service_up": k % 2}, ts=reading_time())
            wait_for(lambda: stored(engine)[0] >= 100, what="the first messages")
            scc_broker.stop()  # SIGTERM: Mosquitto saves its queue to disk
            for k in range(1500):  # the publisher queues on its disk meanwhile
                publisher.send({"website_up": k % 2}, ts=reading_time())
            scc_broker.restart()
            assert publisher.flush(60), f"publisher backlog {publisher.backlog()}"
            wait_for(lambda: stored(engine)[1] == 3000, timeout=60, what="all 3000")
            ingest.flush(force=True)
            assert stored(engine) == (3000, 3000)
    finally:
        publisher.close()
        engine.dispose()


def test_publisher_cut_off_for_ten_minutes_catches_up(scc_broker, tmp_path):
    """Ten minutes of figures (one a second, timestamped as they were made) queue on the unit's disk."""
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    outbox = tmp_path / "outbox.db"
    start = time.time() - 600
    with ingest_into(scc_broker, engine, "ing-p"):
        # The link is down: the unit's system keeps producing, the agent queues (and its process even restarts).
        offline = Publisher("bpkd", scc_broker.password("bpkd"), scc_broker.host, 9, outbox, connect=False)
        for second in range(600):
            offline.send({"service_up": 1}, ts=start + second)
        assert offline.backlog() == 600
        offline.close(timeout=0.1)
        back = Publisher("bpkd", scc_broker.password("bpkd"), scc_broker.host, scc_broker.port, outbox)
        try:
            assert back.flush(60)
        finally:
            back.close()
        wait_for(lambda: stored(engine)[1] == 600, timeout=30, what="the ten minutes")
    with engine.connect() as conn:
        first, last = conn.execute(select(func.min(metric_samples.c.ts), func.max(metric_samples.c.ts))).one()
    assert stored(engine) == (600, 600)
    assert round(last.timestamp() - first.timestamp()) == 599
    engine.dispose()


@pytest.mark.postgres
def test_database_down_for_a_minute_loses_nothing(scc_broker, tmp_path):
    with postgres_cluster() as cluster:
        engine = open_storage(cluster.url)
        unit = scc_broker.connect("dpmptsp")
        try:
            with ingest_into(scc_broker, engine, "ing-db") as ingest:
                topic = contract.topic("dpmptsp", "telemetry")
                unit.publish_many(topic, messages(500, "before"))
                wait_for(lambda: stored(engine)[1] == 500, what="the first 500")
                cluster.pause()
                down_until = time.monotonic() + DOWN_S
                unit.publish_many(topic, messages(1000, "during"))  # the broker has them; ingest cannot commit
                time.sleep(max(0.0, down_until - time.monotonic()))
                assert ingest.backlog >= 1
                cluster.resume()
                wait_for(lambda: stored(engine)[1] == 1500, timeout=60, what="all 1500 after the database returned")
                assert stored(engine) == (1500, 1500)
        finally:
            unit.close()
            engine.dispose()
